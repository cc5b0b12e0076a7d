@_spi(Testing) import TalonRaft
import TalonProtocol

extension SimCluster {
    /// The clients act: during the chaos, mostly proposals to a node that believes it leads,
    /// some reads at any node and the odd leadership transfer; after healing, only the
    /// proposals not yet acknowledged, again.
    func clientAction() throws(SafetyViolation) {
        let timeout = 3 * UInt64(parameters.electionTicks) * parameters.baseTickMillis
        if now > timeout { client.expire(before: now - timeout) }
        if healed {
            if !client.allAcknowledged { queue.push(now + 5, .client) }
            try propose(allowNew: false)
            return
        }
        queue.push(now + 5 + rng.below(max(parameters.clientGapMillis, 6) - 5), .client)
        let roll = rng.below(100)
        if roll < 75 {
            try propose(allowNew: client.unacknowledged < parameters.maxPendingProposals)
        } else if roll < 95 {
            try read()
        } else {
            try transfer()
        }
    }

    private func propose(allowNew: Bool) throws(SafetyViolation) {
        guard let p = client.nextPayload(allowNew: allowNew) else { return }
        let leaders = liveLeaders
        guard !leaders.isEmpty else {
            client.refused(p)
            return
        }
        let id = rng.pick(leaders)
        guard let raft = nodes[Int(id - 1)].raft else { return }
        let data = client.payloads[p]
        do {
            let placed = try raft.propose(data)
            stats.proposals += 1
            begin(.propose(id, payload: data, term: placed.term, index: placed.index))
            client.proposed(p, at: id, incarnation: nodes[Int(id - 1)].incarnation, term: placed.term, index: placed.index,
                            time: now)
        } catch where error.code == .notLeader || error.code == .leaderTransferring {
            begin(.refused(id, action: "propose \"\(SimTraceEvent.text(data))\"", reason: error.code.name))
            client.refused(p)
        } catch {
            throw SafetyViolation(.raftError, "node \(id): propose: \(error)")
        }
        try drain(id, raft)
    }

    private func read() throws(SafetyViolation) {
        let live = liveNodes
        guard !live.isEmpty else { return }
        let id = rng.pick(live)
        let context = client.readContext()
        checker.readAsked(context)
        guard let raft = nodes[Int(id - 1)].raft else { return }
        begin(.read(id, context: context))
        do {
            try raft.readIndex(context)
        } catch where error.code == .notLeader {
            note(.refused(id, action: "readIndex", reason: error.code.name))
        } catch {
            throw SafetyViolation(.raftError, "node \(id): readIndex: \(error)")
        }
        try drain(id, raft)
    }

    private func transfer() throws(SafetyViolation) {
        guard let from = leader else { return }
        let to = rng.pick(ids.filter { $0 != from })
        stats.transfers += 1
        begin(.transfer(from: from, to: to))
        try drive(from) { $0.transferLeadership(to: to) }
    }
}
