public import TalonProtocol
/// The stable part of a node's Raft log and its hard state. The core reads it; the driver
/// writes each `Ready` through `save` before sending the messages of that `Ready`.
///
/// Indexes start at 1. Without compaction, `firstIndex` is 1 and `term(0)` is 0. A place is
/// kept for snapshots: `firstIndex` may grow past 1 once a snapshot covers the prefix.
public protocol RaftStorage: AnyObject {
    /// The hard state saved last (the zero state for a new log).
    func hardState() throws(TalonError) -> HardState
    /// The first index still in the log (1 until compaction exists).
    func firstIndex() throws(TalonError) -> UInt64
    /// The last index in the log (0 when empty).
    func lastIndex() throws(TalonError) -> UInt64
    /// The term of the entry at `index`; 0 for index 0.
    /// - Throws: `TalonError(.raftCompacted)` below `firstIndex - 1`, `.storage` past `lastIndex`.
    func term(_ index: UInt64) throws(TalonError) -> UInt64
    /// Entries in `range` (within `firstIndex...lastIndex`), stopping once `maxBytes` is
    /// reached but always returning at least one entry when the range is not empty.
    func entries(_ range: Range<UInt64>, maxBytes: Int) throws(TalonError) -> [Entry]
    /// Atomically and durably: replaces the stored entries from `entries.first.index` on with
    /// `entries`, and stores `hardState` when given. Returns once both are on disk.
    func save(hardState: HardState?, entries: [Entry]) throws(TalonError)
}

/// A `RaftStorage` in memory: what the simulator gives each node as its "disk", so a crash
/// loses everything the core held but keeps what was saved.
public final class MemoryRaftStorage: RaftStorage, @unchecked Sendable {
    // @unchecked: one node (one simulator step, one driver) uses an instance at a time.
    private var state = HardState()
    private var log: [Entry] = []

    public init() {}

    public func hardState() -> HardState { state }
    public func firstIndex() -> UInt64 { 1 }
    public func lastIndex() -> UInt64 { UInt64(log.count) }

    public func term(_ index: UInt64) throws(TalonError) -> UInt64 {
        if index == 0 { return 0 }
        guard index <= UInt64(log.count) else { throw TalonError(.raftStorage, "no entry at \(index), last is \(log.count)") }
        return log[Int(index - 1)].term
    }

    public func entries(_ range: Range<UInt64>, maxBytes: Int) throws(TalonError) -> [Entry] {
        guard range.lowerBound >= 1, range.upperBound <= UInt64(log.count) + 1 else {
            throw TalonError(.raftStorage, "entries \(range) outside 1...\(log.count)")
        }
        var out: [Entry] = []
        var bytes = 0
        for i in range {
            let e = log[Int(i - 1)]
            if !out.isEmpty && bytes + e.size > maxBytes { break }
            bytes += e.size
            out.append(e)
        }
        return out
    }

    public func save(hardState: HardState?, entries: [Entry]) throws(TalonError) {
        if let first = entries.first {
            guard first.index >= 1, first.index <= UInt64(log.count) + 1 else {
                throw TalonError(.raftStorage, "append at \(first.index) leaves a gap after \(log.count)")
            }
            log.removeSubrange(Int(first.index - 1)...)
            log.append(contentsOf: entries)
        }
        if let hardState { state = hardState }
    }

    /// Every stored entry, for checkers and tests.
    public var allEntries: [Entry] { log }
}
