
/// Stateless checks of an operation's fields, run at admission.
extension LedgerOperation {
    /// Throws unless every field is within its allowed shape and range.
    /// - Throws: `TalonError(.invalidField)` naming the field.
    public func validateFields() throws(TalonError) {
        switch self {
        case .registerIssuer(let o):
            try Self.key(o.issuer, "issuer")
            try Self.text(o.name, "name")
        case .createEvent(let o):
            try Self.id(o.eventID, "event_id")
            try Self.text(o.name, "name")
            try Self.text(o.venue, "venue")
            guard o.capacity > 0 else { throw TalonError(.invalidField, "capacity must be at least 1") }
            guard o.doorsOpenAt <= o.startsAt else { throw TalonError(.invalidField, "doors_open_at must not be after starts_at") }
            guard o.currency.utf8.count == 3, o.currency.utf8.allSatisfy({ (65...90).contains($0) }) else {
                throw TalonError(.invalidField, "currency must be an ISO 4217 code such as EUR, got '\(o.currency)'")
            }
        case .registerGate(let o):
            try Self.id(o.eventID, "event_id")
            try Self.key(o.gate, "gate")
            try Self.text(o.name, "name")
            guard o.sections.count <= Limits.sectionsPerGate else {
                throw TalonError(.invalidField, "a gate has at most \(Limits.sectionsPerGate) sections")
            }
            for s in o.sections { try Self.text(s, "sections[]") }
            guard Set(o.sections.map { Array($0.utf8) }).count == o.sections.count else { throw TalonError(.invalidField, "sections repeat") }
        case .issue(let o):
            try Self.id(o.eventID, "event_id")
            guard (1...Limits.ticketsPerIssue).contains(o.tickets.count) else {
                throw TalonError(.invalidField, "an issue holds 1–\(Limits.ticketsPerIssue) tickets, got \(o.tickets.count)")
            }
            var seen = Set<String>()
            for t in o.tickets {
                try Self.id(t.ticketID, "ticket_id")
                try Self.text(t.section, "section", allowEmpty: true)
                try Self.text(t.seat, "seat", allowEmpty: true)
                try Self.amount(t.faceValue, "face_value")
                try Self.key(t.holder, "holder")
                guard seen.insert(t.ticketID).inserted else {
                    throw TalonError(.invalidField, "ticket id \(t.ticketID) appears twice in the batch")
                }
            }
        case .transfer(let o):
            try Self.id(o.ticketID, "ticket_id")
            try Self.key(o.to, "to")
        case .redeem(let o):
            try Self.id(o.ticketID, "ticket_id")
        case .void(let o):
            try Self.id(o.ticketID, "ticket_id")
            try Self.text(o.reason, "reason", allowEmpty: true, limit: Limits.reasonBytes)
        case .deployContract(let o):
            guard !o.source.isEmpty, o.source.utf8.count <= Limits.contractSourceBytes else {
                throw TalonError(.invalidField, "source must be 1–\(Limits.contractSourceBytes) bytes")
            }
        case .bindContract(let o):
            try Self.id(o.eventID, "event_id")
            _ = try ContractParameters.parse(o.params)
        case .listResale(let o):
            try Self.id(o.ticketID, "ticket_id")
            try Self.amount(o.price, "price")
            try Self.amount(o.fees, "fees")
        case .cancelListing(let o):
            try Self.id(o.ticketID, "ticket_id")
        case .buyResale(let o):
            try Self.id(o.ticketID, "ticket_id")
            try Self.amount(o.price, "price")
            try Self.amount(o.fees, "fees")
        case .requestRefund(let o):
            try Self.id(o.ticketID, "ticket_id")
        case .cancelEvent(let o):
            try Self.id(o.eventID, "event_id")
            try Self.text(o.reason, "reason", allowEmpty: true, limit: Limits.reasonBytes)
        }
    }

    /// A key that receives a role or a ticket must be a valid Ed25519 point (not all zeros,
    /// not of small order, canonical): nothing could ever be signed by any other.
    static func key(_ key: PublicKey, _ field: String) throws(TalonError) {
        guard key.isValidPoint else {
            throw TalonError(.invalidField, "\(field) is not a valid Ed25519 public key (\(key.text.prefix(24))…)")
        }
    }

    /// Money: at most 10^15 minor units (contracts see amounts as 64-bit integers).
    static func amount(_ v: UInt64, _ field: String) throws(TalonError) {
        guard v <= Limits.maxAmount else { throw TalonError(.invalidField, "\(field) must be at most \(Limits.maxAmount)") }
    }

    /// Ids: 1–128 bytes of `A–Z a–z 0–9 . _ : / -`.
    static func id(_ s: String, _ field: String) throws(TalonError) {
        guard isID(s) else {
            throw TalonError(.invalidField, "\(field) must be 1–\(Limits.idBytes) characters of A–Z a–z 0–9 . _ : / -, got '\(s.prefix(40))'")
        }
    }

    /// Text: no control characters, at most `limit` bytes of UTF-8.
    static func text(_ s: String, _ field: String, allowEmpty: Bool = false, limit: Int = Limits.textBytes) throws(TalonError) {
        guard allowEmpty || !s.isEmpty else { throw TalonError(.invalidField, "\(field) must not be empty") }
        guard s.utf8.count <= limit else { throw TalonError(.invalidField, "\(field) is longer than \(limit) bytes") }
        guard !s.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw TalonError(.invalidField, "\(field) contains control characters")
        }
    }

    /// Whether `s` is an event or ticket id: 1–128 bytes of `A–Z a–z 0–9 . _ : / -`. No
    /// envelope naming anything else is admitted, so nothing in a ledger has another id.
    public static func isID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= Limits.idBytes && s.utf8.allSatisfy(isIDByte)
    }

    private static func isIDByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "-"): true
        default: false
        }
    }
}
