import TalonProtocol
/// A node's view of its log: the stable prefix in `RaftStorage`, the unstable suffix not yet
/// saved, and how far it is committed and applied.
struct RaftLog {
    let storage: any RaftStorage
    /// Entries not yet handed to the driver for saving, starting at `offset`.
    private(set) var unstable: [Entry] = []
    /// The index of `unstable[0]`; everything below is on disk.
    private(set) var offset: UInt64
    /// The highest index known committed. Never decreases.
    private(set) var committed: UInt64
    /// The highest index handed out for applying.
    var applied: UInt64

    init(storage: any RaftStorage, committed: UInt64, applied: UInt64) throws(TalonError) {
        self.storage = storage
        let last = try storage.lastIndex()
        guard committed <= last else {
            throw TalonError(.raftStorage, "hard state commits \(committed) but the log ends at \(last)")
        }
        offset = last + 1
        self.committed = committed
        self.applied = min(applied, committed)
    }

    /// The last index, stable or not.
    var lastIndex: UInt64 { unstable.last?.index ?? offset - 1 }
    /// The last index on disk (entries above it, if stored, are about to be replaced).
    var stableIndex: UInt64 { offset - 1 }

    func term(_ index: UInt64) throws(TalonError) -> UInt64 {
        if index >= offset {
            guard index <= lastIndex else { throw TalonError(.raftStorage, "no entry at \(index), last is \(lastIndex)") }
            return unstable[Int(index - offset)].term
        }
        return try storage.term(index)
    }

    var lastTerm: UInt64 { (try? term(lastIndex)) ?? 0 }

    /// True when the entry at `index` exists and has `term`.
    func matchTerm(_ index: UInt64, _ term: UInt64) -> Bool {
        guard index <= lastIndex else { return false }
        return (try? self.term(index)) == term
    }

    /// Raft's "at least as up to date" comparison of a candidate's last entry with ours.
    func isUpToDate(lastIndex index: UInt64, term: UInt64) -> Bool {
        term > lastTerm || (term == lastTerm && index >= lastIndex)
    }

    /// Entries from `lo` through the last, up to about `maxBytes` (at least one).
    func entries(from lo: UInt64, maxBytes: Int) throws(TalonError) -> [Entry] {
        guard lo <= lastIndex else { return [] }
        var out: [Entry] = []
        if lo < offset {
            out = try storage.entries(lo..<offset, maxBytes: maxBytes)
            guard out.count == Int(offset - lo) else { return out }
        }
        var bytes = out.reduce(0) { $0 + $1.size }
        for e in unstable.dropFirst(Int(max(lo, offset) - offset)) {
            if !out.isEmpty && bytes + e.size > maxBytes { break }
            bytes += e.size
            out.append(e)
        }
        return out
    }

    /// The largest index at or below `index` whose term is at most `term`, with that term:
    /// where a leader with a conflicting log should probe next (etcd's fast back-off).
    func findConflictByTerm(_ index: UInt64, _ term: UInt64) -> (index: UInt64, term: UInt64) {
        var i = min(index, lastIndex)
        while i > 0 {
            guard let t = try? self.term(i) else { return (i, 0) }
            if t <= term { return (i, t) }
            i -= 1
        }
        return (0, 0)
    }

    /// Appends entries after (`index`, `logTerm`) when the log matches there; replaces a
    /// conflicting uncommitted suffix. Returns the index of the last new entry, or nil when
    /// the log does not match.
    mutating func maybeAppend(index: UInt64, logTerm: UInt64, commit: UInt64, entries: [Entry],
                              skipMatchCheck: Bool = false) throws(TalonError) -> UInt64? {
        let matches = skipMatchCheck ? index <= lastIndex : matchTerm(index, logTerm)
        guard matches else { return nil }
        let lastNew = index + UInt64(entries.count)
        if let conflict = entries.first(where: { !matchTerm($0.index, $0.term) }) {
            guard conflict.index > committed else {
                throw TalonError(.raftStorage, "entry \(conflict.index) conflicts with the committed log (commit \(committed))")
            }
            append(Array(entries[Int(conflict.index - entries[0].index)...]))
        }
        commitTo(min(commit, lastNew))
        return lastNew
    }

    /// Appends `entries`, which must start within or just after the log, dropping anything
    /// from `entries[0].index` on.
    mutating func append(_ entries: [Entry]) {
        guard let first = entries.first?.index else { return }
        if first == lastIndex + 1 {
            unstable.append(contentsOf: entries)
        } else if first <= offset {
            offset = first
            unstable = entries
        } else {
            unstable = Array(unstable[..<Int(first - offset)]) + entries
        }
    }

    mutating func commitTo(_ index: UInt64) {
        if index > committed { committed = min(index, lastIndex) }
    }

    /// Called once the driver saved the unstable entries through `index`.
    mutating func stableTo(_ index: UInt64) {
        guard index >= offset, index <= lastIndex else { return }
        unstable.removeFirst(Int(index - offset + 1))
        offset = index + 1
    }

    /// True when committed entries are on disk and not yet handed out.
    var hasNextCommitted: Bool { min(committed, stableIndex) > applied }

    /// Committed, saved entries not yet handed out, up to about `maxBytes`.
    func nextCommitted(maxBytes: Int) throws(TalonError) -> [Entry] {
        let hi = min(committed, stableIndex)
        guard hi > applied else { return [] }
        return try storage.entries(applied + 1..<hi + 1, maxBytes: maxBytes)
    }
}
