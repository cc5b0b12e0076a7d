import Testing
@_spi(Testing) import TalonRaft
import TalonProtocol

/// The classic cases, set up message by message.
@Suite struct RaftScenarioTests {
    /// Raft paper, Figure 8: an entry of an earlier term stored on a majority is not committed
    /// by counting replicas, because a node with a later-term entry could still win and
    /// overwrite it. Run once with the real rule and once with the rule broken.
    func figure8(faults: RaftFaults) throws -> (committedOld: Bool, leaderAtIndex2: String, s3AtIndex2: String) {
        let h = try Harness(5) {
            $0.preVote = false
            $0.checkQuorum = false
            $0.maxMessageBytes = 1  // one entry per append, so the test picks what arrives
            $0.faults = faults
        }
        try h.elect(1)
        try h.tick(1)
        try h.deliverAll()
        #expect(h.leaders == [1])

        // (a) S1 replicates "old" (index 2) to S2 only, then crashes.
        h.cut = Set(h.members.flatMap { a in h.members.map { [a, $0] } }).subtracting([[1, 2], [2, 1]])
        try h.propose(1, "old")
        #expect(h.log(2).count == 2)
        h.crash(1)

        // (b) S5 wins with S3 and S4, appends its no-op at index 2 locally only, crashes.
        h.cut = []
        h.isolate(2)
        #expect(try h.electAmong([5]) { !($0.from == 5 && $0.kind == .append) } == 5)
        #expect(h.log(5).count == 2)
        h.crash(5)

        // (c) S1 restarts and wins with S2, S3 and S4; S2 and S3 get index 2 ("old") and
        // nothing after it, so "old" sits on a majority while S1's own term has no entry there.
        try h.start(1)
        h.cut = []
        let upToOld: (Message) -> Message? = { m in
            guard m.from == 1, m.kind == .append else { return m }
            guard m.to == 2 || m.to == 3 else { return nil }
            var trimmed = m
            trimmed.entries = m.entries.filter { $0.index <= 2 }
            return trimmed
        }
        #expect(try h.electAmong([1], transform: upToOld) == 1)
        for _ in 0..<5 { try h.tick(1); try h.deliverAll(transform: upToOld) }
        #expect(h.log(3).count == 2 && h.log(3)[1].data == Array("old".utf8))
        #expect(h.status(1).progress[2]?.match == 2 && h.status(1).progress[3]?.match == 2)
        let committedOld = h.status(1).commit >= 2

        // (d) S1 crashes; S5 restarts and wins with S2, S3 and S4 (its last term is later).
        h.crash(1)
        try h.start(5)
        #expect(try h.electAmong([5]) == 5)
        try h.tick(5)
        try h.deliverAll()
        func text(_ e: Entry) -> String { e.kind == .noop ? "noop" : String(decoding: e.data, as: UTF8.self) }
        return (committedOld, text(h.log(5)[1]), text(h.log(3)[1]))
    }

    @Test func figure8OldTermEntryIsNotCommittedByCounting() throws {
        let (committedOld, leader, s3) = try figure8(faults: [])
        #expect(!committedOld, "an entry of an earlier term must not commit by replica count")
        #expect(leader == "noop" && s3 == "noop", "S5 legitimately overwrote the uncommitted entry")
    }

    @Test func figure8WithTheRuleBrokenLosesACommittedEntry() throws {
        let (committedOld, leader, _) = try figure8(faults: .commitPreviousTermByCount)
        #expect(committedOld, "the broken rule commits by counting")
        #expect(leader == "noop", "and a leader is elected without the 'committed' entry: leader completeness fails")
    }

    /// A node cut off keeps asking for pre-votes, but its term does not grow, so when it
    /// returns the leader keeps leading.
    @Test func aRejoiningNodeDoesNotDisruptWithPreVote() throws {
        let h = try Harness(3)
        try h.elect(1)
        let term = h.status(1).term
        h.isolate(3)
        for _ in 0..<10 {
            try h.tick(3, 25)
            try h.tick(1)
            try h.deliverAll()
        }
        #expect(h.status(3).term == term, "pre-votes do not raise the term")
        h.heal()
        try h.tick(3, 25)
        try h.tick(1)
        try h.deliverAll()
        #expect(h.leaders == [1])
        #expect(h.status(1).term == term && h.status(2).term == term)
    }

    /// Without pre-vote the same node returns with a higher term and unseats the leader.
    @Test func withoutPreVoteTheRejoiningNodeDisrupts() throws {
        let h = try Harness(3) { $0.preVote = false }
        try h.elect(1)
        let term = h.status(1).term
        h.isolate(3)
        try h.tick(3, 60)
        try h.deliverAll()
        #expect(h.status(3).term > term)
        h.heal()
        try h.tick(1)
        try h.deliverAll()
        #expect(h.status(1).term > term, "the old leader had to step up its term")
    }

    /// A leader that cannot hear a majority steps down within an election timeout, and what
    /// it accepted meanwhile is never reported committed.
    @Test func aLeaderInAMinorityStepsDown() throws {
        let h = try Harness(5)
        try h.elect(1)
        for a in [1, 2] as [NodeID] { for b in [3, 4, 5] as [NodeID] { h.cut.insert([a, b]); h.cut.insert([b, a]) } }
        try h.propose(1, "lost")
        // Check-quorum runs every election timeout; the first check after the cut may
        // still count acknowledgements from before it.
        for _ in 0..<20 { try h.tick(1); try h.deliverAll() }
        #expect(h.status(1).role == .follower)
        #expect(h.appliedData(1).isEmpty)

        // The majority side elects a leader and commits; after healing, "lost" is gone.
        let leader = try #require(try h.electAmong([3, 4, 5]))
        try h.propose(leader, "kept")
        h.heal()
        for _ in 0..<3 { try h.tick(leader); try h.deliverAll() }
        for id in h.members {
            #expect(h.appliedData(id) == ["kept"], "node \(id)")
            #expect(h.log(id) == h.log(leader))
        }
    }

    /// A follower with a long divergent suffix is repaired in a few round trips (fast
    /// back-off skips a whole term per rejection).
    @Test func aLongDivergentLogIsRepairedQuickly() throws {
        let h = try Harness(3)
        try h.elect(1)
        h.isolate(1)
        for i in 0..<60 { _ = try h.nodes[1]!.propose(Array("stale\(i)".utf8)) }
        try h.deliverAll()
        #expect(h.log(1).count == 61)
        let leader = try #require(try h.electAmong([2, 3]))
        for i in 0..<10 { try h.propose(leader, "new\(i)") }
        h.heal()
        var rejections = 0
        for _ in 0..<5 {
            try h.tick(leader)
            try h.deliverAll { m in
                if m.kind == .appendResponse && m.reject && m.from == 1 { rejections += 1 }
                return true
            }
        }
        #expect(h.log(1) == h.log(leader))
        #expect(h.appliedData(1) == (0..<10).map { "new\($0)" })
        #expect(rejections <= 3, "fast back-off: \(rejections) rejections for 60 divergent entries")
    }

    /// Leadership moves to a caught-up member on request; proposals wait meanwhile.
    @Test func leaderTransfer() throws {
        let h = try Harness(3)
        try h.elect(1)
        try h.propose(1, "a")
        let term = h.status(1).term
        h.nodes[1]!.transferLeadership(to: 3)
        #expect(throws: TalonError(.leaderTransferring)) { try h.nodes[1]!.propose([1]) }
        try h.deliverAll()
        #expect(h.leaders == [3])
        #expect(h.status(3).term == term + 1)
        try h.propose(3, "b")
        try h.tick(3)
        try h.deliverAll()
        for id in h.members { #expect(h.appliedData(id) == ["a", "b"]) }
    }

    /// A restarted node recovers its term, vote and log from storage, and re-applies from
    /// the start; anything not saved is gone.
    @Test func restartRecoversWhatWasSaved() throws {
        let h = try Harness(3)
        try h.elect(1)
        try h.propose(1, "a")
        try h.tick(1)
        try h.deliverAll()
        let before = h.status(2)
        h.crash(2)
        try h.start(2)
        #expect(h.status(2).term == before.term)
        #expect(h.status(2).vote == before.vote)
        #expect(h.status(2).lastIndex == before.lastIndex)
        #expect(h.status(2).commit == before.commit)
        try h.tick(1)
        try h.deliverAll()
        #expect(h.appliedData(2) == ["a"])
    }

    /// While a follower hears from its leader, it ignores vote requests (check-quorum's
    /// lease), so a node with a stale view cannot start an election by itself.
    @Test func followersInALeaseIgnoreVotes() throws {
        let h = try Harness(3) { $0.preVote = false }
        try h.elect(1)
        let term = h.status(1).term
        h.isolate(1)
        h.cut.remove([3, 2])
        h.cut.remove([2, 3])
        // 3 times out but 2 heard from 1 recently.
        try h.tick(3, 25)
        try h.deliverAll()
        #expect(h.status(2).term == term && h.status(2).vote != 3)
    }
}
