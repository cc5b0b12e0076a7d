import TalonProtocol
extension Raft {
    func stepLeader(_ m: Message) throws(TalonError) {
        guard var pr = progress[m.from] else { return }
        switch m.kind {
        case .appendResponse:
            pr.recentActive = true
            if m.reject {
                // Fast back-off: skip every entry of a term the follower cannot have.
                var hint = m.rejectHint
                if m.logTerm > 0 { hint = log.findConflictByTerm(m.rejectHint, m.logTerm).index }
                if pr.maybeDecrease(rejected: m.index, hint: hint) {
                    if pr.state == .replicate { pr.becomeProbe() }
                    progress[m.from] = pr
                    sendAppend(to: m.from)
                } else {
                    progress[m.from] = pr
                }
                return
            }
            guard m.index <= log.lastIndex else { progress[m.from] = pr; return }
            let wasPaused = pr.isPaused(maxInflight: config.maxInflight)
            if pr.maybeUpdate(m.index) {
                if pr.state == .probe { pr.becomeReplicate() } else { pr.freeInflight(through: m.index) }
                progress[m.from] = pr
                if maybeCommit() {
                    broadcastAppend()
                } else if wasPaused {
                    sendAppend(to: m.from)
                }
                // Pipeline: keep sending while the window allows and entries remain.
                while let p = progress[m.from], p.state == .replicate, p.next <= log.lastIndex,
                      !p.isPaused(maxInflight: config.maxInflight), sendAppend(to: m.from) {}
                if transferee == m.from, progress[m.from]?.match == log.lastIndex {
                    send(Message(kind: .timeoutNow, from: id, to: m.from, term: term))
                }
            } else {
                progress[m.from] = pr
            }
        case .heartbeatResponse:
            pr.recentActive = true
            pr.probeSent = false
            // A full window may be full of lost appends that will never be answered: free one
            // slot so the next append goes out; if it is rejected, the leader probes back.
            if pr.state == .replicate && pr.isPaused(maxInflight: config.maxInflight) { pr.inflight.removeFirst() }
            progress[m.from] = pr
            if pr.match < log.lastIndex { sendAppend(to: m.from) }
            if !m.context.isEmpty { acknowledgeRead(context: m.context, from: m.from) }
        case .readIndex:
            progress[m.from] = pr
            handleReadIndex(context: m.context, from: m.from)
        default:
            break
        }
    }

    /// Sends the follower what it lacks from `next` on (an empty append when it lacks
    /// nothing, which carries the commit index), unless its window is full; true when sent.
    @discardableResult
    func sendAppend(to peer: NodeID) -> Bool {
        guard var pr = progress[peer], !pr.isPaused(maxInflight: config.maxInflight) else { return false }
        let prevIndex = pr.next - 1
        guard let prevTerm = try? log.term(prevIndex),
              let entries = try? log.entries(from: pr.next, maxBytes: config.maxMessageBytes) else {
            // Without compaction every index below `next` exists; a failed read is retried on
            // the next heartbeat response.
            return false
        }
        send(Message(kind: .append, from: id, to: peer, term: term, logTerm: prevTerm, index: prevIndex,
                     entries: entries, commit: log.committed))
        pr.sent(lastIndex: entries.last?.index)
        progress[peer] = pr
        return true
    }

    func broadcastAppend() {
        for peer in peers { sendAppend(to: peer) }
    }

    func broadcastHeartbeat(context: [UInt8]) {
        for peer in peers {
            let commit = min(progress[peer]?.match ?? 0, log.committed)
            send(Message(kind: .heartbeat, from: id, to: peer, term: term, commit: commit, context: context))
        }
    }

    /// Commits the highest index a quorum has saved, but only if it is of the current term
    /// (Raft §5.4.2: counting replicas never commits an earlier term's entry).
    func maybeCommit() -> Bool {
        let matches = config.members.map { progress[$0]?.match ?? 0 }.sorted(by: >)
        let candidate = matches[quorum - 1]
        guard candidate > log.committed else { return false }
        let candidateTerm = (try? log.term(candidate)) ?? 0
        guard candidateTerm == term || config.faults.contains(.commitPreviousTermByCount) else { return false }
        log.commitTo(candidate)
        if candidateTerm == term { releaseDeferredReads() }
        return true
    }

    // MARK: - ReadIndex

    var hasCommittedInTerm: Bool { (try? log.term(log.committed)) == term }

    func handleReadIndex(context: [UInt8], from: NodeID) {
        guard hasCommittedInTerm else {
            // Until this term's no-op commits, the leader's commit index may be behind.
            deferredReads.append((context, from))
            return
        }
        if config.members.count == 1 {
            release(PendingRead(index: log.committed, context: context, from: from, acks: [id]))
            return
        }
        guard !pendingReads.contains(where: { $0.context == context }) else { return }
        pendingReads.append(PendingRead(index: log.committed, context: context, from: from, acks: [id]))
        broadcastHeartbeat(context: context)
    }

    func acknowledgeRead(context: [UInt8], from: NodeID) {
        guard let i = pendingReads.firstIndex(where: { $0.context == context }) else { return }
        pendingReads[i].acks.insert(from)
        guard pendingReads[i].acks.count >= quorum else { return }
        // A quorum confirmed leadership after every earlier read was asked: release them all.
        for read in pendingReads[...i] { release(read) }
        pendingReads.removeFirst(i + 1)
    }

    private func release(_ read: PendingRead) {
        if read.from == id {
            readStates.append(ReadState(index: read.index, context: read.context))
        } else {
            send(Message(kind: .readIndexResponse, from: id, to: read.from, term: term, index: read.index, context: read.context))
        }
    }

    private func releaseDeferredReads() {
        let waiting = deferredReads
        deferredReads = []
        for read in waiting { handleReadIndex(context: read.context, from: read.from) }
    }
}
