
/// The JSON form of operations: an object with `"type"` (the kind's name) and the fields
/// in snake_case. Times are integer milliseconds since the Unix epoch, money integer minor units.
extension LedgerOperation: Codable {
    private static let fields: [Kind: [String]] = [
        .registerIssuer: ["issuer", "name"],
        .createEvent: ["event_id", "name", "venue", "starts_at", "doors_open_at", "capacity", "currency"],
        .registerGate: ["event_id", "gate", "name", "sections"],
        .issue: ["event_id", "tickets"],
        .transfer: ["ticket_id", "to"],
        .redeem: ["ticket_id", "sequence", "scanned_at"],
        .void: ["ticket_id", "reason"],
        .deployContract: ["source"],
        .bindContract: ["event_id", "contract", "params"],
        .listResale: ["ticket_id", "price", "fees"],
        .cancelListing: ["ticket_id"],
        .buyResale: ["ticket_id", "price", "fees"],
        .requestRefund: ["ticket_id"],
        .cancelEvent: ["event_id", "reason"],
    ]

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        let type: String = try c.get("type")
        guard let kind = Kind(name: type) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey("type")], debugDescription: "unknown operation type '\(type.prefix(40))'"))
        }
        try decoder.rejectUnknownKeys(Set(["type"] + Self.fields[kind, default: []]))
        switch kind {
        case .registerIssuer:
            self = .registerIssuer(RegisterIssuer(issuer: try c.get("issuer"), name: try c.get("name")))
        case .createEvent:
            self = .createEvent(CreateEvent(
                eventID: try c.get("event_id"), name: try c.get("name"), venue: try c.get("venue"),
                startsAt: try c.get("starts_at"), doorsOpenAt: try c.get("doors_open_at"),
                capacity: try c.get("capacity"), currency: try c.get("currency")))
        case .registerGate:
            self = .registerGate(RegisterGate(
                eventID: try c.get("event_id"), gate: try c.get("gate"), name: try c.get("name"), sections: try c.get("sections")))
        case .issue:
            self = .issue(IssueTickets(eventID: try c.get("event_id"), tickets: try c.get("tickets")))
        case .transfer:
            self = .transfer(Transfer(ticketID: try c.get("ticket_id"), to: try c.get("to")))
        case .redeem:
            self = .redeem(Redeem(ticketID: try c.get("ticket_id"), sequence: try c.get("sequence"), scannedAt: try c.get("scanned_at")))
        case .void:
            self = .void(VoidTicket(ticketID: try c.get("ticket_id"), reason: try c.get("reason")))
        case .deployContract:
            self = .deployContract(DeployContract(source: try c.get("source")))
        case .bindContract:
            let hex: String = try c.get("contract")
            guard let contract = Digest(hex: hex) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [AnyKey("contract")], debugDescription: "contract must be 64 lowercase hex digits"))
            }
            self = .bindContract(BindContract(eventID: try c.get("event_id"), contract: contract, params: try c.get("params")))
        case .listResale:
            self = .listResale(ListResale(ticketID: try c.get("ticket_id"), price: try c.get("price"), fees: try c.get("fees")))
        case .cancelListing:
            self = .cancelListing(CancelListing(ticketID: try c.get("ticket_id")))
        case .buyResale:
            self = .buyResale(BuyResale(ticketID: try c.get("ticket_id"), price: try c.get("price"), fees: try c.get("fees")))
        case .requestRefund:
            self = .requestRefund(RequestRefund(ticketID: try c.get("ticket_id")))
        case .cancelEvent:
            self = .cancelEvent(CancelEvent(eventID: try c.get("event_id"), reason: try c.get("reason")))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.put(kind.name, "type")
        switch self {
        case .registerIssuer(let o):
            try c.put(o.issuer, "issuer"); try c.put(o.name, "name")
        case .createEvent(let o):
            try c.put(o.eventID, "event_id"); try c.put(o.name, "name"); try c.put(o.venue, "venue")
            try c.put(o.startsAt, "starts_at"); try c.put(o.doorsOpenAt, "doors_open_at")
            try c.put(o.capacity, "capacity"); try c.put(o.currency, "currency")
        case .registerGate(let o):
            try c.put(o.eventID, "event_id"); try c.put(o.gate, "gate"); try c.put(o.name, "name"); try c.put(o.sections, "sections")
        case .issue(let o):
            try c.put(o.eventID, "event_id"); try c.put(o.tickets, "tickets")
        case .transfer(let o):
            try c.put(o.ticketID, "ticket_id"); try c.put(o.to, "to")
        case .redeem(let o):
            try c.put(o.ticketID, "ticket_id"); try c.put(o.sequence, "sequence"); try c.put(o.scannedAt, "scanned_at")
        case .void(let o):
            try c.put(o.ticketID, "ticket_id"); try c.put(o.reason, "reason")
        case .deployContract(let o):
            try c.put(o.source, "source")
        case .bindContract(let o):
            try c.put(o.eventID, "event_id"); try c.put(o.contract.hex, "contract"); try c.put(o.params, "params")
        case .listResale(let o):
            try c.put(o.ticketID, "ticket_id"); try c.put(o.price, "price"); try c.put(o.fees, "fees")
        case .cancelListing(let o):
            try c.put(o.ticketID, "ticket_id")
        case .buyResale(let o):
            try c.put(o.ticketID, "ticket_id"); try c.put(o.price, "price"); try c.put(o.fees, "fees")
        case .requestRefund(let o):
            try c.put(o.ticketID, "ticket_id")
        case .cancelEvent(let o):
            try c.put(o.eventID, "event_id"); try c.put(o.reason, "reason")
        }
    }
}

extension TicketSpec: Codable {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["ticket_id", "section", "seat", "face_value", "holder"])
        let c = try decoder.container(keyedBy: AnyKey.self)
        self.init(ticketID: try c.get("ticket_id"), section: try c.get("section"), seat: try c.get("seat"),
                  faceValue: try c.get("face_value"), holder: try c.get("holder"))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.put(ticketID, "ticket_id"); try c.put(section, "section"); try c.put(seat, "seat")
        try c.put(faceValue, "face_value"); try c.put(holder, "holder")
    }
}

/// The JSON form of envelopes:
/// `{"version":1,"chain_id":…,"signer":"ed25519:…","nonce":…,"op":{…},"signature":"<128 hex>"}`.
extension Envelope: Codable {
    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["version", "chain_id", "signer", "nonce", "op", "signature"])
        let c = try decoder.container(keyedBy: AnyKey.self)
        let version: UInt8 = try c.get("version")
        guard version == Envelope.version else { throw TalonError(.unknownVersion, "envelope version \(version) is not \(Envelope.version)") }
        self.init(chainID: try c.get("chain_id"), signer: try c.get("signer"), nonce: try c.get("nonce"),
                  operation: try c.get("op"), signature: try c.get("signature"))
        // The JSON form has no limits of its own: hold it to the binary form's.
        _ = try Envelope(bytes: bytes)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        try c.put(Envelope.version, "version"); try c.put(chainID, "chain_id"); try c.put(signer, "signer")
        try c.put(nonce, "nonce"); try c.put(operation, "op"); try c.put(signature, "signature")
    }
}
