@_spi(Testing) import TalonRaft
/// A kind of fault the simulator injects during the chaos phase of a run.
public enum SimFaultKind: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Messages on every link are lost at some rate.
    case loss
    /// Every message is slowed by up to several ticks.
    case delay
    /// Messages are delivered twice at some rate.
    case duplication
    /// Each message gets a large random extra delay, so later messages overtake earlier ones.
    case reordering
    /// The members are split into groups that cannot reach each other (both directions).
    case partition
    /// Messages from one group of members to another are dropped, the other way still works.
    case oneWayPartition = "one_way_partition"
    /// Whoever leads when the fault starts is cut off from everyone.
    case isolatedLeader = "isolated_leader"
    /// One link goes down and up again every few ticks.
    case flappingLink = "flapping_link"
    /// A node (sometimes the leader) crashes and restarts later from what it saved.
    case crash
    /// A node's clock runs much slower or faster than usual for a while.
    case tickSkew = "tick_skew"

    public static func < (a: SimFaultKind, b: SimFaultKind) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// Which faults a schedule draws from, and how often each relative to the others.
public struct SimFaultMix: Sendable, Hashable {
    /// Relative weight of each kind; kinds absent or at 0 are never scheduled.
    public var weights: [SimFaultKind: Int]

    /// The given kinds with the given relative weights.
    public init(weights: [SimFaultKind: Int]) { self.weights = weights }

    /// The given kinds, equally likely.
    public init(_ kinds: [SimFaultKind]) {
        weights = Dictionary(kinds.map { ($0, 1) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every kind, equally likely.
    public static let all = SimFaultMix(SimFaultKind.allCases)
    /// No faults: the chaos phase is as healthy as the heal phase.
    public static let none = SimFaultMix([])

    /// The kinds in use with their weights, in a fixed order (so a seed always means the same).
    var ordered: [(kind: SimFaultKind, weight: Int)] {
        SimFaultKind.allCases.compactMap { k in weights[k].flatMap { $0 > 0 ? (k, $0) : nil } }
    }
}

/// The shape of a run: how long the chaos lasts and how the cluster is configured. Times are
/// virtual milliseconds.
public struct SimParameters: Sendable, Hashable {
    /// Length of the chaos phase, during which faults are injected and clients propose.
    public var chaosMillis: UInt64 = 3_000
    /// A node's tick period is drawn from 70%…150% of this.
    public var baseTickMillis: UInt64 = 10
    /// Passed to every node's `RaftConfig`.
    public var electionTicks = 10
    /// Passed to every node's `RaftConfig`.
    public var heartbeatTicks = 1
    /// When set, each seed switches pre-vote and check-quorum off one time in four each, and
    /// leaders' appends before their save off one time in two; otherwise all are on.
    public var varyElectionOptions = true
    /// Passed to every node's `RaftConfig`: small, so catching up takes several rounds.
    public var maxMessageBytes = 256
    /// Passed to every node's `RaftConfig`: small, so lost appends can fill the window.
    public var maxInflight = 8
    /// Mean gap between the starts of two scheduled faults.
    public var meanFaultGapMillis: UInt64 = 150
    /// Share (per mille) of crash faults that hit whoever leads when they start (none if nobody does).
    public var crashLeaderPermille: UInt64 = 400
    /// Longest a crashed node stays down (crash faults last 3 ticks to this).
    public var maxCrashMillis: UInt64 = 600
    /// Client actions (proposal, read, transfer) come every 5…`clientGapMillis` ms during chaos.
    public var clientGapMillis: UInt64 = 25
    /// Proposals not yet acknowledged that clients keep at most.
    public var maxPendingProposals = 24
    /// After healing, a leader must be elected and every pending proposal acknowledged within
    /// this many election timeouts (`electionTicks` ticks of the slowest clock) — 20 by default.
    public var livenessElections: UInt64 = 20
    /// Steps kept in a violation's trace.
    public var traceLines = 300

    /// The defaults used by `talon sim raft` and the CI seeds.
    public init() {}
}
