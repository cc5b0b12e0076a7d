import TalonCrypto
import TalonStore

extension Ledger {
    /// Brings a store written by an earlier schema up to this one, in one transaction.
    /// The `holdings` counts (what contracts see as `ctx.buyer.event_tickets` /
    /// `event_acquisitions`; absent before version 2, keyed by holder first before 3), the
    /// `audit` rows (absent before 3) and the `event_tickets` index (absent before 4) are rebuilt from the stored envelopes exactly as applying
    /// them would have written them, so a node upgraded in place and one replaying its log
    /// from the start hold the same bytes.
    /// - Throws: `LedgerError.storeCorrupt` for a schema newer than this build knows.
    func migrate() throws(LedgerError) {
        try Self.store {
            try env.write { txn in
                let version = try txn.get(tables.meta, Schema.MetaKey.schemaVersion)?.first ?? 1
                guard version <= Schema.schemaVersion else {
                    throw LedgerError.storeCorrupt.with("the store has schema \(version); this build knows up to \(Schema.schemaVersion)")
                }
                guard version < Schema.schemaVersion else { return }
                try txn.removeAll(tables.holdings)
                try txn.removeAll(tables.audit)
                try txn.removeAll(tables.eventTickets)
                try rebuildDerived(txn)
                try txn.put(tables.meta, Schema.MetaKey.schemaVersion, [Schema.schemaVersion])
            }
        }
    }

    /// Replays every envelope's effect on holders into `holdings` and `audit`.
    private func rebuildDerived(_ txn: Transaction) throws {
        var tickets: [String: AuditSubject] = [:]
        var counts: [[UInt8]: Holding] = [:]
        var times: [UInt64: Int64] = [:]
        func change(_ key: PublicKey, _ event: String, gained: Bool) {
            var h = counts[Schema.holdingKey(key, event: event)] ?? Holding()
            if gained { h.held = h.held.saturatingAdd(1); h.acquired = h.acquired.saturatingAdd(1) } else { h.held -= min(h.held, 1) }
            counts[Schema.holdingKey(key, event: event)] = h
        }
        func move(_ ticket: String, to: PublicKey, height: UInt64) {
            guard var t = tickets[ticket] else { return }
            change(t.holder, t.eventID, gained: false)
            change(to, t.eventID, gained: true)
            t.holder = to; t.updatedAt = height
            tickets[ticket] = t
        }
        func touch(_ ticket: String, height: UInt64, drop: Bool) {
            guard var t = tickets[ticket] else { return }
            if drop { change(t.holder, t.eventID, gained: false) }
            t.updatedAt = height
            tickets[ticket] = t
        }
        func timestamp(_ height: UInt64) throws -> Int64 {
            if let t = times[height] { return t }
            let t = try tables.blockTimestamp(txn, height)
            times[height] = t
            return t
        }
        try tables.envelopes.scan(txn) { leaf, envelope in
            guard let bytes = try txn.get(tables.receipts, Schema.u64(leaf)) else {
                throw LedgerError.storeCorrupt.with("envelope at leaf \(leaf) has no receipt")
            }
            let receipt = try Receipt(leaf: leaf, bytes: bytes)
            let height = receipt.height
            if let id = AuditSubject.ticketID(of: envelope.operation), let subject = tickets[id] {
                let decision = try txn.get(tables.decisions, Schema.u64(leaf)).map { try RecordedDecision(leaf: leaf, bytes: $0) }
                if let row = subject.row(envelope, leaf: leaf, height: height, timestamp: try timestamp(height), result: receipt.result,
                                         decision: decision, acquiredAt: try timestamp(subject.updatedAt)) {
                    try txn.put(tables.audit, row.key, row.bytes)
                }
            }
            guard receipt.result == "ok" else { return true }
            switch envelope.operation {
            case .issue(let o):
                for t in o.tickets {
                    tickets[t.ticketID] = AuditSubject(eventID: o.eventID, holder: t.holder, faceValue: t.faceValue, updatedAt: height)
                    change(t.holder, o.eventID, gained: true)
                    try txn.put(tables.eventTickets, Schema.eventTicketKey(o.eventID, t.ticketID), [])
                }
            case .transfer(let o): move(o.ticketID, to: o.to, height: height)
            case .buyResale(let o): move(o.ticketID, to: envelope.signer, height: height)
            case .redeem(let o): touch(o.ticketID, height: height, drop: false)
            case .void(let o): touch(o.ticketID, height: height, drop: true)
            case .requestRefund(let o): touch(o.ticketID, height: height, drop: true)
            default: break
            }
            return true
        }
        // Keys in byte order, so the writes do not depend on the dictionary's order.
        for key in counts.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            if let h = counts[key] { try txn.put(tables.holdings, key, h.bytes) }
        }
    }
}
