import Testing
@_spi(Testing) import TalonRaft

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
        #expect(throws: RaftError.notLeader) { try h.nodes[2]!.propose([1]) }
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
}
