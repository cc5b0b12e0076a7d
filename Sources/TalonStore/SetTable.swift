public import TalonProtocol

/// A table whose keys each hold an ordered set of 64-bit members (LMDB's `MDB_DUPSORT` with
/// `MDB_DUPFIXED`): a member costs its 8 bytes in a packed page, not a B-tree entry of its
/// own with the key repeated, so a history of leaves per ticket or holder stays small.
public struct SetTable: Sendable, Hashable {
    /// The table's name.
    public let name: String
    let dbi: UInt32
}

extension Transaction {
    /// Adds `member` to the set under `key`; returns false, and changes nothing, when it
    /// was there already.
    /// - Throws: `TalonError(.storeError)`, `TalonError(.storeMapFull)`, `TalonError(.storeFull)`.
    public func insert(_ set: SetTable, _ key: [UInt8], _ member: UInt64) throws(TalonError) -> Bool {
        let rc = LMDB.put(try txn, set.dbi, key, member.storeBytes, .newMember)
        if rc == 0 { return true }
        if rc == LMDB.keyExist { return false }
        if rc == LMDB.mapFull { state.mapFull = true }
        throw LMDB.error(rc, "insert into \(set.name)")
    }

    /// Adds `member`, which must be greater than every member under `key` (the newest leaf
    /// of a history): the set's pages then fill up instead of splitting half empty.
    /// - Throws: `TalonError(.storeNotAppending)` when it is not the greatest; otherwise as `insert`.
    public func append(_ set: SetTable, _ key: [UInt8], _ member: UInt64) throws(TalonError) {
        try appended(set, LMDB.put(try txn, set.dbi, key, member.storeBytes, .appendMember))
    }

    /// Appends each member under its key, in order, as `append(_:_:_:)` would one by one, but
    /// through one cursor: give the entries in key order (each member greater than those
    /// under its key so far) and each costs a search within one page, not a descent from the
    /// root (a flush of bulk indexes writes tens of thousands).
    /// - Throws: as `append(_:_:_:)`, for the first entry that fails; those before it are written.
    public func append(_ set: SetTable, members entries: [(key: [UInt8], member: UInt64)]) throws(TalonError) {
        try appended(set, LMDB.appendMembers(try txn, set.dbi, entries))
    }

    /// Nothing for an append's result code 0; its error otherwise.
    private func appended(_ set: SetTable, _ rc: Int32) throws(TalonError) {
        if rc == 0 { return }
        if rc == LMDB.keyExist {
            throw TalonError(.storeNotAppending, "append to \(set.name) with a member that is not the greatest of its key")
        }
        if rc == LMDB.mapFull { state.mapFull = true }
        throw LMDB.error(rc, "append to \(set.name)")
    }

    /// True when `member` is in the set under `key`.
    public func contains(_ set: SetTable, _ key: [UInt8], _ member: UInt64) throws(TalonError) -> Bool {
        try LMDB.containsMember(try txn, set.dbi, key, member.storeBytes)
    }

    /// The first `limit` members under `key` greater than `after` (from the least when nil),
    /// in increasing order.
    public func members(_ set: SetTable, _ key: [UInt8], after: UInt64? = nil, limit: Int = .max) throws -> [UInt64] {
        var out: [UInt64] = []
        let from: UInt64
        switch after {
        case nil: from = 0
        case .some(.max): return []
        case .some(let a): from = a + 1
        }
        guard limit > 0 else { return [] }
        try LMDB.walkMembers(try txn, set.dbi, key, from: from.storeBytes) { bytes in
            out.append(try UInt64(storeBytes: bytes))
            return out.count < limit
        }
        return out
    }

    /// Visits every key and member, keys in order and each key's members in order, until
    /// `body` returns false.
    public func scan(_ set: SetTable, _ body: (_ key: [UInt8], _ member: UInt64) throws -> Bool) throws {
        try LMDB.walk(try txn, set.dbi, start: .first, forward: true) { k, v in try body(k, try UInt64(storeBytes: v)) }
    }

    /// Visits every key that holds a member, in order, as bytes valid only during the call
    /// (no copy: for walking a large table's keys cheaply).
    public func scanKeys(_ set: SetTable, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try LMDB.walkKeys(try txn, set.dbi, body)
    }

    /// Deletes every member of every key (the table itself stays).
    public func removeAll(_ set: SetTable) throws(TalonError) {
        try LMDB.empty(try txn, set.dbi)
    }

    /// Deletes the table `name` — one that this environment did not open, such as a table an
    /// older schema had — with its contents; returns false when the store has no such table.
    public func dropTable(named name: String) throws(TalonError) -> Bool {
        try LMDB.dropTable(try txn, name: name)
    }
}
