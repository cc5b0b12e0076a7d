import Foundation
import TalonProtocol
import TalonRaft

/// Waiters that can no longer be answered by the entry or read they wait for.
extension Node {
    /// Once a new leader is known, reads still waiting for their read index asked one that is
    /// gone, and the request or its answer may be lost with it: they are asked again in the
    /// next turn, of the new leader, under a new context (an answer to the old one is
    /// ignored), instead of waiting for their timeout.
    func askReadsAgain() {
        let unanswered = reads.filter { $0.value.index == nil }
        guard !unanswered.isEmpty else { return }
        for context in unanswered.keys { reads[context] = nil }
        condition.withLock { inbox.reads.append(contentsOf: unanswered.values.map(\.waiting)) }
    }

    /// Fails waiters past their deadline; entries lost with an old leader (an index at or
    /// below the applied one that never came back) fail as dropped.
    func expire(_ now: ContinuousClock.Instant) {
        for (index, entry) in inflight where index <= applied || entry.waiting.allSatisfy({ $0.deadline <= now }) {
            for w in entry.waiting { index <= applied ? w.fail(TalonError(.proposalDropped)) : w.fail(TalonError(.timeout)) }
            inflight[index] = nil
        }
        held.removeAll { waiting in
            guard waiting.deadline <= now else { return false }
            waiting.fail(TalonError(.timeout))
            return true
        }
        let late = forwarded.update { forwarded -> [Waiting] in
            let late = forwarded.filter { $0.value.waiting.deadline <= now }
            for request in late.keys { forwarded[request] = nil }
            return late.values.map(\.waiting)
        }
        for waiting in late { waiting.fail(TalonError(.timeout)) }
    }
}
