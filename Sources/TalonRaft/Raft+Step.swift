public import TalonProtocol
extension Raft {
    /// Feeds a message from another member. Messages from non-members, or that contradict
    /// themselves, are ignored.
    /// - Throws: `TalonError(.raftStorage)` when the log cannot be read or would contradict a commit.
    public func step(_ m: Message) throws(TalonError) {
        guard m.to == id, m.from != id, config.members.contains(m.from), isWellFormed(m) else { return }
        guard try stepTerm(m) else { return }
        switch m.kind {
        case .vote, .preVote:
            handleVoteRequest(m)
        default:
            switch role {
            case .leader: try stepLeader(m)
            case .candidate, .preCandidate: try stepCandidate(m)
            case .follower: try stepFollower(m)
            }
        }
    }

    /// Entries must follow `index` one by one; anything else is a peer's bug.
    private func isWellFormed(_ m: Message) -> Bool {
        for (i, e) in m.entries.enumerated() where e.index != m.index + UInt64(i) + 1 || e.term > m.term {
            return false
        }
        return true
    }

    /// Applies the term rules; false when the message is to be dropped.
    private func stepTerm(_ m: Message) throws(TalonError) -> Bool {
        if m.term > term {
            if m.kind == .vote || m.kind == .preVote {
                let forced = m.context == Message.transferContext
                let inLease = config.checkQuorum && leader != nil && electionElapsed < config.electionTicks
                // While we hear from a leader, a vote request is from a node that was cut off.
                if !forced && inLease { return false }
            }
            switch m.kind {
            case .preVote:
                break  // a pre-vote never changes our term
            case .preVoteResponse where !m.reject:
                break  // granted for the term we are about to ask for
            case .append, .heartbeat:
                becomeFollower(term: m.term, leader: m.from)
            case .vote:
                // Take the term but keep the election timer running: it restarts only when
                // this vote is granted (Raft §5.2). Otherwise stale candidates with fast
                // clocks, rejected again and again, would keep up-to-date nodes from ever
                // campaigning (found by the simulator with pre-vote off, seed 973).
                let elapsed = electionElapsed, timeout = randomizedElectionTimeout
                becomeFollower(term: m.term, leader: nil)
                electionElapsed = elapsed
                randomizedElectionTimeout = timeout
            default:
                becomeFollower(term: m.term, leader: nil)
            }
            return true
        }
        if m.term < term {
            if (config.checkQuorum || config.preVote) && (m.kind == .append || m.kind == .heartbeat) {
                // Tell a stale leader about the newer term, or it would never step down.
                send(Message(kind: .appendResponse, from: id, to: m.from, term: term))
            } else if m.kind == .preVote {
                send(Message(kind: .preVoteResponse, from: id, to: m.from, term: term, reject: true))
            }
            return false
        }
        return true
    }

    private func stepFollower(_ m: Message) throws(TalonError) {
        switch m.kind {
        case .append:
            electionElapsed = 0
            leader = m.from
            try handleAppend(m)
        case .heartbeat:
            electionElapsed = 0
            leader = m.from
            handleHeartbeat(m)
        case .timeoutNow:
            campaign(transfer: true)
        case .readIndexResponse:
            readStates.append(ReadState(index: m.index, context: m.context))
        default:
            break
        }
    }

    private func stepCandidate(_ m: Message) throws(TalonError) {
        switch m.kind {
        case .append:
            becomeFollower(term: m.term, leader: m.from)
            try handleAppend(m)
        case .heartbeat:
            becomeFollower(term: m.term, leader: m.from)
            handleHeartbeat(m)
        case .preVoteResponse where role == .preCandidate:
            poll(m.from, granted: !m.reject)
        case .voteResponse where role == .candidate:
            poll(m.from, granted: !m.reject)
        default:
            break
        }
    }

    private func handleAppend(_ m: Message) throws(TalonError) {
        if m.index < log.committed {
            send(Message(kind: .appendResponse, from: id, to: m.from, term: term, index: log.committed))
            return
        }
        if let lastNew = try log.maybeAppend(index: m.index, logTerm: m.logTerm, commit: m.commit, entries: m.entries,
                                             skipMatchCheck: config.faults.contains(.skipLogMatchCheck)) {
            send(Message(kind: .appendResponse, from: id, to: m.from, term: term, index: lastNew))
        } else {
            let hint = log.findConflictByTerm(min(m.index, log.lastIndex), m.logTerm)
            send(Message(kind: .appendResponse, from: id, to: m.from, term: term, logTerm: hint.term, index: m.index,
                         reject: true, rejectHint: hint.index))
        }
    }

    private func handleHeartbeat(_ m: Message) {
        log.commitTo(m.commit)
        send(Message(kind: .heartbeatResponse, from: id, to: m.from, term: term, context: m.context))
    }
}
