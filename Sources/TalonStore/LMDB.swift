// The one file that touches LMDB. Every pointer it gets from LMDB is copied into a Swift
// array before the call returns, so nothing outlives its transaction.
import CLMDB
import TalonProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum LMDB {
    static let mapFull = MDB_MAP_FULL
    static let mapResized = MDB_MAP_RESIZED
    static let notFound = MDB_NOTFOUND
    static let keyExist = MDB_KEYEXIST

    static func message(_ rc: Int32) -> String { String(cString: mdb_strerror(rc)) }

    static func check(_ rc: Int32, _ what: @autoclosure () -> String) throws(TalonError) {
        guard rc != 0 else { return }
        throw error(rc, what())
    }

    static func error(_ rc: Int32, _ what: String) -> TalonError {
        switch rc {
        // A page write (at commit, or a spill during a transaction) found no space. LMDB
        // aborts the transaction before writing its meta page, so nothing of it is stored
        // and the environment stays usable: a later write succeeds once space returns.
        case ENOSPC, EFBIG, EDQUOT: TalonError(.storeFull, "\(what): \(message(rc))")
        case MDB_MAP_FULL: TalonError(.storeMapFull, "\(what): \(message(rc))")
        case MDB_BAD_VALSIZE: TalonError(.storeValueTooLarge, "\(what): \(message(rc))")
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND, MDB_INVALID, MDB_VERSION_MISMATCH:
            TalonError(.storeCorrupt, "\(what): \(message(rc))")
        default: TalonError(.storeError, "\(what): \(message(rc))")
        }
    }

    // MARK: environment

    static func openEnvironment(path: String, mapSize: Int, maxTables: Int, sync: Bool, syncMeta: Bool = true) throws(TalonError) -> OpaquePointer {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw TalonError(.storeOpenFailed, "mdb_env_create returned no environment") }
        do throws(TalonError) {
            try check(mdb_env_set_maxdbs(env, MDB_dbi(maxTables)), "mdb_env_set_maxdbs")
            try check(mdb_env_set_mapsize(env, mapSize), "mdb_env_set_mapsize")
            try check(mdb_env_set_maxreaders(env, 254), "mdb_env_set_maxreaders")
            var flags = UInt32(MDB_NOTLS)
            if !sync { flags |= UInt32(MDB_NOSYNC) } else if !syncMeta { flags |= UInt32(MDB_NOMETASYNC) }
            let rc = mdb_env_open(env, path, flags, 0o600)
            if rc != 0 {
                throw TalonError(.storeOpenFailed, "cannot open store at \(path): \(message(rc))")
            }
        } catch {
            mdb_env_close(env)
            throw error
        }
        return env
    }

    static func closeEnvironment(_ env: OpaquePointer) { mdb_env_close(env) }

    static func mapSize(_ env: OpaquePointer) -> Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    static func pageSize(_ env: OpaquePointer) -> Int {
        var stat = MDB_stat()
        mdb_env_stat(env, &stat)
        return Int(stat.ms_psize)
    }

    /// Bytes of the map in use: up to the highest page ever allocated (freed pages below it
    /// are reused before the map grows, so this never underestimates what fits).
    static func usedBytes(_ env: OpaquePointer) -> Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return (info.me_last_pgno + 1) * pageSize(env)
    }

    /// Pages on the free list (freed by earlier commits, waiting for reuse): LMDB's table 0
    /// maps a transaction id to the pages it freed, a count then that many page numbers.
    static func freePages(_ txn: OpaquePointer) throws -> Int {
        var total = 0
        try walk(txn, 0, start: .first, forward: true, valuePrefix: MemoryLayout<Int>.size) { _, v in
            guard v.count == MemoryLayout<Int>.size else { throw TalonError(.storeCorrupt, "a free-list entry has no count") }
            total += v.withUnsafeBytes { $0.loadUnaligned(as: Int.self) }
            return true
        }
        return total
    }

    /// Sets the map size; the caller guarantees no transaction of this process is open.
    static func setMapSize(_ env: OpaquePointer, _ size: Int) throws(TalonError) {
        try check(mdb_env_set_mapsize(env, size), "mdb_env_set_mapsize(\(size))")
    }

    /// Flushes the environment. A failed flush is never `store_full`: after a failed fsync
    /// the kernel may have dropped the pages it could not write, so what is on disk is
    /// unknown and the caller must stop rather than go on (as PostgreSQL does).
    static func sync(_ env: OpaquePointer) throws(TalonError) {
        let rc = mdb_env_sync(env, 1)
        guard rc != 0 else { return }
        throw TalonError(.storeError, "mdb_env_sync: \(message(rc))")
    }

    // MARK: transactions

    static func begin(_ env: OpaquePointer, readOnly: Bool) -> (OpaquePointer?, Int32) {
        var txn: OpaquePointer?
        let rc = mdb_txn_begin(env, nil, readOnly ? UInt32(MDB_RDONLY) : 0, &txn)
        return (txn, rc)
    }

    static func commit(_ txn: OpaquePointer) -> Int32 { mdb_txn_commit(txn) }
    static func abort(_ txn: OpaquePointer) { mdb_txn_abort(txn) }

    /// Opens (creating it) the table `name`; with `sets`, each key holds a sorted set of
    /// fixed-size values (`MDB_DUPSORT | MDB_DUPFIXED`).
    static func openTable(_ txn: OpaquePointer, name: String, sets: Bool = false) throws(TalonError) -> UInt32 {
        var dbi = MDB_dbi()
        let flags = UInt32(MDB_CREATE) | (sets ? UInt32(MDB_DUPSORT | MDB_DUPFIXED) : 0)
        try check(mdb_dbi_open(txn, name, flags, &dbi), "open table \(name)")
        return dbi
    }

    /// Deletes the table `name` and its contents, if the file has one; true when it had.
    static func dropTable(_ txn: OpaquePointer, name: String) throws(TalonError) -> Bool {
        var dbi = MDB_dbi()
        let rc = mdb_dbi_open(txn, name, 0, &dbi)
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "open table \(name)")
        try check(mdb_drop(txn, dbi, 1), "drop table \(name)")
        return true
    }

    // MARK: data

    static func get(_ txn: OpaquePointer, _ dbi: UInt32, _ key: [UInt8], prefix: Int = .max) throws(TalonError) -> [UInt8]? {
        var k = MDB_val()
        var v = MDB_val()
        let rc: Int32 = key.withUnsafeBytes { kb in
            k.mv_size = kb.count
            k.mv_data = UnsafeMutableRawPointer(mutating: kb.baseAddress)
            return mdb_get(txn, dbi, &k, &v)
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "get")
        v.mv_size = min(v.mv_size, prefix)
        return copy(v)
    }

    /// `appendMember` and `newMember` are for set tables: add a value greater than every
    /// value under the key (`MDB_APPENDDUP`), or one not yet under it (`MDB_NODUPDATA`).
    enum PutMode { case replace, append, noOverwrite, appendMember, newMember }

    static func put(_ txn: OpaquePointer, _ dbi: UInt32, _ key: [UInt8], _ value: [UInt8], _ mode: PutMode) -> Int32 {
        let flags = switch mode {
        case .replace: UInt32(0)
        case .append: UInt32(MDB_APPEND)
        case .noOverwrite: UInt32(MDB_NOOVERWRITE)
        case .appendMember: UInt32(MDB_APPENDDUP)
        case .newMember: UInt32(MDB_NODUPDATA)
        }
        return key.withUnsafeBytes { kb in
            value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                return mdb_put(txn, dbi, &k, &v, flags)
            }
        }
    }

    /// Appends each entry's member (8 bytes, big-endian) under its key, in order, through one
    /// cursor (`MDB_APPENDDUP`), stopping at the first that fails (its code is returned; the
    /// entries before it stay put). For keys in increasing order this is the cheap way to write
    /// many: the cursor stays on its leaf page, and a key that falls on that page is found
    /// there without descending from the root again.
    static func appendMembers(_ txn: OpaquePointer, _ dbi: UInt32, _ entries: [(key: [UInt8], member: UInt64)]) -> Int32 {
        var cursor: OpaquePointer?
        let opened = mdb_cursor_open(txn, dbi, &cursor)
        guard opened == 0 else { return opened }
        defer { mdb_cursor_close(cursor) }
        for entry in entries {
            var member = entry.member.bigEndian
            let rc = entry.key.withUnsafeBytes { kb in
                withUnsafeMutableBytes(of: &member) { vb in
                    var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                    var v = MDB_val(mv_size: vb.count, mv_data: vb.baseAddress)
                    return mdb_cursor_put(cursor, &k, &v, UInt32(MDB_APPENDDUP))
                }
            }
            if rc != 0 { return rc }
        }
        return 0
    }

    static func delete(_ txn: OpaquePointer, _ dbi: UInt32, _ key: [UInt8]) -> Int32 {
        key.withUnsafeBytes { kb in
            var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            return mdb_del(txn, dbi, &k, nil)
        }
    }

    static func empty(_ txn: OpaquePointer, _ dbi: UInt32) throws(TalonError) {
        try check(mdb_drop(txn, dbi, 0), "mdb_drop")
    }

    static func count(_ txn: OpaquePointer, _ dbi: UInt32) throws(TalonError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// The last key <= `key` and its value, or nil when every key is greater (or the table
    /// is empty): one cursor positioning, copies of the one pair found.
    static func floor(_ txn: OpaquePointer, _ dbi: UInt32, _ key: [UInt8]) throws(TalonError) -> (key: [UInt8], value: [UInt8])? {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        let rc = seekFloor(cursor, key, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "cursor")
        return (copy(k), copy(v))
    }

    /// Positions `cursor` at the last key <= `key`: MDB_SET_RANGE finds the first >= it, then
    /// one step back unless that is `key` itself (or to the last key when none is >= it).
    private static func seekFloor(_ cursor: OpaquePointer?, _ key: [UInt8], _ k: inout MDB_val, _ v: inout MDB_val) -> Int32 {
        var rc = key.withUnsafeBytes { kb in
            k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
            return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
        }
        if rc == MDB_NOTFOUND {
            rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
        } else if rc == 0, !equal(k, key) {
            rc = mdb_cursor_get(cursor, &k, &v, MDB_PREV)
        }
        return rc
    }

    /// True when `v` holds exactly the bytes of `bytes` (compared in place, no copy).
    private static func equal(_ v: MDB_val, _ bytes: [UInt8]) -> Bool {
        guard v.mv_size == bytes.count else { return false }
        guard v.mv_size > 0, let p = v.mv_data else { return true }
        return bytes.withUnsafeBytes { b in
            guard let base = b.baseAddress else { return false }
            return memcmp(p, base, v.mv_size) == 0
        }
    }

    private static func copy(_ v: MDB_val) -> [UInt8] {
        guard v.mv_size > 0, let p = v.mv_data else { return [] }
        return Array(UnsafeRawBufferPointer(start: p, count: v.mv_size))
    }

    // MARK: set tables

    /// True when `value` is one of the values under `key` (`MDB_GET_BOTH`).
    static func containsMember(_ txn: OpaquePointer, _ dbi: UInt32, _ key: [UInt8], _ value: [UInt8]) throws(TalonError) -> Bool {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        let rc = key.withUnsafeBytes { kb in
            value.withUnsafeBytes { vb in
                var k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                var v = MDB_val(mv_size: vb.count, mv_data: UnsafeMutableRawPointer(mutating: vb.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_GET_BOTH)
            }
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "get both")
        return true
    }

    /// Calls `body` with copies of the values under `key`, in order, from the first one
    /// >= `from` (`MDB_GET_BOTH_RANGE`, then `MDB_NEXT_DUP`), until it returns false.
    static func walkMembers(_ txn: OpaquePointer, _ dbi: UInt32, _ key: [UInt8], from: [UInt8],
                            _ body: ([UInt8]) throws -> Bool) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc = key.withUnsafeBytes { kb in
            from.withUnsafeBytes { fb in
                k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                v = MDB_val(mv_size: fb.count, mv_data: UnsafeMutableRawPointer(mutating: fb.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_GET_BOTH_RANGE)
            }
        }
        while rc == 0 {
            guard try body(copy(v)) else { return }
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_DUP)
        }
        if rc != MDB_NOTFOUND { try check(rc, "cursor") }
    }

    /// Calls `body` with each distinct key of a set table, in order (`MDB_NEXT_NODUP`), the
    /// bytes valid only during the call: no copy is made.
    static func walkKeys(_ txn: OpaquePointer, _ dbi: UInt32, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        while rc == 0 {
            try body(UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size))
            rc = mdb_cursor_get(cursor, &k, &v, MDB_NEXT_NODUP)
        }
        if rc != MDB_NOTFOUND { try check(rc, "cursor") }
    }

    // MARK: cursors

    enum Position { case first, last, next, prev, setRange([UInt8]) }

    /// Walks a table in key order from `start`, calling `body` with copies of each pair
    /// until it returns false. The cursor is closed before this returns.
    static func walk(
        _ txn: OpaquePointer, _ dbi: UInt32, start: Position, forward: Bool, valuePrefix: Int = .max,
        _ body: ([UInt8], [UInt8]) throws -> Bool
    ) throws -> Void {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "mdb_cursor_open")
        defer { mdb_cursor_close(cursor) }
        var k = MDB_val()
        var v = MDB_val()
        var rc: Int32
        switch start {
        case .first: rc = mdb_cursor_get(cursor, &k, &v, MDB_FIRST)
        case .last: rc = mdb_cursor_get(cursor, &k, &v, MDB_LAST)
        case .next, .prev: rc = MDB_NOTFOUND
        case .setRange(let key) where forward:
            rc = key.withUnsafeBytes { kb in
                k = MDB_val(mv_size: kb.count, mv_data: UnsafeMutableRawPointer(mutating: kb.baseAddress))
                return mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
            }
        case .setRange(let key):
            // Reverse from a key: start at the last key <= it.
            rc = seekFloor(cursor, key, &k, &v)
        }
        while rc == 0 {
            v.mv_size = min(v.mv_size, valuePrefix)
            guard try body(copy(k), copy(v)) else { return }
            rc = mdb_cursor_get(cursor, &k, &v, forward ? MDB_NEXT : MDB_PREV)
        }
        if rc != MDB_NOTFOUND { try check(rc, "cursor") }
    }
}
