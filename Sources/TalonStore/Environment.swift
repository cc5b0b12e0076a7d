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
    private var mapLock = pthread_rwlock_t()
    private var writeLock = pthread_mutex_t()
    private let committed = Atomic<Int>(0)
    /// The directory of the environment.
    public let path: String
    private let syncDelay: Duration
    private let syncsOnCommit: Bool

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
    /// with the named tables.
    /// - Throws: `TalonError(.storeOpenFailed)` when the directory cannot be created or opened.
    public init(path: String, tables names: [String], options: Options = Options()) throws(TalonError) {
        if let failure = Self.makeDirectories(path) {
            throw TalonError(.storeOpenFailed, "cannot create store directory \(path): \(failure)")
        }
        let env = try LMDB.openEnvironment(path: path, mapSize: options.initialMapSize, maxTables: names.count + 1,
                                               sync: options.sync, syncMeta: options.syncMeta)
        var tables: [String: UInt32] = [:]
        do throws(TalonError) {
            let (txn, rc) = LMDB.begin(env, readOnly: false)
            guard rc == 0, let txn else { throw LMDB.error(rc, "begin") }
            do throws(TalonError) {
                for name in names { tables[name] = try LMDB.openTable(txn, name: name) }
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

    /// Write transactions committed since the environment was opened: a caller waiting for
    /// space to return sees a write succeed when this grows.
    public var commits: Int { committed.load(ordering: .relaxed) }

    /// The current map size in bytes.
    public var mapSize: Int { LMDB.mapSize(env) }

    /// Runs `body` in a read-only transaction that sees one consistent snapshot. Readers
    /// never block the writer nor each other.
    public func read<R>(_ body: (Transaction) throws -> R) throws -> R {
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
    public func write<R>(_ body: (Transaction) throws -> R) throws -> R {
        pthread_mutex_lock(&writeLock)
        defer { pthread_mutex_unlock(&writeLock) }
        while true {
            let state = TransactionState()
            let outcome: Result<R, any Error>
            pthread_rwlock_rdlock(&mapLock)
            do {
                let txn = try begin(readOnly: false)
                var handedToCommit = false
                let transaction = Transaction(txn, writable: true, state: state)
                defer { transaction.close() }
                do {
                    let value = try body(transaction)
                    transaction.close()
                    if state.mapFull { throw LMDB.error(LMDB.mapFull, "put") }
                    // mdb_txn_commit frees the transaction whether it succeeds or not.
                    handedToCommit = true
                    let rc = LMDB.commit(txn)
                    if rc == LMDB.mapFull { state.mapFull = true }
                    try LMDB.check(rc, "commit")
                    committed.add(1, ordering: .relaxed)
                    if syncsOnCommit { slowSync() }
                    outcome = .success(value)
                } catch {
                    if !handedToCommit { LMDB.abort(txn) }
                    outcome = .failure(error)
                }
            } catch {
                outcome = .failure(error)
            }
            pthread_rwlock_unlock(&mapLock)
            if state.mapFull {
                try grow()
                continue
            }
            return try outcome.get()
        }
    }

    /// Flushes buffered commits to disk (useful after writes with `sync: false`).
    public func sync() throws(TalonError) {
        try LMDB.sync(env)
        slowSync()
    }

    private func slowSync() {
        guard syncDelay > .zero else { return }
        let (seconds, attoseconds) = syncDelay.components
        var wait = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var left = timespec()
        while nanosleep(&wait, &left) != 0 && errno == EINTR { wait = left }
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

    private func grow() throws(TalonError) {
        pthread_rwlock_wrlock(&mapLock)
        defer { pthread_rwlock_unlock(&mapLock) }
        let current = LMDB.mapSize(env)
        try LMDB.setMapSize(env, current * 2)
    }
}

/// Per-transaction flags shared between a `Transaction` and the environment that runs it.
final class TransactionState {
    /// Set when any LMDB call in the transaction reported MDB_MAP_FULL, even if the
    /// closure caught the error: the environment then grows the map and retries.
    var mapFull = false
}
