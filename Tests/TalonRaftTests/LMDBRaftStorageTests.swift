import Foundation
import Testing
import TalonRaft
import TalonStore
import TalonProtocol

/// A fresh directory under the system temp dir, removed when the value goes away.
private struct TempDir: ~Copyable {
    let path = NSTemporaryDirectory() + "talon-raft-" + UUID().uuidString
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The environment a node would open: a ledger table besides the Raft tables.
private func openEnvironment(_ dir: borrowing TempDir, sync: Bool = true) throws -> Environment {
    try Environment(path: dir.path, tables: ["meta"] + LMDBRaftStorage.tableNames, options: .init(sync: sync))
}

private func open(_ dir: borrowing TempDir, sync: Bool = true) throws -> LMDBRaftStorage {
    try LMDBRaftStorage(environment: try openEnvironment(dir, sync: sync))
}

private func be(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

private func all(_ s: LMDBRaftStorage) throws -> [Entry] {
    try s.entries(1..<s.lastIndex() + 1, maxBytes: .max)
}

private func log(_ indexes: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
    indexes.map { Entry(term: term, index: $0, data: Array("entry \($0)".utf8)) }
}

@Suite struct LMDBRaftStorageTests {
    @Test func anEmptyLog() throws {
        let dir = TempDir()
        let s = try open(dir)
        #expect(s.lastIndex() == 0 && s.firstIndex() == 1)
        #expect(try s.term(0) == 0)
        #expect(s.hardState() == HardState())
        #expect(try s.entries(1..<1, maxBytes: 0) == [])
        #expect(throws: TalonError(.raftStorage)) { try s.term(1) }
        #expect(throws: TalonError(.raftStorage)) { try s.entries(1..<2, maxBytes: .max) }
        #expect(throws: TalonError(.raftStorage)) { try s.entries(0..<1, maxBytes: .max) }
        try s.save(hardState: nil, entries: [])
        #expect(s.lastIndex() == 0 && s.hardState() == HardState())
    }

    /// As a node opens it (commits sync data but not LMDB's meta page; each save flushes),
    /// a save flushes when it appends entries or changes the term or vote, not when it
    /// only moves the commit index.
    @Test func onlyEntriesTermAndVoteAreFlushed() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["meta"] + LMDBRaftStorage.tableNames, options: .init(syncMeta: false))
        let s = try LMDBRaftStorage(environment: env, syncEachSave: true)
        var flushes = env.flushes
        func flushed() -> Bool {
            defer { flushes = env.flushes }
            return env.flushes > flushes
        }
        try s.save(hardState: HardState(term: 1, vote: 1, commit: 0), entries: log(1...2, term: 1))
        #expect(flushed())
        try s.save(hardState: HardState(term: 1, vote: 1, commit: 2), entries: [])
        #expect(!flushed(), "a commit index alone is not flushed")
        try s.save(hardState: nil, entries: log(3...3, term: 1))
        #expect(flushed())
        try s.save(hardState: HardState(term: 2, vote: 1, commit: 2), entries: [])
        #expect(flushed(), "a new term is flushed")
        try s.save(hardState: HardState(term: 2, vote: 3, commit: 2), entries: [])
        #expect(flushed(), "a vote is flushed")
        // What was not flushed is still committed: a reopen (not a power cut) sees it.
        #expect(s.hardState() == HardState(term: 2, vote: 3, commit: 2))
        let again = try LMDBRaftStorage(environment: env)
        #expect(again.hardState() == HardState(term: 2, vote: 3, commit: 2) && again.lastIndex() == 3)
    }

    @Test func survivesReopen() throws {
        let dir = TempDir()
        let hard = HardState(term: 3, vote: 2, commit: 2)
        let entries = [Entry(term: 1, index: 1, kind: .noop), Entry(term: 1, index: 2, data: [1, 2, 3]),
                       Entry(term: 3, index: 3, data: Array(repeating: 0xAB, count: 5000))]
        do {
            let s = try open(dir)
            try s.save(hardState: hard, entries: entries)
        }
        let s = try open(dir)
        #expect(s.lastIndex() == 3)
        #expect(s.hardState() == hard)
        #expect(try all(s) == entries)
        #expect(try s.term(3) == 3 && s.term(2) == 1 && s.term(0) == 0)
    }

    @Test func noVoteAndVoteZeroStayApart() throws {
        let dir = TempDir()
        for vote in [nil, 0, 1, UInt64.max] as [NodeID?] {
            do { try open(dir).save(hardState: HardState(term: 7, vote: vote, commit: 1), entries: []) }
            #expect(try open(dir).hardState() == HardState(term: 7, vote: vote, commit: 1))
        }
    }

    @Test func aConflictReplacesTheSuffix() throws {
        let dir = TempDir()
        do {
            let s = try open(dir)
            try s.save(hardState: HardState(term: 1), entries: log(1...5, term: 1))
            try s.save(hardState: HardState(term: 2), entries: log(3...4, term: 2))
            #expect(s.lastIndex() == 4)
            #expect(try s.term(4) == 2 && s.term(3) == 2 && s.term(2) == 1)
            #expect(throws: TalonError(.raftStorage)) { try s.term(5) }
        }
        do {
            let s = try open(dir)
            #expect(try all(s) == log(1...2, term: 1) + log(3...4, term: 2), "entry 5 is gone after reopen")
            try s.save(hardState: nil, entries: log(1...1, term: 3))
            #expect(try all(s) == log(1...1, term: 3))
        }
        #expect(try all(open(dir)) == log(1...1, term: 3))
    }

    @Test func aGapOrBrokenSequenceIsRefusedAndChangesNothing() throws {
        let dir = TempDir()
        let hard = HardState(term: 1, vote: 1, commit: 1)
        do {
            let s = try open(dir)
            try s.save(hardState: hard, entries: log(1...3, term: 1))
            refuseBadSaves(s)
            #expect(s.lastIndex() == 3 && s.hardState() == hard)
            #expect(try all(s) == log(1...3, term: 1))
        }
        let s = try open(dir)
        #expect(s.lastIndex() == 3 && s.hardState() == hard)
        #expect(try all(s) == log(1...3, term: 1))
    }

    private func refuseBadSaves(_ s: LMDBRaftStorage) {
        let other = HardState(term: 9, vote: 9, commit: 9)
        #expect(throws: TalonError(.raftStorage)) { try s.save(hardState: other, entries: log(5...6, term: 2)) }
        #expect(throws: TalonError(.raftStorage)) { try s.save(hardState: other, entries: [Entry(term: 2, index: 0)]) }
        #expect(throws: TalonError(.raftStorage)) {
            try s.save(hardState: other, entries: [Entry(term: 2, index: 2), Entry(term: 2, index: 4)])
        }
        #expect(throws: TalonError(.raftStorage)) {
            try s.save(hardState: other, entries: [Entry(term: 2, index: 4), Entry(term: 2, index: 4)])
        }
    }

    @Test func entriesStopAtMaxBytesLikeMemory() throws {
        let dir = TempDir()
        let s = try open(dir)
        let memory = MemoryRaftStorage()
        let entries = (1...8 as ClosedRange<UInt64>).map { Entry(term: 1, index: $0, data: Array(repeating: 7, count: Int($0) * 10)) }
        try s.save(hardState: nil, entries: entries)
        try memory.save(hardState: nil, entries: entries)
        #expect(try s.entries(2..<9, maxBytes: 0) == [entries[1]], "at least one entry")
        #expect(try s.entries(1..<9, maxBytes: 34 + 44) == Array(entries[0..<2]), "exactly at the limit")
        #expect(try s.entries(1..<9, maxBytes: 34 + 44 - 1) == [entries[0]])
        for lo in 1...9 as ClosedRange<UInt64> {
            for hi in lo...9 {
                for maxBytes in [0, 1, 33, 34, 60, 100, 200, 500, Int.max] {
                    #expect(try s.entries(lo..<hi, maxBytes: maxBytes) == memory.entries(lo..<hi, maxBytes: maxBytes))
                }
            }
        }
        #expect(throws: TalonError(.raftStorage)) { try s.entries(5..<10, maxBytes: .max) }
    }

    @Test func damagedEntriesAreStorageErrors() throws {
        let dir = TempDir()
        let env = try openEnvironment(dir)
        let s = try LMDBRaftStorage(environment: env)
        try s.save(hardState: HardState(term: 1), entries: log(1...4, term: 1))
        let raftLog = env.table("raft_log")
        try env.write { (txn) throws in
            try txn.put(raftLog, be(2), [0xFF, 0x00])                    // shorter than a header
            try txn.put(raftLog, be(3), [1, 0, 0, 0, 0, 0, 0, 0, 1, 9])  // unknown kind
        }
        #expect(throws: TalonError(.raftStorage)) { try s.term(2) }
        #expect(throws: TalonError(.raftStorage)) { try s.term(3) }
        #expect(throws: TalonError(.raftStorage)) { try s.entries(1..<5, maxBytes: .max) }
        #expect(try s.entries(1..<2, maxBytes: .max) == log(1...1, term: 1))
        // A refused read leaves the log usable: replace the damaged entries.
        try s.save(hardState: nil, entries: log(2...4, term: 2))
        #expect(try all(s) == log(1...1, term: 1) + log(2...4, term: 2))
    }

    /// Each kind of damage, made to a fresh healthy store, makes opening it fail.
    @Test func damageFoundAtOpenIsAStorageError() throws {
        func reopenFails(_ what: String, _ damage: (Transaction, Table, Table) throws -> Void) throws {
            let dir = TempDir()
            do { try open(dir).save(hardState: HardState(term: 1, vote: 1, commit: 2), entries: log(1...4, term: 1)) }
            do { _ = try open(dir) }
            do {
                let env = try openEnvironment(dir)
                try env.write { (txn) throws in try damage(txn, env.table("raft_log"), env.table("raft_state")) }
            }
            #expect(throws: TalonError(.raftStorage), "\(what)") { try open(dir) }
        }
        try reopenFails("last entry of version 2") { txn, raftLog, _ in try txn.put(raftLog, be(4), [2, 0, 0, 0, 0, 0, 0, 0, 1, 0]) }
        try reopenFails("empty last entry") { txn, raftLog, _ in try txn.put(raftLog, be(4), []) }
        try reopenFails("a hole") { txn, raftLog, _ in try txn.delete(raftLog, be(2)) }
        try reopenFails("no entry 1") { txn, raftLog, _ in try txn.delete(raftLog, be(1)) }
        try reopenFails("entry 0 instead of 1") { txn, raftLog, _ in
            try txn.put(raftLog, be(0), try #require(try txn.get(raftLog, be(1))))
            try txn.delete(raftLog, be(1))
        }
        try reopenFails("a short key") { txn, raftLog, _ in try txn.put(raftLog, [0, 0, 0], []) }
        try reopenFails("short hard state") { txn, _, raftState in try txn.put(raftState, Array("hard_state".utf8), [1, 2, 3]) }
        try reopenFails("vote flag 2") { txn, _, raftState in
            try txn.put(raftState, Array("hard_state".utf8), [1] + be(1) + [2] + be(1) + be(0))
        }
    }

    /// The same seeded sequence of saves, truncations and refused gaps applied to both
    /// storages: they agree after every save and after every reopen.
    @Test(arguments: [1, 7, 2024] as [UInt64])
    func agreesWithMemoryStorage(seed: UInt64) throws {
        let dir = TempDir()
        var rng = SplitMix64(seed: seed)
        let memory = MemoryRaftStorage()
        var reopened: LMDBRaftStorage? = try open(dir, sync: false)
        var term: UInt64 = 1
        for step in 0..<200 {
            if step % 25 == 0 && step > 0 {
                // Release the old environment before opening it again (LMDB wants one per process).
                reopened = nil
                reopened = try open(dir, sync: false)
                try expectSame(memory, try #require(reopened), &rng, "seed \(seed) step \(step), reopened")
            }
            let lmdb = try #require(reopened)
            let last = memory.lastIndex()
            let roll = rng.next() % 10
            let first = roll == 0 ? last + 2 + rng.next() % 3 : roll < 4 ? 1 + rng.next() % (last + 1) : last + 1
            term += rng.next() % 4 == 0 ? 1 : 0
            let entries = (0..<rng.next() % 5).map { k in
                Entry(term: term, index: first + k, kind: rng.next() % 8 == 0 ? .noop : .normal,
                      data: (0..<rng.next() % 40).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            }
            let votes: [NodeID?] = [nil, 0, 1, 2, 3]
            let hard = rng.next() % 2 == 0 ? nil
                : HardState(term: term, vote: votes[Int(rng.next() % 5)], commit: rng.next() % (last + 1))
            let context = "seed \(seed) step \(step): save \(hard.map(String.init(describing:)) ?? "-") \(entries)"
            let m = Result { () throws(TalonError) in try memory.save(hardState: hard, entries: entries) }
            let l = Result { () throws(TalonError) in try lmdb.save(hardState: hard, entries: entries) }
            let memoryOK = (try? m.get()) != nil, lmdbOK = (try? l.get()) != nil
            try #require(memoryOK == lmdbOK, "\(context): \(m) vs \(l)")
            try #require(memoryOK == (roll != 0 || entries.isEmpty), "\(context): only a gap is refused")
            try expectSame(memory, lmdb, &rng, context)
        }
        reopened = nil
        try expectSame(memory, try open(dir, sync: false), &rng, "seed \(seed), reopened at the end")
        #expect(memory.lastIndex() > 0)
    }

    private func expectSame(_ m: MemoryRaftStorage, _ l: LMDBRaftStorage, _ rng: inout SplitMix64, _ context: String) throws {
        let last = m.lastIndex()
        try #require(l.lastIndex() == last && l.firstIndex() == m.firstIndex(), "\(context): last index")
        try #require(l.hardState() == m.hardState(), "\(context): hard state")
        try #require(try all(l) == m.allEntries, "\(context): entries")
        for i in 0...last { try #require(try l.term(i) == m.term(i), "\(context): term(\(i))") }
        #expect(throws: TalonError(.raftStorage), "\(context): term past the end") { try l.term(last + 1) }
        let lo = 1 + rng.next() % (last + 1), hi = lo + rng.next() % (last + 2 - lo)
        let maxBytes = Int(rng.next() % 200)
        try #require(try l.entries(lo..<hi, maxBytes: maxBytes) == m.entries(lo..<hi, maxBytes: maxBytes),
                     "\(context): entries(\(lo)..<\(hi), maxBytes: \(maxBytes))")
    }
}
