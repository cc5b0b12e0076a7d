/// The canonical binary form of operations (see docs/format.md, "Operations").
extension LedgerOperation {
    /// Writes the u16 kind then the operation's fields.
    public func encode(into w: inout ByteWriter) {
        w.u16(kind.rawValue)
        switch self {
        case .registerIssuer(let o):
            w.key(o.issuer)
            w.string(o.name)
        case .createEvent(let o):
            w.string(o.eventID)
            w.string(o.name)
            w.string(o.venue)
            w.i64(o.startsAt)
            w.i64(o.doorsOpenAt)
            w.u32(o.capacity)
            w.string(o.currency)
        case .registerGate(let o):
            w.string(o.eventID)
            w.key(o.gate)
            w.string(o.name)
            w.list(o.sections) { $0.string($1) }
        case .issue(let o):
            w.string(o.eventID)
            w.list(o.tickets) { w, t in
                w.string(t.ticketID)
                w.string(t.section)
                w.string(t.seat)
                w.u64(t.faceValue)
                w.key(t.holder)
            }
        case .transfer(let o):
            w.string(o.ticketID)
            w.key(o.to)
        case .redeem(let o):
            w.string(o.ticketID)
            w.u64(o.sequence)
            w.i64(o.scannedAt)
        case .void(let o):
            w.string(o.ticketID)
            w.string(o.reason)
        case .deployContract(let o):
            w.string(o.source)
        case .bindContract(let o):
            w.string(o.eventID)
            w.digest(o.contract)
            w.string(o.params)
        case .listResale(let o):
            w.string(o.ticketID); w.u64(o.price); w.u64(o.fees)
        case .cancelListing(let o):
            w.string(o.ticketID)
        case .buyResale(let o):
            w.string(o.ticketID); w.u64(o.price); w.u64(o.fees)
        case .requestRefund(let o):
            w.string(o.ticketID)
        case .cancelEvent(let o):
            w.string(o.eventID); w.string(o.reason)
        }
    }

    /// Reads the u16 kind alone.
    /// - Throws: `TalonError(.unknownOperation)`, `.truncated`.
    static func kind(from r: inout ByteReader) throws(TalonError) -> Kind {
        let raw = try r.u16()
        guard let kind = Kind(rawValue: raw) else {
            throw TalonError(.unknownOperation, "unknown operation kind \(raw)")
        }
        return kind
    }

    /// Reads the u16 kind and the operation's fields.
    /// - Throws: `TalonError(.unknownOperation)`, and the reader's codes.
    public static func decode(from r: inout ByteReader) throws(TalonError) -> LedgerOperation {
        switch try kind(from: &r) {
        case .registerIssuer:
            return .registerIssuer(RegisterIssuer(issuer: try r.key(), name: try r.string(max: Limits.textBytes)))
        case .createEvent:
            return .createEvent(CreateEvent(
                eventID: try r.string(max: Limits.idBytes),
                name: try r.string(max: Limits.textBytes),
                venue: try r.string(max: Limits.textBytes),
                startsAt: try r.i64(),
                doorsOpenAt: try r.i64(),
                capacity: try r.u32(),
                currency: try r.string(max: Limits.textBytes)))
        case .registerGate:
            return .registerGate(RegisterGate(
                eventID: try r.string(max: Limits.idBytes),
                gate: try r.key(),
                name: try r.string(max: Limits.textBytes),
                sections: try r.list(max: Limits.sectionsPerGate, minElementSize: 4) { (r: inout ByteReader) throws(TalonError) in
                    try r.string(max: Limits.textBytes)
                }))
        case .issue:
            let eventID = try r.string(max: Limits.idBytes)
            let tickets = try r.list(max: Limits.ticketsPerIssue, minElementSize: 52) { (r: inout ByteReader) throws(TalonError) in
                TicketSpec(
                    ticketID: try r.string(max: Limits.idBytes),
                    section: try r.string(max: Limits.textBytes),
                    seat: try r.string(max: Limits.textBytes),
                    faceValue: try r.u64(),
                    holder: try r.key())
            }
            return .issue(IssueTickets(eventID: eventID, tickets: tickets))
        case .transfer:
            return .transfer(Transfer(ticketID: try r.string(max: Limits.idBytes), to: try r.key()))
        case .redeem:
            return .redeem(Redeem(ticketID: try r.string(max: Limits.idBytes), sequence: try r.u64(), scannedAt: try r.i64()))
        case .void:
            return .void(VoidTicket(ticketID: try r.string(max: Limits.idBytes), reason: try r.string(max: Limits.reasonBytes)))
        case .deployContract:
            return .deployContract(DeployContract(source: try r.string(max: Limits.contractSourceBytes)))
        case .bindContract:
            return .bindContract(BindContract(eventID: try r.string(max: Limits.idBytes), contract: try r.digest(),
                                              params: try r.string(max: Limits.contractParamsBytes)))
        case .listResale:
            return .listResale(ListResale(ticketID: try r.string(max: Limits.idBytes), price: try r.u64(), fees: try r.u64()))
        case .cancelListing:
            return .cancelListing(CancelListing(ticketID: try r.string(max: Limits.idBytes)))
        case .buyResale:
            return .buyResale(BuyResale(ticketID: try r.string(max: Limits.idBytes), price: try r.u64(), fees: try r.u64()))
        case .requestRefund:
            return .requestRefund(RequestRefund(ticketID: try r.string(max: Limits.idBytes)))
        case .cancelEvent:
            return .cancelEvent(CancelEvent(eventID: try r.string(max: Limits.idBytes), reason: try r.string(max: Limits.reasonBytes)))
        }
    }
}

extension IssueTickets {
    /// The issue whose fields `r` is at, narrowed to ticket `id`: found by stepping over the
    /// other tickets rather than decoding them; nil when the issue does not name it.
    package static func narrowed(to id: String, fields r: inout ByteReader) throws(TalonError) -> IssueTickets? {
        let eventID = try r.string(max: Limits.idBytes)
        let count = try r.u32()
        guard count <= Limits.ticketsPerIssue else { throw TalonError(.overlongLength, "issue of \(count) tickets") }
        for _ in 0..<count {
            guard try r.view(max: Limits.idBytes).elementsEqual(id.utf8) else {
                _ = try r.view(max: Limits.textBytes); _ = try r.view(max: Limits.textBytes)
                try r.skip(8 + 32)
                continue
            }
            return IssueTickets(eventID: eventID, tickets: [TicketSpec(
                ticketID: id, section: try r.string(max: Limits.textBytes), seat: try r.string(max: Limits.textBytes),
                faceValue: try r.u64(), holder: try r.key())])
        }
        return nil
    }
}
