/// A snapshot of one node's Raft state, for status pages, tests and the simulator.
public struct RaftStatus: Sendable, Hashable {
    public var id: NodeID
    public var role: Role
    public var term: UInt64
    public var vote: NodeID?
    public var leader: NodeID?
    public var commit: UInt64
    public var applied: UInt64
    public var lastIndex: UInt64
    /// The leader's view of each follower: (match, next). Empty on followers.
    public var progress: [NodeID: (match: UInt64, next: UInt64)]
    /// On a leader, the index of the no-op that opened its term: once it has applied that
    /// far, its state holds everything committed before it led. Nil on other members.
    public var termStart: UInt64? = nil

    public static func == (a: RaftStatus, b: RaftStatus) -> Bool {
        a.id == b.id && a.role == b.role && a.term == b.term && a.vote == b.vote && a.leader == b.leader
            && a.commit == b.commit && a.applied == b.applied && a.lastIndex == b.lastIndex && a.termStart == b.termStart
            && a.progress.mapValues { [$0.match, $0.next] } == b.progress.mapValues { [$0.match, $0.next] }
    }

    public func hash(into h: inout Hasher) {
        h.combine(id); h.combine(term); h.combine(commit); h.combine(lastIndex)
    }
}
