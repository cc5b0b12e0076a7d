public import TalonStore

public import TalonProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `RaftStorage` in two LMDB tables of an environment the caller opens: `raft_log`
/// (index → entry) and `raft_state` (the hard state). It behaves exactly as
/// `MemoryRaftStorage`, and every `save` is one write transaction, on disk when it returns:
/// synced by the commit itself, or, with `syncEachSave` on an environment opened without
/// per-commit sync, by an explicit flush that also takes along every commit before it. That
/// flush is skipped for a save that only moves the commit index (as etcd's `MustSync`): the
/// commit index is volatile state in Raft, learned again from the leader, and a power cut
/// that undoes it undoes the blocks applied with it in the same transactions.
///
/// The first and last index, the last entry's term and the hard state are cached in memory
/// and changed only after a commit succeeds, so `lastIndex()`, `hardState()` and the term of
/// the last entry cost no transaction. Stored bytes that do not decode surface as
/// `TalonError(.raftStorage)`, never as a crash or a wrong value.
public final class LMDBRaftStorage: RaftStorage, @unchecked Sendable {
    // @unchecked: the mutable caches are only read and written while holding `lock`, which
    // each public method takes for its whole duration (a save holds it through its commit,
    // so no caller sees a cache ahead of or behind the disk); `Environment` is Sendable and
    // the table handles are immutable.

    /// The tables this storage uses. Open the environment with these names among its tables
    /// (`Environment(path:tables: ledgerTables + LMDBRaftStorage.tableNames)`).
    public static let tableNames: [String] = [logTableName, stateTableName]
    static let logTableName = "raft_log"
    static let stateTableName = "raft_state"

    private let env: Environment
    private let log: Table
    private let state: Table
    private let lock: UnsafeMutablePointer<pthread_mutex_t>
    private let syncEachSave: Bool

    private var cachedHardState: HardState
    private var cachedLastIndex: UInt64
    private var cachedLastTerm: UInt64

    /// Opens the Raft log and hard state kept in `environment`, which must have been opened
    /// with `LMDBRaftStorage.tableNames` (a missing table is a programming error and traps).
    /// Checks that the stored log is dense from index 1 and that its last entry and the
    /// hard state decode.
    /// `syncEachSave` flushes the environment after each save; pass true when the environment
    /// was opened with `sync: false` and the log must still be durable.
    /// - Throws: `TalonError(.raftStorage)` when the store cannot be read or is inconsistent.
    public init(environment: Environment, syncEachSave: Bool = false) throws(TalonError) {
        let log = environment.table(Self.logTableName)
        let state = environment.table(Self.stateTableName)
        let (hard, last, lastTerm) = try Self.store("open raft storage") { () throws in
            try environment.read { (txn) throws -> (HardState, UInt64, UInt64) in
                let hard = try txn.get(state, Self.hardStateKey).map(Self.decodeHardState) ?? HardState()
                guard let (lastKey, lastValue) = try txn.last(log) else { return (hard, 0, 0) }
                let last = try Self.index(ofKey: lastKey)
                var firstKey: [UInt8] = []
                try txn.scan(log) { k, _ in
                    firstKey = k
                    return false
                }
                let first = try Self.index(ofKey: firstKey)
                let count = try txn.count(log)
                guard first == 1, UInt64(count) == last else {
                    throw TalonError(.raftStorage, "raft_log is not dense: \(count) entries from \(first) to \(last)")
                }
                return (hard, last, try Self.decodeEntry(lastValue, index: last).term)
            }
        }
        self.env = environment
        self.syncEachSave = syncEachSave
        self.log = log
        self.state = state
        self.cachedHardState = hard
        self.cachedLastIndex = last
        self.cachedLastTerm = lastTerm
        self.lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_mutex_t())
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deinitialize(count: 1)
        lock.deallocate()
    }

    /// The hard state saved last (the zero state for a new log), from memory.
    public func hardState() -> HardState { locked { cachedHardState } }

    /// Always 1: nothing is compacted yet.
    public func firstIndex() -> UInt64 { 1 }

    /// The last index in the log (0 when empty), from memory.
    public func lastIndex() -> UInt64 { locked { cachedLastIndex } }

    /// The term of the entry at `index`; 0 for index 0. The last entry's term comes from memory.
    /// - Throws: `TalonError(.raftStorage)` past `lastIndex` or when the stored entry is damaged.
    public func term(_ index: UInt64) throws(TalonError) -> UInt64 {
        try locked { () throws(TalonError) -> UInt64 in
            if index == 0 { return 0 }
            guard index <= cachedLastIndex else {
                throw TalonError(.raftStorage, "no entry at \(index), last is \(cachedLastIndex)")
            }
            if index == cachedLastIndex { return cachedLastTerm }
            let bytes = try Self.store("read entry \(index)") { () throws in
                try env.read { (txn) throws in try txn.get(log, Self.key(index)) }
            }
            guard let bytes else { throw TalonError(.raftStorage, "raft_log has no entry at \(index) below its last \(cachedLastIndex)") }
            return try Self.decodeEntry(bytes, index: index).term
        }
    }

    /// Entries in `range` (within `1...lastIndex`), in one read transaction, stopping once
    /// `maxBytes` is reached but always returning at least one entry for a non-empty range.
    /// - Throws: `TalonError(.raftStorage)` for a range outside the log or a damaged entry.
    public func entries(_ range: Range<UInt64>, maxBytes: Int) throws(TalonError) -> [Entry] {
        try locked { () throws(TalonError) -> [Entry] in
            guard range.lowerBound >= 1, range.upperBound <= cachedLastIndex + 1 else {
                throw TalonError(.raftStorage, "entries \(range) outside 1...\(cachedLastIndex)")
            }
            if range.isEmpty { return [] }
            return try Self.store("read entries \(range)") { () throws -> [Entry] in
                try env.read { (txn) throws -> [Entry] in
                    var out: [Entry] = []
                    var bytes = 0
                    var next = range.lowerBound
                    var full = false
                    try txn.scan(log, from: Self.key(range.lowerBound), to: Self.key(range.upperBound)) { k, v in
                        let index = try Self.index(ofKey: k)
                        guard index == next else { throw TalonError(.raftStorage, "raft_log has no entry at \(next)") }
                        // Entry.size counts 24 bytes besides the data; check before decoding.
                        let size = v.count - Self.entryHeaderSize + 24
                        if !out.isEmpty && bytes + size > maxBytes {
                            full = true
                            return false
                        }
                        let entry = try Self.decodeEntry(v, index: index)
                        bytes += entry.size
                        out.append(entry)
                        next += 1
                        return true
                    }
                    if !full && next != range.upperBound {
                        throw TalonError(.raftStorage, "raft_log has no entry at \(next)")
                    }
                    return out
                }
            }
        }
    }

    /// In one synced write transaction: deletes the stored entries from `entries.first.index`
    /// on, appends `entries`, and stores `hardState` when given. Returns once it is on disk
    /// (with `syncEachSave`, a save that only moves the commit index is not flushed: see the
    /// type's comment); when it throws, nothing was changed.
    /// - Throws: `TalonError(.raftStorage)` when `entries` would leave a gap after the last index or
    ///   their indexes are not consecutive, or the write fails.
    public func save(hardState: HardState?, entries: [Entry]) throws(TalonError) {
        try locked { () throws(TalonError) in
            if let first = entries.first {
                guard first.index >= 1, first.index <= cachedLastIndex + 1 else {
                    throw TalonError(.raftStorage, "append at \(first.index) leaves a gap after \(cachedLastIndex)")
                }
                for (offset, entry) in entries.enumerated() where entry.index != first.index + UInt64(offset) {
                    throw TalonError(.raftStorage, "entry \(entry.index) follows \(first.index + UInt64(offset) - 1): indexes must be consecutive")
                }
            } else if hardState == nil {
                return
            }
            try Self.store("save raft state") { () throws in
                try env.write { (txn) throws in
                    if let first = entries.first {
                        var stale: [[UInt8]] = []
                        try txn.scan(log, from: Self.key(first.index)) { k, _ in
                            stale.append(k)
                            return true
                        }
                        for k in stale { try txn.delete(log, k) }
                        for entry in entries { try txn.put(log, Self.key(entry.index), Self.encode(entry), append: true) }
                    }
                    if let hardState { try txn.put(state, Self.hardStateKey, Self.encode(hardState)) }
                }
                if syncEachSave && Self.mustSync(hardState, entries, after: cachedHardState) { try env.sync() }
            }
            if let last = entries.last {
                cachedLastIndex = last.index
                cachedLastTerm = last.term
            }
            if let hardState { cachedHardState = hardState }
        }
    }

    /// True when a save must reach the disk before messages depending on it leave: it
    /// appends entries, or changes the term or the vote. A commit index alone need not.
    static func mustSync(_ hardState: HardState?, _ entries: [Entry], after saved: HardState) -> Bool {
        guard entries.isEmpty else { return true }
        guard let hardState else { return false }
        return hardState.term != saved.term || hardState.vote != saved.vote
    }

    private func locked<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        return try body()
    }

    /// Runs store calls: the log's own `raft_storage` errors and `store_full` (a write found
    /// no space: nothing was changed, and the node waits for space) pass, and any other
    /// failure (LMDB's, a record that does not decode) becomes `raft_storage` with its message.
    private static func store<R>(_ what: String, _ body: () throws -> R) throws(TalonError) -> R {
        do { return try body() } catch let e as TalonError where e.code == .raftStorage || e.code == .storeFull {
            throw e
        } catch let e as TalonError {
            throw TalonError(.raftStorage, "\(what): \(e.message)")
        } catch {
            throw TalonError(.raftStorage, "\(what): \(error)")
        }
    }
}
