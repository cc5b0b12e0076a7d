@_spi(Testing) public import TalonRaft
/// One deterministic simulation of a Raft cluster: a chaos phase of seeded faults while
/// clients propose, read and move leadership, then a heal phase in which the cluster must
/// elect a leader and commit every pending proposal within a bound. A safety checker looks at
/// the cluster after every step. The same seed gives the same run, trace and result.
///
/// Liveness bound: after healing, within `livenessElections` (20) election timeouts measured
/// on the slowest clock — 20 × `electionTicks` ticks of the slowest node — a leader must be
/// followed by a quorum in the highest term, and every proposal must be acknowledged by the
/// node that took it.
public struct SimRun {
    /// Decides everything random: clocks, faults, timeouts, client actions, message fates.
    public var seed: UInt64
    /// Cluster size (3 or 5 in practice; 2…9 accepted).
    public var nodes: Int
    /// The fault kinds the schedule draws from.
    public var faults: SimFaultMix
    /// Durations, rates and `RaftConfig` values of the run.
    public var parameters = SimParameters()
    /// Receives every trace line as it happens, when set.
    public var traceSink: ((String) -> Void)?
    /// Deliberately wrong core behaviour, to show the checker catches it.
    @_spi(Testing) public var raftFaults: RaftFaults = []

    /// A run of `nodes` members with faults drawn from `faults`.
    public init(seed: UInt64, nodes: Int = 3, faults: SimFaultMix = .all) {
        self.seed = seed
        self.nodes = nodes
        self.faults = faults
    }

    /// Runs the simulation to the end: healed and settled, or the first violation.
    public func run() -> SimResult {
        let n = min(max(nodes, 2), 9)
        let cluster = SimCluster(seed: seed, nodes: n, mix: faults, parameters: parameters, raftFaults: raftFaults,
                                 sink: traceSink)
        let slowest = cluster.nodes.map(\.basePeriod).max() ?? parameters.baseTickMillis
        let bound = parameters.livenessElections * UInt64(parameters.electionTicks) * slowest
        let deadline = cluster.schedule.chaosEnd + bound
        var step = 0
        var violation: SafetyViolation?
        do {
            try start(cluster)
            while let (time, action) = cluster.queue.pop() {
                if time > deadline {
                    violation = stuck(cluster, bound: bound)
                    break
                }
                cluster.now = time
                step += 1
                try handle(action, in: cluster)
                try cluster.checker.checkCommittedIsDurable()
                cluster.flush()
                if cluster.healed, cluster.client.allAcknowledged, let leader = cluster.establishedLeader {
                    try cluster.checker.checkAcknowledged(in: leader, log: cluster.nodes[Int(leader - 1)].storage.allEntries)
                    for node in cluster.nodes { try cluster.checker.checkMirror(node.id, storage: node.storage.allEntries) }
                    cluster.stats.recoveryMillis = cluster.now - cluster.schedule.chaosEnd
                    cluster.trace.record(cluster.now, .note("settled: leader \(leader), all \(cluster.client.payloads.count) proposals acknowledged"))
                    break
                }
            }
        } catch {
            cluster.flush()
            violation = error
        }
        var stats = cluster.stats
        stats.steps = step
        stats.time = cluster.now
        stats.elections = cluster.checker.elections
        stats.commits = cluster.checker.history.count
        stats.maxTerm = cluster.checker.maxTerm
        let found = violation.map { v in
            SimViolation(kind: v.kind, message: v.message, seed: seed, step: step, time: cluster.now, trace: cluster.trace.lines)
        }
        return SimResult(seed: seed, nodes: n, stats: stats, violation: found)
    }

    private func start(_ c: SimCluster) throws(SafetyViolation) {
        c.begin(.note("seed \(seed): \(c.nodes.count) nodes, tick periods \(c.nodes.map(\.basePeriod)) ms, pre-vote \(c.schedule.preVote ? "on" : "off"), check-quorum \(c.schedule.checkQuorum ? "on" : "off"), appends before save \(c.schedule.appendsBeforeSave ? "on" : "off"), \(c.schedule.faults.count) faults until t=\(c.schedule.chaosEnd)"))
        for id in c.ids { try c.restart(id, boot: true) }
        for (i, f) in c.schedule.faults.enumerated() {
            c.queue.push(f.start, .faultStart(i))
            c.queue.push(f.end, .faultEnd(i))
        }
        c.queue.push(c.schedule.chaosEnd, .heal)
        c.queue.push(c.rng.below(parameters.clientGapMillis) + 1, .client)
        c.flush()
    }

    private func handle(_ action: SimAction, in c: SimCluster) throws(SafetyViolation) {
        switch action {
        case .deliver(let env): try c.deliver(env)
        case .tick(let id, let incarnation): try c.tick(id, incarnation: incarnation)
        case .client: try c.clientAction()
        case .faultStart(let i): try c.startFault(i)
        case .faultEnd(let i): try c.endFault(i)
        case .heal: try c.heal()
        }
    }

    private func stuck(_ c: SimCluster, bound: UInt64) -> SafetyViolation {
        let what = c.establishedLeader == nil ? "no leader a quorum follows" : "\(c.client.unacknowledged) proposals not acknowledged"
        let roles = c.nodes.map { "\($0.id):\($0.raft == nil ? "down" : "\($0.shownRole.rawValue) t\($0.shownTerm)")" }
        return SafetyViolation(.liveness, "\(what) \(bound) ms after healing (\(roles.joined(separator: " ")))")
    }
}
