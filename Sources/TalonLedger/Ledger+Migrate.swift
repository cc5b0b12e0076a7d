import TalonProtocol
import TalonStore

extension Ledger {
    /// Brings a store written by an earlier schema up to this one. The tables later schemas
    /// added or re-keyed — `holdings` (what contracts see as `ctx.buyer.event_tickets` /
    /// `event_acquisitions`; absent before version 2, keyed by holder first before 3), the
    /// `audit` rows (absent before 3), the `event_tickets` index (absent before 4), the
    /// `merkle` nodes (keyed by level and index before 5, leaves stored too before 7), the
    /// nonces and histories (entries of `accounts`, `tickets` and `event_records` before 6,
    /// set tables since, the ticket's as runs in `tickets` since 8, a key's nonces and holder
    /// history together in `key_sets` in 10, the nonces found through `envelope_hashes` since
    /// 11, holder histories written in bulk since 12) and the envelope hashes
    /// (`envelope_index` by whole hash before 7, indexed in bulk since 9, by epoch since 13) — are derived from
    /// the blocks: every block is applied again, by apply itself, into a scratch
    /// store, whose derived tables then replace the store's in one transaction. So an
    /// upgraded node and one replaying its log from the start hold the same bytes, and no
    /// second copy of apply's rules exists to drift from it.
    /// - Throws: `TalonError(.storeCorrupt)` for a schema newer than this build knows, or when
    ///   applying a block again does not give the results the block records (the store is
    ///   then left as it was).
    func migrate() throws(TalonError) {
        let version = try read { txn in try txn.get(tables.meta, Schema.MetaKey.schemaVersion)?.first ?? 1 }
        guard version <= Schema.schemaVersion else {
            throw TalonError(.storeCorrupt, "the store has schema \(version); this build knows up to \(Schema.schemaVersion)")
        }
        guard version < Schema.schemaVersion else { return }
        let scratch = try ScratchLedger(genesis: genesis)
        try read { txn in try replay(txn, into: scratch.ledger) }
        let derived = [\Tables.holdings, \Tables.audit, \Tables.eventTickets, \Tables.merkle, \Tables.tickets, \Tables.pendingHolders]
        let derivedSets = [\Tables.keySets, \Tables.eventHistory, \Tables.envelopeHashes]
        try Self.store {
            try scratch.ledger.env.read { source in
                try env.write { txn in
                    for table in derived {
                        try txn.removeAll(tables[keyPath: table])
                        try source.scan(scratch.ledger.tables[keyPath: table]) { key, value in
                            try txn.put(tables[keyPath: table], key, value)
                            return true
                        }
                    }
                    for set in derivedSets {
                        try txn.removeAll(tables[keyPath: set])
                        try source.scan(scratch.ledger.tables[keyPath: set]) { key, member in
                            try txn.append(tables[keyPath: set], key, member)
                            return true
                        }
                    }
                    // The scratch store indexed its newest leaves only in memory and
                    // `pending_holders`: the mark says which leaves its indexes hold, the same
                    // leaves here.
                    if let mark = try source.get(scratch.ledger.tables.meta, Schema.MetaKey.indexedThrough) {
                        try txn.put(tables.meta, Schema.MetaKey.indexedThrough, mark)
                    } else {
                        _ = try txn.delete(tables.meta, Schema.MetaKey.indexedThrough)
                    }
                    // Its epochs too (a store from before 13 has none).
                    if let epochs = try source.get(scratch.ledger.tables.meta, Schema.MetaKey.hashEpochLeaves) {
                        try txn.put(tables.meta, Schema.MetaKey.hashEpochLeaves, epochs)
                    }
                    _ = try txn.delete(tables.meta, Schema.MetaKey.retiredHashIndexThrough)
                    for name in Schema.retired { _ = try txn.dropTable(named: name) }
                    try txn.put(tables.meta, Schema.MetaKey.schemaVersion, [Schema.schemaVersion])
                }
            }
        }
    }

    /// Applies every stored block again to `target`, checking that each envelope's result is
    /// the one its block records.
    private func replay(_ txn: Transaction, into target: Ledger) throws {
        var height: UInt64 = 1
        while let block = try tables.blocks.get(txn, height) {
            let envelopes = try (0..<UInt64(block.entries.count)).map { i in
                guard let envelope = try tables.envelopes.get(txn, block.firstLeaf + i) else {
                    throw TalonError(.storeCorrupt, "block \(height) names leaf \(block.firstLeaf + i), which holds no envelope")
                }
                return envelope
            }
            let applied = try target.apply(envelopes, timestamp: block.timestamp)
            for (fresh, stored) in zip(applied.block.entries, block.entries) where fresh.result != stored.result {
                throw TalonError(.storeCorrupt, 
                    "block \(height) records \(stored.result) for \(stored.envelopeHash.hex.prefix(16))…, applying it again gives \(fresh.result): not migrating")
            }
            height += 1
        }
    }
}
