@_spi(Testing) import TalonRaft
import TalonProtocol
/// One simulated member: its "disk" survives a crash, its `Raft` does not.
struct SimNode {
    let id: NodeID
    let storage = MemoryRaftStorage()
    var raft: Raft?
    /// Bumped by every crash; messages and ticks of an older incarnation are dropped.
    var incarnation = 0
    let basePeriod: UInt64
    /// Virtual ms between ticks (the base period, unless a tick-skew fault is in force).
    var period: UInt64
    /// Role, term, leader and commit as last put in the trace.
    var shownRole: Role = .follower
    var shownTerm: UInt64 = 0
    var shownLeader: NodeID?
    var shownCommit: UInt64 = 0
    /// Set by a crash fault aimed at the leader: it crashes in its next drain that has
    /// something to save, after its appends went out and before it saves what they carry.
    var crashAtSave = false
}

/// The simulated world: nodes, network, clients, clock and checker, advanced one event at a
/// time. Every node is driven as the `Ready` contract asks after each call into it, and the
/// checker looks at it after every step.
final class SimCluster {
    let seed: UInt64
    let parameters: SimParameters
    let raftFaults: RaftFaults
    let schedule: SimSchedule
    var nodes: [SimNode]
    var queue = SimEventQueue()
    var network: SimNetwork
    var checker: SafetyChecker
    var client: SimClient
    var trace: SimTrace
    var rng: SplitMix64
    var stats = SimStats()
    var now: UInt64 = 0
    var healed = false
    /// Node crashed by each crash fault in force, by schedule index.
    var crashedBy: [Int: NodeID] = [:]
    /// The current step's trace lines, held back until the step is over (idle ticks leave none).
    private var tickNode: NodeID?
    private var stepEvents: [SimTraceEvent] = []
    private var sentThisStep = 0

    init(seed: UInt64, nodes count: Int, mix: SimFaultMix, parameters: SimParameters, raftFaults: RaftFaults,
         sink: ((String) -> Void)?) {
        self.seed = seed
        self.parameters = parameters
        self.raftFaults = raftFaults
        let schedule = SimSchedule(seed: seed, nodes: count, mix: mix, parameters: parameters)
        self.schedule = schedule
        nodes = schedule.tickPeriods.enumerated().map { i, period in SimNode(id: UInt64(i + 1), basePeriod: period, period: period) }
        network = SimNetwork(seed: seed)
        checker = SafetyChecker(nodes: count)
        client = SimClient(seed: seed, nodes: count)
        trace = SimTrace(capacity: parameters.traceLines, sink: sink)
        rng = SplitMix64(seed: seed ^ 0xC11E_4700_0000_0001)
    }

    var ids: [NodeID] { nodes.map(\.id) }

    func config(for id: NodeID, incarnation: Int) -> RaftConfig {
        var c = RaftConfig(id: id, members: ids, seed: seed ^ UInt64(incarnation) &* 0xA24B_AED4_963E_E407)
        c.electionTicks = parameters.electionTicks
        c.heartbeatTicks = parameters.heartbeatTicks
        c.preVote = schedule.preVote
        c.checkQuorum = schedule.checkQuorum
        c.maxMessageBytes = parameters.maxMessageBytes
        c.maxInflight = parameters.maxInflight
        c.applied = 0
        c.faults = raftFaults
        return c
    }

    // MARK: - Trace

    func begin(_ header: SimTraceEvent) { trace.record(now, header) }
    func beginTick(_ id: NodeID) { tickNode = id }
    func note(_ event: SimTraceEvent) {
        if tickNode != nil { stepEvents.append(event) } else { trace.record(now, event) }
    }

    /// Ends a step: a tick is traced only when it caused something.
    func flush() {
        if let id = tickNode, sentThisStep > 0 || !stepEvents.isEmpty {
            trace.record(now, .tick(id, sent: sentThisStep))
            for e in stepEvents { trace.record(now, e) }
        }
        tickNode = nil
        stepEvents.removeAll(keepingCapacity: true)
        sentThisStep = 0
    }

    // MARK: - Driving a node

    /// Calls into a live node, then drains its `Ready`s and checks it.
    func drive(_ id: NodeID, _ action: (Raft) throws(TalonError) -> Void) throws(SafetyViolation) {
        guard let raft = nodes[Int(id - 1)].raft else { return }
        do { try action(raft) } catch { throw SafetyViolation(.raftError, "node \(id): \(error)") }
        try drain(id, raft)
    }

    /// The driver contract: save, send, apply, release reads, advance — until nothing is left.
    /// With `appendsBeforeSave`, a leader's appends go out first, before it saves the entries
    /// they carry, as a node's loop then sends them (`NodeCore.Input.sendBeforeSave`).
    func drain(_ id: NodeID, _ raft: Raft) throws(SafetyViolation) {
        let n = Int(id - 1)
        if schedule.appendsBeforeSave {
            for m in raft.takeMessagesSendableBeforeSave() { try send(m, from: id, outlivingSender: true) }
        }
        var rounds = 0
        while raft.hasReady {
            rounds += 1
            guard rounds <= 1_000 else { throw SafetyViolation(.raftError, "node \(id) never runs out of Ready") }
            let r: Ready
            do {
                r = try raft.ready()
                if nodes[n].crashAtSave, r.hardState != nil || !r.entries.isEmpty {
                    note(.fault("crash \(id) before it saves \(r.entries.count) entries"))
                    crash(id)
                    return
                }
                try nodes[n].storage.save(hardState: r.hardState, entries: r.entries)
            } catch {
                throw SafetyViolation(.raftError, "node \(id): \(error)")
            }
            try checker.saved(id, hardState: r.hardState, entries: r.entries)
            for m in r.messages { try send(m, from: id) }
            if !r.committed.isEmpty {
                let term = raft.status.term
                for e in r.committed { try applied(e, at: id, term: term) }
            }
            for rs in r.readStates {
                note(.readState(id, index: rs.index, context: rs.context))
                stats.reads += 1
                try checker.readReleased(id, rs)
            }
            raft.advance(r)
        }
        try observe(id, raft)
    }

    private func applied(_ e: Entry, at id: NodeID, term: UInt64) throws(SafetyViolation) {
        try checker.applied(id, e, term: term)
        switch client.applied(e, at: id, incarnation: nodes[Int(id - 1)].incarnation) {
        case .acknowledged(let p):
            stats.acknowledged += 1
            note(.acknowledged(id, payload: client.payloads[p], term: e.term, index: e.index))
            try checker.acknowledge(e)
        case .mismatch(let p):
            throw SafetyViolation(.acknowledgedLost, """
                node \(id) returned \(e.index)@\(e.term) for \"\(SimTraceEvent.text(client.payloads[p]))\" but applied \
                \(SafetyChecker.show(e)) there
                """)
        case .superseded, .none:
            break
        }
    }

    /// Traces role, leader and commit changes, then runs the checker on the node's status.
    private func observe(_ id: NodeID, _ raft: Raft) throws(SafetyViolation) {
        let s = raft.status
        let n = Int(id - 1)
        if s.role != nodes[n].shownRole || s.term != nodes[n].shownTerm || s.leader != nodes[n].shownLeader {
            note(.role(id, s.role, term: s.term, leader: s.leader))
            nodes[n].shownRole = s.role
            nodes[n].shownTerm = s.term
            nodes[n].shownLeader = s.leader
        }
        if s.commit != nodes[n].shownCommit {
            note(.commit(id, s.commit))
            nodes[n].shownCommit = s.commit
        }
        try checker.observe(id, role: s.role, term: s.term, commit: s.commit)
    }

    private func send(_ m: Message, from id: NodeID, outlivingSender: Bool = false) throws(SafetyViolation) {
        guard m.from == id, m.to != id, m.to >= 1, m.to <= UInt64(nodes.count) else {
            throw SafetyViolation(.raftError, "node \(id) sent a misaddressed message: \(m)")
        }
        sentThisStep += 1
        stats.messagesSent += 1
        switch network.route(m, at: now) {
        case .lost(let reason):
            stats.messagesDropped += 1
            note(.drop(m, reason: reason))
        case .deliver(let times):
            let from = nodes[Int(id - 1)].incarnation, to = nodes[Int(m.to - 1)].incarnation
            for (k, t) in times.enumerated() {
                queue.push(t, .deliver(SimEnvelope(message: m, fromIncarnation: from, toIncarnation: to, duplicate: k > 0,
                                                   outlivesSender: outlivingSender)))
            }
            if times.count > 1 { stats.messagesDuplicated += 1 }
        }
    }

    // MARK: - Events

    func deliver(_ env: SimEnvelope) throws(SafetyViolation) {
        let m = env.message
        let src = nodes[Int(m.from - 1)], dst = nodes[Int(m.to - 1)]
        var reason: String?
        if dst.raft == nil || env.toIncarnation != dst.incarnation || (env.fromIncarnation != src.incarnation && !env.outlivesSender) {
            reason = "crashed"
        } else if network.isBlocked(from: m.from, to: m.to, at: now) {
            reason = "link down"
        }
        if let reason {
            stats.messagesDropped += 1
            begin(.drop(m, reason: reason))
            return
        }
        begin(.deliver(m, duplicate: env.duplicate))
        try drive(m.to) { r throws(TalonError) in try r.step(m) }
    }

    func tick(_ id: NodeID, incarnation: Int) throws(SafetyViolation) {
        let node = nodes[Int(id - 1)]
        guard node.raft != nil, node.incarnation == incarnation else { return }
        queue.push(now + node.period, .tick(id, incarnation: incarnation))
        beginTick(id)
        try drive(id) { $0.tick() }
    }

    func crash(_ id: NodeID) {
        let n = Int(id - 1)
        guard nodes[n].raft != nil else { return }
        nodes[n].raft = nil
        nodes[n].crashAtSave = false
        nodes[n].incarnation += 1
        nodes[n].shownRole = .follower
        client.crashed(id)
        stats.crashes += 1
        note(.fault("crash \(id)"))
    }

    /// Starts a node (again) from what its storage holds; `boot` for the first start.
    func restart(_ id: NodeID, boot: Bool = false) throws(SafetyViolation) {
        let n = Int(id - 1)
        guard nodes[n].raft == nil else { return }
        let raft: Raft
        do { raft = try Raft(config: config(for: id, incarnation: nodes[n].incarnation), storage: nodes[n].storage) } catch {
            throw SafetyViolation(.raftError, "node \(id) cannot restart: \(error)")
        }
        nodes[n].raft = raft
        checker.restarted(id)
        note(.fault(boot ? "start \(id)" : "restart \(id)"))
        queue.push(now + 1 + rng.below(nodes[n].period), .tick(id, incarnation: nodes[n].incarnation))
        try drain(id, raft)
    }

    /// The live node leading in the highest term, if any (as of the last step).
    var leader: NodeID? {
        var best: SimNode?
        for node in nodes where node.raft != nil && node.shownRole == .leader {
            if best.map({ node.shownTerm > $0.shownTerm }) ?? true { best = node }
        }
        return best?.id
    }

    /// The leader a quorum of live nodes follows in the highest term any live node is in —
    /// not a deposed leader that has not heard of the newer term yet.
    var establishedLeader: NodeID? {
        let live = nodes.filter { $0.raft != nil }
        guard let leader, let top = live.map(\.shownTerm).max(), nodes[Int(leader - 1)].shownTerm == top else { return nil }
        let followers = live.filter { $0.shownTerm == top && $0.shownLeader == leader }.count
        return followers >= nodes.count / 2 + 1 ? leader : nil
    }

    /// Live nodes that believe they lead.
    var liveLeaders: [NodeID] { nodes.compactMap { $0.raft != nil && $0.shownRole == .leader ? $0.id : nil } }
    var liveNodes: [NodeID] { nodes.compactMap { $0.raft == nil ? nil : $0.id } }
}
