public import TalonProtocol
import TalonStore

/// An event's redeem attempts, and the tickets presented more than once: the double entries
/// that offline gates can only flag after the fact.
public struct EntryReport: Sendable, Encodable {
    public var head: Head
    public var eventID: String
    public var totals: Totals
    /// Tickets with more than one redeem attempt, by first attempt (at most `limit`).
    public var tickets: [Ticket]

    enum CodingKeys: String, CodingKey { case head, eventID = "event_id", totals, tickets }

    public struct Totals: Hashable, Sendable, Encodable {
        public var attempts = 0, redeemed = 0
        /// Tickets with more than one attempt, and the attempts beyond each one's first.
        public var repeatedTickets = 0, repeatAttempts = 0
        enum CodingKeys: String, CodingKey {
            case attempts, redeemed, repeatedTickets = "repeated_tickets", repeatAttempts = "repeat_attempts"
        }
    }

    public struct Ticket: Hashable, Sendable, Encodable {
        public var ticketID: String
        public var attempts: [Attempt]
        enum CodingKeys: String, CodingKey { case ticketID = "ticket_id", attempts }
    }

    public struct Attempt: Hashable, Sendable, Encodable {
        public var leaf: UInt64, height: UInt64, timestamp: Int64
        public var gate: PublicKey
        /// The gate's registered name, when it is a gate of the event.
        public var gateName: String?
        public var scannedAt: Int64
        public var result: String
        public var envelopeHash: Digest
        public var proof: RecordProof?
        enum CodingKeys: String, CodingKey {
            case leaf, height, timestamp, gate, gateName = "gate_name", scannedAt = "scanned_at", result
            case envelopeHash = "envelope_hash", proof
        }
    }
}

extension Ledger {
    /// The double-entry report of event `id` (nil when there is no such event). Reads the
    /// event's redeem rows and gates only.
    public func entryReport(event id: String, limit: Int = 1000, prove: Bool = false, signer: HeadSigner? = nil) throws(TalonError) -> EntryReport? {
        try audit(prove: prove, signer: signer) { s -> EntryReport? in
            guard try s.event(id) != nil else { return nil }
            var names: [PublicKey: String] = [:]
            let prefix = Schema.id(id)
            try s.txn.scan(tables.gates, prefix: prefix) { k, v in
                guard let key = PublicKey(bytes: k.dropFirst(prefix.count)) else { throw TalonError(.storeCorrupt, "gate key") }
                names[key] = try GateState(eventID: id, key: key, bytes: v).name
                return true
            }
            let rows = try s.rows(id, .redeem) { try RedeemRow(leaf: $0, bytes: $1) }
            var byTicket: [String: [RedeemRow]] = [:]
            var order: [String] = []
            var totals = EntryReport.Totals(attempts: rows.count, redeemed: rows.count { $0.result == "ok" })
            for row in rows {
                if byTicket[row.ticketID] == nil { order.append(row.ticketID) }
                byTicket[row.ticketID, default: []].append(row)
            }
            var tickets: [EntryReport.Ticket] = []
            for id in order {
                guard let attempts = byTicket[id], attempts.count > 1 else { continue }
                totals.repeatedTickets += 1
                totals.repeatAttempts += attempts.count - 1
                guard tickets.count < limit else { continue }
                tickets.append(EntryReport.Ticket(ticketID: id, attempts: try attempts.map { r in
                    let evidence = try s.evidence(leaf: r.leaf)
                    return EntryReport.Attempt(leaf: r.leaf, height: r.height, timestamp: r.timestamp, gate: r.gate, gateName: names[r.gate],
                                        scannedAt: r.scannedAt, result: r.result, envelopeHash: evidence.hash, proof: evidence.proof)
                }))
            }
            return EntryReport(head: s.head, eventID: id, totals: totals, tickets: tickets)
        }
    }
}
