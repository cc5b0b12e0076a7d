import Testing
@_spi(Testing) import TalonRaft
import TalonProtocol

/// A leader sends its appends before it saves the entries they carry (Raft thesis §10.2.1),
/// so followers write their copies while it writes its own. That is safe only because its
/// own copy counts toward a commit once saved, and because nothing else leaves early.
@Suite struct RaftEarlyAppendTests {
    /// A three-node harness led by node 1, everything delivered.
    func ledByOne() throws -> Harness {
        let h = try Harness(3)
        try h.elect(1)
        try h.tick(1)
        try h.deliverAll()
        #expect(h.leaders == [1])
        return h
    }

    /// Saves and answers on a follower alone (the harness's `drain` would drain the leader too).
    func answer(_ h: Harness, at id: NodeID, _ messages: [Message]) throws -> [Message] {
        guard let raft = h.nodes[id], let storage = h.storages[id] else { return [] }
        for m in messages where m.to == id { try raft.step(m) }
        return try raft.drain(saving: storage) { h.applied[id, default: []].append($0) }.messages
    }

    @Test func theLeadersAppendsLeaveBeforeItSavesAndItsOwnCopyCountsOnlyOnceSaved() throws {
        let h = try ledByOne()
        let leader = try #require(h.nodes[1])
        let at = try leader.propose(Array("early".utf8))
        let early = leader.takeMessagesSendableBeforeSave()
        #expect(early.map(\.to).sorted() == [2, 3])
        #expect(early.allSatisfy { $0.kind == .append && $0.entries.last?.index == at.index })
        #expect(leader.takeMessagesSendableBeforeSave().isEmpty, "taken once")

        // Both followers save and acknowledge before the leader has saved: two followers of
        // three are a quorum without the leader's copy (thesis §10.2.1).
        let acks = try answer(h, at: 2, early) + answer(h, at: 3, early)
        #expect(acks.filter { $0.kind == .appendResponse && !$0.reject && $0.index == at.index }.count == 2)
        for ack in acks { try leader.step(ack) }
        #expect(h.status(1).commit >= at.index, "two followers of three are a quorum without the leader's copy")
        #expect(!h.log(1).contains { $0.index == at.index }, "the leader has not saved it yet")
    }

    @Test func oneFollowersAcknowledgementAndAnUnsavedLeaderCopyCommitNothing() throws {
        let h = try ledByOne()
        let leader = try #require(h.nodes[1])
        let before = h.status(1).commit
        let at = try leader.propose(Array("early".utf8))
        let early = leader.takeMessagesSendableBeforeSave()
        for ack in try answer(h, at: 2, early) { try leader.step(ack) }
        #expect(h.status(1).commit == before, "the leader's unsaved copy must not make the quorum")
        // Once saved, it does.
        try h.drain()
        #expect(h.status(1).commit >= at.index)
    }

    @Test func aLeaderCrashedBeforeSavingWhatItSentLosesNothingItCommitted() throws {
        let h = try ledByOne()
        let leader = try #require(h.nodes[1])
        let at = try leader.propose(Array("sent, not saved".utf8))
        let early = leader.takeMessagesSendableBeforeSave()
        _ = try answer(h, at: 2, early)
        _ = try answer(h, at: 3, early)
        h.crash(1)
        #expect(!h.log(1).contains { $0.index == at.index })

        // The followers hold an entry their old leader lost; one of them must win (node 1's
        // log is behind theirs) and commit it, and node 1 gets it back.
        try h.start(1)
        let winner = try #require(try h.electAmong([1, 2, 3]))
        #expect(winner != 1)
        try h.propose(winner, "after")
        try h.tick(winner)
        try h.deliverAll()
        for id in h.members {
            #expect(h.appliedData(id).suffix(2) == ["sent, not saved", "after"], "node \(id)")
            #expect(h.log(id) == h.log(winner), "node \(id)")
        }
    }

    @Test func nothingButALeadersAppendsAndHeartbeatsLeavesEarly() throws {
        let h = try Harness(3)
        let candidate = try #require(h.nodes[1])
        for _ in 0..<30 where h.status(1).role == .follower { candidate.tick() }
        #expect(h.status(1).role != .follower)
        // Its vote requests depend on the term and vote it has not saved.
        #expect(candidate.takeMessagesSendableBeforeSave().isEmpty)
        try h.drain()
        #expect(h.queue.contains { $0.from == 1 && ($0.kind == .vote || $0.kind == .preVote) })

        // A follower's answers wait for its save too.
        let l = try ledByOne()
        let follower = try #require(l.nodes[2])
        _ = try #require(l.nodes[1]).propose(Array("x".utf8))
        try l.drain()
        let appends = l.queue.filter { $0.to == 2 }
        l.queue.removeAll()
        for m in appends { try follower.step(m) }
        #expect(follower.takeMessagesSendableBeforeSave().isEmpty)
    }
}
