public import TalonProtocol
import TalonStore

/// Applying entries of a replicated log exactly once: the index of the last entry applied is
/// written in the same transaction as its block, so after a crash the ledger tells the log
/// where to resume, and an entry handed out again is skipped instead of applied twice.
extension Ledger {
    /// The index of the last log entry applied (0 when none).
    /// - Throws: `TalonError(.storeCorrupt)`.
    public func appliedLogIndex() throws(TalonError) -> UInt64 {
        try read { txn in try Self.logIndex(txn, tables.meta) }
    }

    /// Applies the batch of log entry `logIndex` as one block, recording the index with it;
    /// the write path's apply. An envelope already in the ledger (`firstReceipt`) or earlier
    /// in the batch is not appended again: a client resubmitting after a lost answer, or two
    /// nodes proposing the same envelope, changes nothing. The decision depends only on the
    /// ledger, so every node makes it alike. Returns nil, changing nothing, when that entry
    /// (or a later one) was already applied. With no `logIndex` (the single-process path,
    /// `talon ledger append`), nothing is recorded and the batch is always applied.
    /// - Throws: as `apply(_:timestamp:)`.
    @discardableResult
    public func apply(_ envelopes: [Envelope], timestamp: Int64, logIndex: UInt64?) throws(TalonError) -> LogApplication? {
        guard !envelopes.isEmpty, envelopes.count <= Limits.envelopesPerBlock else {
            throw TalonError(.invalidBatch, "a block holds 1–\(Limits.envelopesPerBlock) envelopes, got \(envelopes.count)")
        }
        return try Self.store {
            try env.write { txn -> LogApplication? in
                if let logIndex { guard try Self.logIndex(txn, tables.meta) < logIndex else { return nil } }
                // Where each envelope lands: the leaf already holding it, or a place in the new block.
                var slots: [Slot] = []
                var fresh: [Envelope] = []
                var inBatch: [Digest: Int] = [:]
                let lookup = try EnvelopeLookup(self, txn)
                for envelope in envelopes {
                    let hash = envelope.hash
                    if let position = inBatch[hash] {
                        slots.append(.fresh(position))
                    } else if let receipt = try firstReceipt(lookup, hash) {
                        slots.append(.known(receipt))
                    } else {
                        inBatch[hash] = fresh.count
                        slots.append(.fresh(fresh.count))
                        fresh.append(envelope)
                    }
                }
                let block = fresh.isEmpty ? nil : try applyBlock(txn, fresh, timestamp)
                if let logIndex { try txn.put(tables.meta, Schema.MetaKey.logIndex, Schema.u64(logIndex)) }
                let receipts = slots.compactMap { slot -> Receipt? in
                    switch slot {
                    case .known(let receipt): receipt
                    case .fresh(let position): block?.receipts[position]
                    }
                }
                return LogApplication(block: block, receipts: receipts)
            }
        }
    }

    /// Records that log entry `logIndex` carried no block (a leader's no-op). Returns false,
    /// changing nothing, when it or a later entry was already applied.
    /// - Throws: `TalonError(.storeCorrupt)`.
    @discardableResult
    public func markApplied(logIndex: UInt64) throws(TalonError) -> Bool {
        try Self.store {
            try env.write { txn -> Bool in
                guard try Self.logIndex(txn, tables.meta) < logIndex else { return false }
                try txn.put(tables.meta, Schema.MetaKey.logIndex, Schema.u64(logIndex))
                return true
            }
        }
    }

    private enum Slot { case known(Receipt), fresh(Int) }

    static func logIndex(_ txn: Transaction, _ meta: Table) throws -> UInt64 {
        guard let bytes = try txn.get(meta, Schema.MetaKey.logIndex) else { return 0 }
        guard let index = Schema.u64(bytes) else {
            throw TalonError(.storeCorrupt, "stored log index has \(bytes.count) bytes, expected 8")
        }
        return index
    }
}

/// What applying one log entry did.
public struct LogApplication: Sendable {
    /// The block made, or nil when every envelope was already in the ledger.
    public let block: AppliedBlock?
    /// One receipt per envelope given, in order: from the new block, or from the block that
    /// first took it.
    public let receipts: [Receipt]
}
