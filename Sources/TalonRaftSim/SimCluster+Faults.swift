@_spi(Testing) import TalonRaft
extension SimCluster {
    /// Scheduled fault `index` starts: targets like "the leader" are resolved now.
    func startFault(_ index: Int) throws(SafetyViolation) {
        guard !healed else { return }
        var fault = schedule.faults[index].fault
        switch fault {
        case .crash(let target):
            guard let id = target ?? leader, nodes[Int(id - 1)].raft != nil else { return }
            fault = .crash(id)
            begin(.fault("fault: \(fault) until t=\(schedule.faults[index].end)"))
            crashedBy[index] = id
            // Half the crashes of a leader strike mid-save: its appends are out, its own
            // copy of what they carry is not on disk.
            if nodes[Int(id - 1)].shownRole == .leader, rng.chance(permille: 500) {
                nodes[Int(id - 1)].crashAtSave = true
            } else {
                crash(id)
            }
        case .isolate(let target):
            let current = target == nil ? leader : nil
            let id = target ?? current ?? rng.pick(ids)
            fault = .isolate(id)
            begin(.fault("fault: \(fault)\(current != nil ? " (the leader)" : "") until t=\(schedule.faults[index].end)"))
            network.start(fault, id: index, at: now)
        case .tickSkew(let id, let percent):
            begin(.fault("fault: \(fault) until t=\(schedule.faults[index].end)"))
            nodes[Int(id - 1)].period = max(1, nodes[Int(id - 1)].basePeriod * percent / 100)
        default:
            begin(.fault("fault: \(fault) until t=\(schedule.faults[index].end)"))
            network.start(fault, id: index, at: now)
        }
        stats.faults[fault.kind, default: 0] += 1
    }

    /// Scheduled fault `index` ends.
    func endFault(_ index: Int) throws(SafetyViolation) {
        guard !healed else { return }
        let fault = schedule.faults[index].fault
        switch fault {
        case .crash:
            guard let id = crashedBy.removeValue(forKey: index) else { return }
            nodes[Int(id - 1)].crashAtSave = false
            begin(.fault("end: crash \(id)"))
            try restart(id)
        case .tickSkew(let id, _):
            begin(.fault("end: \(fault)"))
            nodes[Int(id - 1)].period = nodes[Int(id - 1)].basePeriod
        default:
            guard network.active.contains(where: { $0.id == index }) else { return }
            begin(.fault("end: \(fault)"))
            network.end(id: index)
        }
    }

    /// The chaos is over: every link healthy, every clock at its own pace, every node up.
    func heal() throws(SafetyViolation) {
        begin(.fault("heal: all links up, all nodes up"))
        healed = true
        network.healAll()
        crashedBy = [:]
        for i in nodes.indices { nodes[i].period = nodes[i].basePeriod; nodes[i].crashAtSave = false }
        for id in ids where nodes[Int(id - 1)].raft == nil { try restart(id) }
    }
}
