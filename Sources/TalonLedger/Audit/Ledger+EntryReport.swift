public import TalonProtocol
import TalonStore

extension Ledger {
    /// The double-entry report of event `id` (nil when there is no such event). Reads the
    /// event's redeem rows and gates only.
    public func entryReport(event id: String, limit: Int = 1000, prove: Bool = false, signer: HeadSigner? = nil) throws(TalonError) -> Audited<EntryReport, Head>? {
        try audit(prove: prove, signer: signer) { s -> Audited<EntryReport, Head>? in
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
            return Audited(head: s.head, report: EntryReport(eventID: id, totals: totals, tickets: tickets))
        }
    }
}
