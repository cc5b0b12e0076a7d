public import TalonProtocol
import TalonStore

/// Committed log entries that could not be applied as a batch: recorded, never fatal.
extension Ledger {
    /// Records that committed log entry `logIndex` cannot be applied as a batch, in the same
    /// transaction that advances the applied log index; no block is made. Every node
    /// records the same row (it depends only on the entry's data and the reason computed
    /// from it). Returns nil, changing nothing, when that entry (or a later one) was
    /// already applied.
    /// - Throws: `TalonError(.storeCorrupt)` and other store codes: those stop the node.
    @discardableResult
    public func recordRejectedEntry(logIndex: UInt64, data: [UInt8], code: Code, message: String) throws(TalonError) -> RejectedEntry? {
        let entry = RejectedEntry(logIndex: logIndex, data: data, code: code, message: message)
        return try Self.store {
            try env.write { txn -> RejectedEntry? in
                guard try Self.logIndex(txn, tables.meta) < logIndex else { return nil }
                try txn.put(tables.rejectedEntries, Schema.u64(logIndex), entry.bytes)
                try txn.put(tables.meta, Schema.MetaKey.logIndex, Schema.u64(logIndex))
                return entry
            }
        }
    }

    /// Rejected entries in log order, after log index `after`, at most `limit`.
    /// - Throws: `TalonError(.storeCorrupt)`.
    public func rejectedEntries(after: UInt64? = nil, limit: Int = 1000) throws(TalonError) -> [RejectedEntry] {
        try read { txn in
            var out: [RejectedEntry] = []
            guard after != .max else { return out }
            let start = after.map { Schema.u64($0 + 1) }
            try txn.scan(tables.rejectedEntries, from: start) { key, value in
                guard out.count < limit, let index = Schema.u64(key) else { return false }
                out.append(try RejectedEntry(logIndex: index, bytes: value))
                return true
            }
            return out
        }
    }

    /// How many committed entries were recorded as rejected.
    /// - Throws: `TalonError(.storeCorrupt)`.
    public func rejectedEntryCount() throws(TalonError) -> Int {
        try read { txn in try txn.count(tables.rejectedEntries) }
    }
}
