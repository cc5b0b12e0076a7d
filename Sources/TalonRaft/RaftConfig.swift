/// How one node runs Raft. Times are in ticks; the driver decides how long a tick is.
public struct RaftConfig: Sendable {
    /// This node.
    public var id: NodeID
    /// Every voting member, this node included.
    public var members: [NodeID]
    /// Ticks without hearing from a leader before campaigning; the actual timeout is drawn
    /// from `electionTicks..<2*electionTicks` after every reset.
    public var electionTicks: Int = 10
    /// Ticks between a leader's heartbeats; must be less than `electionTicks`.
    public var heartbeatTicks: Int = 1
    /// Ask for pre-votes before raising the term, so a node that was cut off cannot disrupt.
    public var preVote: Bool = true
    /// A leader that has not heard from a majority for `electionTicks` steps down, and
    /// followers ignore vote requests while they hear from a leader.
    public var checkQuorum: Bool = true
    /// Bytes of entries in one append message (at least one entry is always sent).
    public var maxMessageBytes: Int = 1 << 20
    /// Append messages in flight to one follower before waiting for acknowledgements.
    public var maxInflight: Int = 64
    /// The largest proposal accepted.
    public var maxEntryBytes: Int = 16 << 20
    /// The index the state machine has already applied (when restarting).
    public var applied: UInt64 = 0
    /// Seed of the generator that randomizes election timeouts.
    public var seed: UInt64
    /// Deliberate bugs, switched on only by tests that prove the simulator catches them.
    @_spi(Testing) public var faults: RaftFaults = []

    public init(id: NodeID, members: [NodeID], seed: UInt64) {
        self.id = id
        self.members = members
        self.seed = seed
    }
}

/// Deliberately wrong variants of the core. Each breaks one of Raft's safety rules; the
/// simulator must report a violation when one is switched on.
@_spi(Testing) public struct RaftFaults: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Commit an entry of an earlier term by counting replicas (the paper's Figure 8).
    public static let commitPreviousTermByCount = RaftFaults(rawValue: 1 << 0)
    /// Grant a vote to a second candidate in a term already voted in.
    public static let voteTwicePerTerm = RaftFaults(rawValue: 1 << 1)
    /// Grant votes without checking the candidate's log is up to date.
    public static let ignoreLogInVotes = RaftFaults(rawValue: 1 << 2)
    /// Acknowledge appends without checking the previous entry matches.
    public static let skipLogMatchCheck = RaftFaults(rawValue: 1 << 3)
}

/// A small deterministic generator (SplitMix64): the same seed gives the same timeouts.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
