import TalonCrypto
import TalonStore

extension Ledger {
    /// Brings a store written by an earlier schema up to this one, in one transaction.
    /// Version 1 stores have no `holdings` counts (what contracts see as
    /// `ctx.buyer.event_tickets` / `event_acquisitions`): they are rebuilt from the stored
    /// envelopes exactly as applying them would have counted, so a node upgraded in place
    /// and one replaying its log from the start decide the same.
    /// - Throws: `LedgerError.storeCorrupt` for a schema newer than this build knows.
    func migrate() throws(LedgerError) {
        try Self.store {
            try env.write { txn in
                let version = try txn.get(tables.meta, Schema.MetaKey.schemaVersion)?.first ?? 1
                guard version <= Schema.schemaVersion else {
                    throw LedgerError.storeCorrupt.with("the store has schema \(version); this build knows up to \(Schema.schemaVersion)")
                }
                guard version < Schema.schemaVersion else { return }
                try rebuildHoldings(txn)
                try txn.put(tables.meta, Schema.MetaKey.schemaVersion, [Schema.schemaVersion])
            }
        }
    }

    /// Replays the holder changes of every `ok` envelope into the `holdings` table.
    private func rebuildHoldings(_ txn: Transaction) throws {
        var holders: [String: (holder: PublicKey, event: String)] = [:]
        var counts: [[UInt8]: Holding] = [:]
        func change(_ key: PublicKey, _ event: String, gained: Bool) {
            var h = counts[Schema.holdingKey(key, event: event)] ?? Holding()
            if gained { h.held = h.held.saturatingAdd(1); h.acquired = h.acquired.saturatingAdd(1) } else { h.held -= min(h.held, 1) }
            counts[Schema.holdingKey(key, event: event)] = h
        }
        func move(_ ticket: String, to: PublicKey) {
            guard let (from, event) = holders[ticket] else { return }
            change(from, event, gained: false)
            change(to, event, gained: true)
            holders[ticket] = (to, event)
        }
        func drop(_ ticket: String) {
            guard let (holder, event) = holders[ticket] else { return }
            change(holder, event, gained: false)
        }
        try tables.envelopes.scan(txn) { leaf, envelope in
            guard let bytes = try txn.get(tables.receipts, Schema.u64(leaf)) else {
                throw LedgerError.storeCorrupt.with("envelope at leaf \(leaf) has no receipt")
            }
            guard try Receipt(leaf: leaf, bytes: bytes).result == "ok" else { return true }
            switch envelope.operation {
            case .issue(let o):
                for t in o.tickets {
                    holders[t.ticketID] = (t.holder, o.eventID)
                    change(t.holder, o.eventID, gained: true)
                }
            case .transfer(let o): move(o.ticketID, to: o.to)
            case .buyResale(let o): move(o.ticketID, to: envelope.signer)
            case .void(let o): drop(o.ticketID)
            case .requestRefund(let o): drop(o.ticketID)
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
