import TalonStore

/// Applying entries of a replicated log exactly once: the index of the last entry applied is
/// written in the same transaction as its block, so after a crash the ledger tells the log
/// where to resume, and an entry handed out again is skipped instead of applied twice.
extension Ledger {
    /// The index of the last log entry applied (0 when none).
    /// - Throws: `LedgerError.storeCorrupt`.
    public func appliedLogIndex() throws(LedgerError) -> UInt64 {
        try read { txn in try Self.logIndex(txn, tables.meta) }
    }

    /// Applies the batch of log entry `logIndex` as one block, recording the index with it.
    /// Returns nil, changing nothing, when that entry (or a later one) was already applied.
    /// - Throws: as `apply(_:timestamp:)`.
    @discardableResult
    public func apply(_ envelopes: [Envelope], timestamp: Int64, logIndex: UInt64) throws(LedgerError) -> AppliedBlock? {
        guard !envelopes.isEmpty, envelopes.count <= Limits.envelopesPerBlock else {
            throw LedgerError.invalidBatch.with("a block holds 1–\(Limits.envelopesPerBlock) envelopes, got \(envelopes.count)")
        }
        return try Self.store {
            try env.write { txn -> AppliedBlock? in
                guard try Self.logIndex(txn, tables.meta) < logIndex else { return nil }
                let applied = try applyBlock(txn, envelopes, timestamp)
                try txn.put(tables.meta, Schema.MetaKey.logIndex, Schema.u64(logIndex))
                return applied
            }
        }
    }

    /// Records that log entry `logIndex` carried no block (a leader's no-op). Returns false,
    /// changing nothing, when it or a later entry was already applied.
    /// - Throws: `LedgerError.storeCorrupt`.
    @discardableResult
    public func markApplied(logIndex: UInt64) throws(LedgerError) -> Bool {
        try Self.store {
            try env.write { txn -> Bool in
                guard try Self.logIndex(txn, tables.meta) < logIndex else { return false }
                try txn.put(tables.meta, Schema.MetaKey.logIndex, Schema.u64(logIndex))
                return true
            }
        }
    }

    private static func logIndex(_ txn: Transaction, _ meta: Table) throws -> UInt64 {
        guard let bytes = try txn.get(meta, Schema.MetaKey.logIndex) else { return 0 }
        guard let index = Schema.u64(bytes) else {
            throw LedgerError.storeCorrupt.with("stored log index has \(bytes.count) bytes, expected 8")
        }
        return index
    }
}
