public import TalonProtocol
/// The context as a generic value, in the shape the script sees (`snake_case` keys), so a
/// case file can be written as JSON (`talon contract test --context case.json`).
extension ContractContext {
    /// The context as the script sees it for `hook`.
    public func value(for hook: Hook) -> ContractValue {
        [
            "now": .int(now),
            "operation": ["kind": .string(hook.operationKind), "price": .int(operation.price),
                          "fees": .int(operation.fees), "currency": .string(operation.currency)],
            "ticket": ["id": .string(ticket.id), "section": .string(ticket.section), "face_value": .int(ticket.faceValue),
                       "paid": .int(ticket.paid), "transfers": .int(ticket.transfers), "resales": .int(ticket.resales)],
            "event": ["id": .string(event.id), "issuer": .string(event.issuer), "starts_at": .int(event.startsAt),
                      "cancelled": .bool(event.cancelled)],
            "parties": ["holder": .string(parties.holder), "counterparty": .string(parties.counterparty),
                        "signer": .string(parties.signer)],
            "buyer": ["event_tickets": .int(buyer.eventTickets), "event_acquisitions": .int(buyer.eventAcquisitions)],
            "extra": .table(extra),
        ]
    }

    /// Reads a context from a value shaped like `value(for:)`. Missing fields take their
    /// defaults; `operation.kind` is ignored (the hook decides it).
    /// - Throws: `invalid_context` for an unknown field or a field of the wrong type.
    public init(_ value: ContractValue) throws(ContractFailure) {
        self.init()
        var root = try Fields(value, "ctx")
        now = try root.int("now") ?? 0
        extra = try root.table("extra") ?? [:]
        if let v = try root.nested("operation") {
            var f = v
            operation = Operation(price: try f.int("price") ?? 0, fees: try f.int("fees") ?? 0,
                                  currency: try f.string("currency") ?? "")
            _ = try f.string("kind")
            try f.done()
        }
        if let v = try root.nested("ticket") {
            var f = v
            ticket = Ticket(id: try f.string("id") ?? "", section: try f.string("section") ?? "",
                            faceValue: try f.int("face_value") ?? 0, paid: try f.int("paid") ?? 0,
                            transfers: try f.int("transfers") ?? 0, resales: try f.int("resales") ?? 0)
            try f.done()
        }
        if let v = try root.nested("event") {
            var f = v
            event = Event(id: try f.string("id") ?? "", issuer: try f.string("issuer") ?? "",
                          startsAt: try f.int("starts_at") ?? 0, cancelled: try f.bool("cancelled") ?? false)
            try f.done()
        }
        if let v = try root.nested("parties") {
            var f = v
            parties = Parties(holder: try f.string("holder") ?? "", counterparty: try f.string("counterparty") ?? "",
                              signer: try f.string("signer") ?? "")
            try f.done()
        }
        if let v = try root.nested("buyer") {
            var f = v
            buyer = Buyer(eventTickets: try f.int("event_tickets") ?? 0,
                          eventAcquisitions: try f.int("event_acquisitions") ?? 0)
            try f.done()
        }
        try root.done()
    }
}

/// Reads the fields of one table, then checks that none was left unread.
private struct Fields {
    private var fields: [String: ContractValue]
    private let path: String

    init(_ value: ContractValue, _ path: String) throws(ContractFailure) {
        guard case .table(let t) = value else { throw ContractFailure(.invalidContext, "\(path) must be an object") }
        fields = t
        self.path = path
    }

    private mutating func take(_ key: String) -> ContractValue? { fields.removeValue(forKey: key) }

    private func wrong(_ key: String, _ expected: String) -> ContractFailure {
        ContractFailure(.invalidContext, "\(path).\(key) must be \(expected)")
    }

    mutating func int(_ key: String) throws(ContractFailure) -> Int64? {
        guard let v = take(key) else { return nil }
        guard case .int(let i) = v else { throw wrong(key, "an integer") }
        return i
    }

    mutating func string(_ key: String) throws(ContractFailure) -> String? {
        guard let v = take(key) else { return nil }
        guard case .string(let s) = v else { throw wrong(key, "a string") }
        return s
    }

    mutating func bool(_ key: String) throws(ContractFailure) -> Bool? {
        guard let v = take(key) else { return nil }
        guard case .bool(let b) = v else { throw wrong(key, "a boolean") }
        return b
    }

    mutating func table(_ key: String) throws(ContractFailure) -> [String: ContractValue]? {
        guard let v = take(key) else { return nil }
        guard case .table(let t) = v else { throw wrong(key, "an object") }
        return t
    }

    mutating func nested(_ key: String) throws(ContractFailure) -> Fields? {
        guard let v = take(key) else { return nil }
        return try Fields(v, "\(path).\(key)")
    }

    func done() throws(ContractFailure) {
        if let extra = fields.keys.min() { throw ContractFailure(.invalidContext, "\(path).\(extra) is not a context field") }
    }
}
