@_spi(Testing) import TalonRaft
/// A broken safety or liveness property, with where and how the run got there.
public struct SimViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which property broke; the raw value is a stable name for reports.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Two leaders in one term.
        case electionSafety = "election_safety"
        /// Two persisted logs hold an entry with the same index and term but differ before it.
        case logMatching = "log_matching"
        /// A new leader lacks an entry already known committed, or a node lacking one has a log
        /// at least as up to date as a quorum's (so it could be elected).
        case leaderCompleteness = "leader_completeness"
        /// A node applied something other than the one history at some index.
        case stateMachineSafety = "state_machine_safety"
        /// A node's commit index (in memory, or persisted across restarts) moved back.
        case commitRegression = "commit_regression"
        /// An acknowledged proposal is no longer where it was acknowledged.
        case acknowledgedLost = "acknowledged_lost"
        /// A read was released at an index below a write acknowledged before it was asked.
        case readSafety = "read_safety"
        /// After healing, no leader or not every proposal committed within the bound.
        case liveness
        /// The core threw an error on a well-formed input, or never stopped producing output.
        case raftError = "raft_error"
    }

    /// Which property broke.
    public var kind: Kind
    /// What was seen, naming nodes, indexes and terms.
    public var message: String
    /// The seed of the run, to replay it.
    public var seed: UInt64
    /// The number of the step (delivery, tick, client action, fault) that broke the property.
    public var step: Int
    /// Virtual time of that step, in ms.
    public var time: UInt64
    /// The last steps up to and including the failing one, oldest first.
    public var trace: [String]

    public var description: String { "seed \(seed) step \(step) t=\(time): \(kind.rawValue): \(message)" }
}

/// Counts from one run.
public struct SimStats: Sendable, Hashable {
    /// Events processed: deliveries, ticks, client actions, fault changes.
    public var steps = 0
    /// Virtual time at the end, in ms.
    public var time: UInt64 = 0
    /// Terms in which some node became leader.
    public var elections = 0
    /// Entries in the committed history.
    public var commits = 0
    /// Proposals a leader accepted (retries included).
    public var proposals = 0
    /// Proposals applied by the node that took them, where it placed them.
    public var acknowledged = 0
    /// Reads released by ReadIndex.
    public var reads = 0
    /// Leadership transfers asked for.
    public var transfers = 0
    /// Messages handed to the network.
    public var messagesSent = 0
    /// Lost to a loss fault, a down link or a crashed end.
    public var messagesDropped = 0
    /// Messages delivered twice.
    public var messagesDuplicated = 0
    /// Nodes crashed (each restarts later from its storage).
    public var crashes = 0
    /// The highest term any node reached.
    public var maxTerm: UInt64 = 0
    /// Faults started, by kind.
    public var faults: [SimFaultKind: Int] = [:]
    /// Virtual ms from healing until a leader held and every proposal was acknowledged.
    public var recoveryMillis: UInt64 = 0

    public init() {}

    /// Adds another run's counts (maxima for `maxTerm` and `recoveryMillis`).
    public mutating func add(_ o: SimStats) {
        steps += o.steps; time += o.time; elections += o.elections; commits += o.commits
        proposals += o.proposals; acknowledged += o.acknowledged; reads += o.reads; transfers += o.transfers
        messagesSent += o.messagesSent; messagesDropped += o.messagesDropped
        messagesDuplicated += o.messagesDuplicated; crashes += o.crashes
        maxTerm = max(maxTerm, o.maxTerm); recoveryMillis = max(recoveryMillis, o.recoveryMillis)
        for (k, v) in o.faults { faults[k, default: 0] += v }
    }
}

/// What a run produced: its counts, and the first violation if there was one.
public struct SimResult: Sendable, Hashable {
    /// The seed of the run.
    public var seed: UInt64
    /// Cluster size.
    public var nodes: Int
    /// Counts up to the end of the run (or up to the violation).
    public var stats: SimStats
    /// The first property found broken, if any.
    public var violation: SimViolation?
}
