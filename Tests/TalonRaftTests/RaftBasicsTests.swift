import Testing
@_spi(Testing) import TalonRaft
import TalonProtocol

@Suite struct RaftBasicsTests {
    @Test func aSingleNodeElectsItselfAndCommits() throws {
        let h = try Harness(1)
        try h.elect(1)
        #expect(h.status(1).role == .leader)
        try h.propose(1, "a")
        #expect(h.appliedData(1) == ["a"])
        #expect(h.status(1).commit == 2, "the no-op and the proposal")
    }

    @Test func threeNodesElectOneLeaderAndReplicate() throws {
        let h = try Harness(3)
        try h.elect(1)
        #expect(h.leaders == [1])
        #expect(h.status(2).leader == 1 && h.status(3).leader == 1)
        for i in 0..<5 { try h.propose(1, "p\(i)") }
        // Followers learn the last commit with the next append or heartbeat.
        try h.tick(1, 1)
        try h.deliverAll()
        for id in h.members {
            #expect(h.appliedData(id) == (0..<5).map { "p\($0)" }, "node \(id)")
            #expect(h.log(id) == h.log(1))
        }
    }

    @Test func followersRefuseProposalsAndNameTheLeader() throws {
        let h = try Harness(3)
        try h.elect(1)
        #expect(throws: TalonError(.notLeader)) { try h.nodes[2]!.propose([1]) }
    }

    @Test func readIndexOnLeaderAndFollower() throws {
        let h = try Harness(3)
        try h.elect(1)
        try h.propose(1, "x")
        try h.nodes[1]!.readIndex([7])
        try h.deliverAll()
        #expect(h.readStates[1] == [ReadState(index: 2, context: [7])])
        try h.nodes[3]!.readIndex([8])
        try h.deliverAll()
        #expect(h.readStates[3] == [ReadState(index: 2, context: [8])])
    }

    /// A leader cut off from the majority cannot confirm it still leads, so it releases no
    /// read, even while it still believes it is the leader.
    @Test func aCutOffLeaderReleasesNoRead() throws {
        let h = try Harness(3)
        try h.elect(1)
        h.isolate(1)
        try h.nodes[1]!.readIndex([1])
        try h.tick(1, 3)
        try h.deliverAll()
        #expect(h.status(1).role == .leader)
        #expect(h.readStates[1, default: []].isEmpty)
    }

    /// A new leader answers reads only once its term's no-op is committed, so the read index
    /// covers everything the previous leader committed.
    @Test func aNewLeaderDefersReadsUntilItsTermCommits() throws {
        let h = try Harness(3)
        try h.elect(1)
        try h.propose(1, "a")
        h.crash(1)
        // Deliver the votes only, keeping the new leader's appends back.
        let leader = try #require(try h.electAmong([2, 3]) { $0.kind != .append })
        try h.nodes[leader]!.readIndex([9])
        try h.deliverAll { $0.kind != .append }
        #expect(h.readStates[leader, default: []].isEmpty, "nothing of term \(h.status(leader).term) is committed yet")
        try h.tick(leader)
        try h.deliverAll()
        let reads = h.readStates[leader, default: []]
        #expect(reads.count == 1)
        #expect(reads.first.map { $0.index >= 3 } == true, "the read index covers 'a' and the new no-op")
    }
}
