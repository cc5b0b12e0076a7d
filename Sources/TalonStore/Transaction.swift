public import TalonProtocol

/// A named table of an environment. Keys sort as unsigned bytes, shorter first on a tie.
public struct Table: Sendable, Hashable {
    /// The table's name.
    public let name: String
    let dbi: UInt32
}

/// A live LMDB transaction, lent to a `read` or `write` closure. It is not `Sendable`, so it
/// stays on the thread that runs the closure; once the closure returns it is closed and
/// every call throws `store_transaction_closed`. Every value it returns is a copy.
public final class Transaction {
    private var handle: OpaquePointer?
    /// True inside `Environment.write`.
    public let isWritable: Bool
    let state: TransactionState

    init(_ txn: OpaquePointer, writable: Bool, state: TransactionState) {
        self.handle = txn
        self.isWritable = writable
        self.state = state
    }

    /// Called by the environment before it commits or aborts the LMDB transaction.
    func close() { handle = nil }

    var txn: OpaquePointer {
        get throws(TalonError) {
            guard let handle else {
                throw TalonError(.storeTransactionClosed, "a transaction was used after its closure returned")
            }
            return handle
        }
    }

    /// Runs `body` on this thread once this transaction has committed, so other readers see
    /// its writes (for a write joined to a group, once the group commits; a group's deferred
    /// flush may still follow); never when it is discarded, nor for a read-only one.
    public func afterCommit(_ body: @escaping () -> Void) {
        if isWritable { state.afterCommit.append(body) }
    }

    /// The value stored under `key`, or nil.
    public func get(_ table: Table, _ key: [UInt8]) throws(TalonError) -> [UInt8]? {
        try LMDB.get(try txn, table.dbi, key)
    }

    /// The first `prefix` bytes of the value stored under `key` (all of it when shorter), or
    /// nil: reads a fixed-size header without copying a large value.
    public func get(_ table: Table, _ key: [UInt8], prefix: Int) throws(TalonError) -> [UInt8]? {
        try LMDB.get(try txn, table.dbi, key, prefix: max(0, prefix))
    }

    /// True when `key` is present.
    public func contains(_ table: Table, _ key: [UInt8]) throws(TalonError) -> Bool {
        try LMDB.get(try txn, table.dbi, key) != nil
    }

    /// Stores `value` under `key`, replacing any previous value. With `append`, the key must
    /// sort after every key in the table (faster for sequential keys).
    /// - Throws: `TalonError(.storeNotAppending)`, `TalonError(.storeValueTooLarge)`, `TalonError(.storeError)`.
    public func put(_ table: Table, _ key: [UInt8], _ value: [UInt8], append: Bool = false) throws(TalonError) {
        let rc = LMDB.put(try txn, table.dbi, key, value, append ? .append : .replace)
        if rc == 0 { return }
        if rc == LMDB.mapFull { state.mapFull = true }
        if rc == LMDB.keyExist && append {
            throw TalonError(.storeNotAppending, "append to \(table.name) with a key that does not sort last")
        }
        throw LMDB.error(rc, "put \(table.name)")
    }

    /// Stores `value` under `key` unless `key` is present, in one lookup; returns false, and
    /// writes nothing, when it was.
    /// - Throws: `TalonError(.storeValueTooLarge)`, `TalonError(.storeError)`.
    public func insert(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws(TalonError) -> Bool {
        let rc = LMDB.put(try txn, table.dbi, key, value, .noOverwrite)
        if rc == 0 { return true }
        if rc == LMDB.keyExist { return false }
        if rc == LMDB.mapFull { state.mapFull = true }
        throw LMDB.error(rc, "insert \(table.name)")
    }

    /// Removes `key`; returns false when it was absent.
    @discardableResult
    public func delete(_ table: Table, _ key: [UInt8]) throws(TalonError) -> Bool {
        let rc = LMDB.delete(try txn, table.dbi, key)
        if rc == LMDB.notFound { return false }
        try LMDB.check(rc, "delete \(table.name)")
        return true
    }

    /// Deletes every entry of `table` (the table itself stays).
    public func removeAll(_ table: Table) throws(TalonError) {
        try LMDB.empty(try txn, table.dbi)
    }

    /// The number of entries in `table`.
    public func count(_ table: Table) throws(TalonError) -> Int {
        try LMDB.count(try txn, table.dbi)
    }

    /// The last (greatest) key and its value (only its first `prefix` bytes when given), or
    /// nil for an empty table.
    public func last(_ table: Table, prefix: Int = .max) throws -> (key: [UInt8], value: [UInt8])? {
        var found: (key: [UInt8], value: [UInt8])?
        try LMDB.walk(try txn, table.dbi, start: .last, forward: false, valuePrefix: max(0, prefix)) { k, v in
            found = (k, v)
            return false
        }
        return found
    }

    /// The entry with the greatest key <= `key`, or nil when there is none.
    public func floor(_ table: Table, _ key: [UInt8]) throws(TalonError) -> (key: [UInt8], value: [UInt8])? {
        try LMDB.floor(try txn, table.dbi, key)
    }

    /// Visits entries in key order starting at the first key >= `from` (or the first key),
    /// stopping before `to` (exclusive) or when `body` returns false. With `reverse`, walks
    /// downwards from the last key <= `from` (or the last key), stopping at keys < `to`.
    public func scan(
        _ table: Table, from: [UInt8]? = nil, to: [UInt8]? = nil, reverse: Bool = false,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        let start: LMDB.Position = from.map { .setRange($0) } ?? (reverse ? .last : .first)
        try LMDB.walk(try txn, table.dbi, start: start, forward: !reverse) { k, v in
            if let to {
                if !reverse && !k.lexicographicallyPrecedes(to) { return false }
                if reverse && k.lexicographicallyPrecedes(to) { return false }
            }
            return try body(k, v)
        }
    }

    /// Visits, in key order, every entry whose key starts with `prefix`.
    public func scan(
        _ table: Table, prefix: [UInt8], reverse: Bool = false,
        _ body: (_ key: [UInt8], _ value: [UInt8]) throws -> Bool
    ) throws {
        if reverse {
            // Start from the greatest key with this prefix: prefix followed by 0xFF bytes.
            let from = prefix + [UInt8](repeating: 0xFF, count: 64)
            try LMDB.walk(try txn, table.dbi, start: .setRange(from), forward: false) { k, v in
                guard k.starts(with: prefix) else { return !k.lexicographicallyPrecedes(prefix) }
                return try body(k, v)
            }
        } else {
            try LMDB.walk(try txn, table.dbi, start: .setRange(prefix), forward: true) { k, v in
                guard k.starts(with: prefix) else { return false }
                return try body(k, v)
            }
        }
    }
}
