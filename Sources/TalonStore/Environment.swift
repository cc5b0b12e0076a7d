#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import TalonProtocol
import Synchronization

/// An LMDB environment: a directory holding named tables, one writer at a time and any
/// number of concurrent readers.
///
/// Transactions are exposed only as synchronous closures (`read { txn in … }`,
/// `write { txn in … }`), so a transaction never crosses a thread or an `await`, and
/// no pointer into the map survives it. When the map fills, `write` grows it and runs
/// the closure again: `MDB_MAP_FULL` never reaches the caller.
public final class Environment: @unchecked Sendable {
    // @unchecked: `env` is an LMDB handle that LMDB documents as usable from any thread
    // with MDB_NOTLS; `mapLock` guards resizes against open transactions, `writeLock`
    // serializes writers, and the table map is immutable after init.
    private let env: OpaquePointer
    private let tables: [String: UInt32]
    private let sets: [String: UInt32]
    private var mapLock = pthread_rwlock_t()
    private var writeLock = pthread_mutex_t()
    private let committed = Atomic<Int>(0)
    private let flushed = Atomic<Int>(0)
    /// The directory of the environment.
    public let path: String
    private let syncDelay: Duration
    private let syncsOnCommit: Bool
    /// The thread running `group` (0 when none): its reads and writes join `grouped`.
    private let groupOwner = Atomic<UInt>(0)
    /// The open group's transaction; touched only by `groupOwner`'s thread.
    private var grouped: Group?

    /// Options for opening an environment.
    public struct Options: Sendable {
        /// The initial map size in bytes; it doubles whenever a write fills it.
        public var initialMapSize: Int = 64 << 20
        /// When false, commits do not fsync (benchmarks and throw-away stores only).
        public var sync: Bool = true
        /// When false (and `sync` is true), a commit syncs its data pages but not the meta
        /// page (LMDB's `MDB_NOMETASYNC`): the store stays intact through a power cut, but
        /// the last commits may be undone unless `sync()` ran after them.
        public var syncMeta: Bool = true
        /// Test seam: slept after each syncing commit and each `sync()`, as a slow disk
        /// would take (`talon node run --test-sync-delay-ms` in debug builds).
        public var syncDelay: Duration = .zero
        /// An options value with the defaults.
        public init(initialMapSize: Int = 64 << 20, sync: Bool = true, syncMeta: Bool = true, syncDelay: Duration = .zero) {
            self.initialMapSize = initialMapSize
            self.sync = sync
            self.syncMeta = syncMeta
            self.syncDelay = syncDelay
        }
    }

    /// Creates `path` and any missing parents (mode 0700); the error text when that fails.
    private static func makeDirectories(_ path: String) -> String? {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return String(cString: strerror(errno)) }
            prefix += "/"
        }
        return nil
    }

    /// True when `path` holds an environment (its `data.mdb`); nothing is created.
    public static func exists(at path: String) -> Bool {
        access(path + "/data.mdb", F_OK) == 0
    }

    /// Opens (creating it and its parents if needed) the environment at directory `path`
    /// with the named tables and set tables.
    /// - Throws: `TalonError(.storeOpenFailed)` when the directory cannot be created or opened.
    public init(path: String, tables names: [String], sets setNames: [String] = [], options: Options = Options()) throws(TalonError) {
        if let failure = Self.makeDirectories(path) {
            throw TalonError(.storeOpenFailed, "cannot create store directory \(path): \(failure)")
        }
        // Spare handles let a migration open, and drop, tables of an older schema.
        let env = try LMDB.openEnvironment(path: path, mapSize: options.initialMapSize, maxTables: names.count + setNames.count + 4,
                                               sync: options.sync, syncMeta: options.syncMeta)
        var tables: [String: UInt32] = [:]
        var sets: [String: UInt32] = [:]
        do throws(TalonError) {
            let (txn, rc) = LMDB.begin(env, readOnly: false)
            guard rc == 0, let txn else { throw LMDB.error(rc, "begin") }
            do throws(TalonError) {
                for name in names { tables[name] = try LMDB.openTable(txn, name: name) }
                for name in setNames { sets[name] = try LMDB.openTable(txn, name: name, sets: true) }
            } catch {
                LMDB.abort(txn)
                throw error
            }
            try LMDB.check(LMDB.commit(txn), "commit table creation")
        } catch {
            LMDB.closeEnvironment(env)
            throw error
        }
        self.env = env
        self.tables = tables
        self.sets = sets
        self.path = path
        syncDelay = options.syncDelay
        syncsOnCommit = options.sync
        pthread_rwlock_init(&mapLock, nil)
        pthread_mutex_init(&writeLock, nil)
    }

    deinit {
        LMDB.closeEnvironment(env)
        pthread_rwlock_destroy(&mapLock)
        pthread_mutex_destroy(&writeLock)
    }

    /// The handle of a table named at init. Names not given at init are a programming error.
    public func table(_ name: String) -> Table {
        guard let dbi = tables[name] else { preconditionFailure("table \(name) was not declared when the environment was opened") }
        return Table(name: name, dbi: dbi)
    }

    /// The handle of a set table named at init. Names not given at init are a programming error.
    public func set(_ name: String) -> SetTable {
        guard let dbi = sets[name] else { preconditionFailure("set table \(name) was not declared when the environment was opened") }
        return SetTable(name: name, dbi: dbi)
    }

    /// Write transactions committed since the environment was opened: a caller waiting for
    /// space to return sees a write succeed when this grows.
    public var commits: Int { committed.load(ordering: .relaxed) }

    /// Explicit flushes (`sync()`, or a group's deferred one) since the environment was opened.
    public var flushes: Int { flushed.load(ordering: .relaxed) }

    /// The current map size in bytes.
    public var mapSize: Int { LMDB.mapSize(env) }

    /// Bytes of the pages holding data as of the last commit: the file up to its highest
    /// page, less the pages on the free list (freed by copy-on-write, reused by later commits).
    public func liveBytes() throws -> Int {
        let free = try read { txn in try LMDB.freePages(try txn.txn) }
        return LMDB.usedBytes(env) - free * LMDB.pageSize(env)
    }

    /// Runs `body` in a read-only transaction that sees one consistent snapshot. Readers
    /// never block the writer nor each other.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
        if let group = joinedGroup() { return try group.run(body, writes: false) }
        pthread_rwlock_rdlock(&mapLock)
        defer { pthread_rwlock_unlock(&mapLock) }
        let txn = try begin(readOnly: true)
        let transaction = Transaction(txn, writable: false, state: TransactionState())
        defer {
            transaction.close()
            LMDB.abort(txn)
        }
        return try body(transaction)
    }

    /// Runs `body` in the write transaction and commits it when `body` returns; nothing is
    /// written if `body` throws. If the map fills, the transaction is discarded, the map
    /// doubled and `body` run again from the start, so `body` must have no effects outside
    /// the transaction.
    ///
    /// Inside `group` on the same thread, `body` runs in the group's transaction instead and
    /// is committed with it; if it throws, the whole group is discarded.
    public func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        if let group = joinedGroup() { return try group.run(body, writes: true) }
        pthread_mutex_lock(&writeLock)
        defer { pthread_mutex_unlock(&writeLock) }
        while true {
            let state = TransactionState()
            let outcome = writeTransaction(state) { txn in
                let transaction = Transaction(txn, writable: true, state: state)
                defer { transaction.close() }
                return (try body(transaction), commit: true)
            }
            if state.mapFull {
                try grow()
                continue
            }
            return try outcome.get()
        }
    }

    /// Under the map lock (the caller holds `writeLock`), begins a write transaction and runs
    /// `body` on it, then commits it when `body` asks to, and aborts it otherwise or when
    /// `body` throws. Returns the outcome instead of throwing, so the caller can grow a full
    /// map (`state.mapFull`) after the lock is released.
    private func writeTransaction<R>(_ state: TransactionState,
                                     _ body: (OpaquePointer) throws -> (value: R, commit: Bool)) -> Result<R, any Error> {
        pthread_rwlock_rdlock(&mapLock)
        defer { pthread_rwlock_unlock(&mapLock) }
        let txn: OpaquePointer
        do { txn = try begin(readOnly: false) } catch { return .failure(error) }
        let done: (value: R, commit: Bool)
        do {
            done = try body(txn)
        } catch {
            LMDB.abort(txn)
            return .failure(error)
        }
        guard done.commit else {
            LMDB.abort(txn)
            return .success(done.value)
        }
        do { try commit(txn, state) } catch { return .failure(error) }
        return .success(done.value)
    }

    /// Commits `txn`, which is gone afterwards whatever happens (LMDB frees a transaction
    /// whose commit fails), and counts it; a transaction that filled the map is aborted
    /// instead, and `state` says so.
    private func commit(_ txn: OpaquePointer, _ state: TransactionState) throws(TalonError) {
        if state.mapFull {
            LMDB.abort(txn)
            throw LMDB.error(LMDB.mapFull, "put")
        }
        let rc = LMDB.commit(txn)
        if rc == LMDB.mapFull { state.mapFull = true }
        try LMDB.check(rc, "commit")
        committed.add(1, ordering: .relaxed)
        if syncsOnCommit { slowSync() }
        for body in state.afterCommit { body() }
    }

    /// Flushes buffered commits to disk (useful after writes with `sync: false`). Inside
    /// `group` on the same thread, the flush happens once the group commits.
    public func sync() throws(TalonError) {
        if let group = joinedGroup() {
            group.wantsSync = true
            return
        }
        try LMDB.sync(env)
        flushed.add(1, ordering: .relaxed)
        slowSync()
    }

    private func slowSync() {
        guard syncDelay > .zero else { return }
        let (seconds, attoseconds) = syncDelay.components
        var wait = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&wait, &left) != 0 && errno == EINTR { wait = left }
    }

    /// Runs `body` with every `read`, `write` and `sync` this thread makes on the environment
    /// joined into one write transaction, committed when `body` returns (one commit, and one
    /// flush if any joined call asked for one) and discarded entirely if `body` or any
    /// joined write throws. Other threads read the last commit meanwhile and their writes
    /// wait. Before it begins, the map is grown until `headroom` bytes are free, so that a
    /// group does not fill it; if one still does, nothing is written, the map is grown, and
    /// `TalonError(.storeMapFull)` is thrown: unlike `write`, a group is never run twice,
    /// since `body` may have effects outside the store.
    public func group<R>(headroom: Int = 256 << 20, _ body: () throws -> R) throws -> R {
        precondition(joinedGroup() == nil, "Environment.group does not nest")
        pthread_mutex_lock(&writeLock)
        defer { pthread_mutex_unlock(&writeLock) }
        if mapSize - LMDB.usedBytes(env) < headroom { try grow(toFit: headroom) }
        let state = TransactionState()
        var wantsSync = false
        let outcome = writeTransaction(state) { txn in
            let group = Group(txn, state: state)
            grouped = group
            groupOwner.store(Self.currentThread, ordering: .releasing)
            defer {
                groupOwner.store(0, ordering: .releasing)
                grouped = nil
            }
            let value = try body()
            if let failure = group.failure { throw failure }
            // Nothing joined wrote: no commit, none counted in `commits`, no flush.
            wantsSync = group.wrote && group.wantsSync
            return (value, commit: group.wrote)
        }
        if state.mapFull {
            try grow(toFit: headroom)
            throw TalonError(.storeMapFull, "a group of writes filled the map; it was grown to \(mapSize) bytes and nothing was written")
        }
        let value = try outcome.get()
        if wantsSync { try sync() }
        return value
    }

    /// The group this thread runs, if any.
    private func joinedGroup() -> Group? {
        guard groupOwner.load(ordering: .acquiring) == Self.currentThread else { return nil }
        return grouped
    }

    private static var currentThread: UInt {
        #if canImport(Glibc)
        UInt(pthread_self())
        #else
        UInt(bitPattern: pthread_self())
        #endif
    }

    /// The transaction of an open `group`, lent to the reads and writes that join it.
    private final class Group {
        let txn: OpaquePointer
        let state: TransactionState
        var wantsSync = false
        /// True once a joined `write` ran.
        var wrote = false
        /// The first error a joined write threw: the group is then discarded.
        var failure: (any Error)?

        init(_ txn: OpaquePointer, state: TransactionState) {
            self.txn = txn
            self.state = state
        }

        /// Runs `body` in the group's transaction; a write that throws may have written part
        /// of its work, so the group is then discarded (a read that throws changed nothing).
        func run<R>(_ body: (Transaction) throws -> R, writes: Bool) throws -> R {
            let transaction = Transaction(txn, writable: writes, state: state)
            defer { transaction.close() }
            wrote = wrote || writes
            do {
                return try body(transaction)
            } catch {
                if writes && failure == nil { failure = error }
                throw error
            }
        }
    }

    private func begin(readOnly: Bool) throws(TalonError) -> OpaquePointer {
        for _ in 0..<3 {
            let (txn, rc) = LMDB.begin(env, readOnly: readOnly)
            if rc == 0, let txn { return txn }
            if rc == LMDB.mapResized {
                // Another process grew the map: adopt its size, then try again.
                pthread_rwlock_unlock(&mapLock)
                pthread_rwlock_wrlock(&mapLock)
                let result = Result { () throws(TalonError) in try LMDB.setMapSize(env, 0) }
                pthread_rwlock_unlock(&mapLock)
                pthread_rwlock_rdlock(&mapLock)
                try result.get()
                continue
            }
            throw LMDB.error(rc, "begin transaction")
        }
        throw TalonError(.storeError, "could not begin a transaction: the map kept being resized")
    }

    /// Doubles the map, and again until `free` bytes are left above what is in use.
    private func grow(toFit free: Int = 0) throws(TalonError) {
        pthread_rwlock_wrlock(&mapLock)
        defer { pthread_rwlock_unlock(&mapLock) }
        let used = LMDB.usedBytes(env)
        var size = LMDB.mapSize(env) * 2
        while size - used < free { size *= 2 }
        try LMDB.setMapSize(env, size)
    }
}

/// Per-transaction flags shared between a `Transaction` and the environment that runs it.
final class TransactionState {
    /// Set when any LMDB call in the transaction reported MDB_MAP_FULL, even if the
    /// closure caught the error: the environment then grows the map and retries.
    var mapFull = false
    /// What `Transaction.afterCommit` asked to run once the transaction commits.
    var afterCommit: [() -> Void] = []
}
