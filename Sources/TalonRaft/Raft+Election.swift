extension Raft {
    func tickElection() {
        electionElapsed += 1
        if electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            campaign(transfer: false)
        }
    }

    func tickLeader() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if electionElapsed >= config.electionTicks {
            electionElapsed = 0
            if config.checkQuorum && !quorumActive() {
                // A leader cut off from a majority stops pretending.
                becomeFollower(term: term, leader: nil)
                return
            }
            transferee = nil
        }
        if heartbeatElapsed >= config.heartbeatTicks {
            heartbeatElapsed = 0
            broadcastHeartbeat(context: [])
        }
    }

    /// True when a majority (this node included) was heard from since the last check; resets
    /// the marks for the next one.
    func quorumActive() -> Bool {
        var active = 1
        for peer in peers where progress[peer]?.recentActive == true {
            active += 1
            progress[peer]?.recentActive = false
        }
        return active >= quorum
    }

    /// Starts a pre-vote (or, for a transfer or without pre-vote, a real election).
    func campaign(transfer: Bool) {
        guard role != .leader else { return }
        resetElectionTimeout()
        let pre = config.preVote && !transfer
        let kind: Message.Kind
        let campaignTerm: UInt64
        if pre {
            becomePreCandidate()
            kind = .preVote
            campaignTerm = term + 1
        } else {
            becomeCandidate()
            kind = .vote
            campaignTerm = term
        }
        if poll(id, granted: true) { return }
        for peer in peers {
            send(Message(kind: kind, from: id, to: peer, term: campaignTerm, logTerm: log.lastTerm, index: log.lastIndex,
                         context: transfer ? Message.transferContext : []))
        }
    }

    /// Counts a vote; true when the campaign ended (won or lost).
    @discardableResult
    func poll(_ from: NodeID, granted: Bool) -> Bool {
        if votes[from] == nil { votes[from] = granted }
        let yes = votes.values.filter { $0 }.count, no = votes.count - yes
        if yes >= quorum {
            if role == .preCandidate {
                startElection()
            } else {
                becomeLeader()
            }
            return true
        }
        if no >= quorum {
            becomeFollower(term: term, leader: nil)
            return true
        }
        return false
    }

    /// The real election after a won pre-vote.
    private func startElection() {
        becomeCandidate()
        if poll(id, granted: true) { return }
        for peer in peers {
            send(Message(kind: .vote, from: id, to: peer, term: term, logTerm: log.lastTerm, index: log.lastIndex))
        }
    }

    /// Answers a vote or pre-vote request whose term is not behind ours.
    func handleVoteRequest(_ m: Message) {
        let pre = m.kind == .preVote
        var canVote = vote == m.from || (vote == nil && leader == nil) || (pre && m.term > term)
        if !pre && config.faults.contains(.voteTwicePerTerm) { canVote = true }
        let upToDate = config.faults.contains(.ignoreLogInVotes) || log.isUpToDate(lastIndex: m.index, term: m.logTerm)
        let response: Message.Kind = pre ? .preVoteResponse : .voteResponse
        if canVote && upToDate {
            // A pre-vote answer carries the term asked about, so the asker can count it.
            send(Message(kind: response, from: id, to: m.from, term: m.term))
            if !pre {
                electionElapsed = 0
                vote = m.from
            }
        } else {
            send(Message(kind: response, from: id, to: m.from, term: term, reject: true))
        }
    }
}
