import NIOCore
import NIOPosix
import Synchronization
import TalonProtocol

extension Node {
    /// Submissions a follower forwards, gathered while an event loop reads requests and sent
    /// when it has read them all: one frame, one admission pass and one reply at the leader
    /// for the submissions of a loop tick, instead of one of each per submission.
    ///
    /// Only a submission made on an event loop is gathered (the HTTP server's); the first
    /// schedules the send on that loop, after the reads it is handling, so none waits
    /// longer than the tick it arrived in. Each keeps its own outcomes and its own answer.
    ///
    /// The submissions of one forward are admitted together at the leader, so a small one
    /// waits for the signatures of the others: only submissions of at most
    /// `largestGathered` envelopes are gathered, into forwards of at most `mostGathered`,
    /// so a client's large submission never holds up the others by more than a few dozen
    /// signatures.
    final class GatheredForwards: Sendable {
        /// The largest submission gathered; a larger one goes alone.
        static let largestGathered = 16
        /// The most envelopes in a gathered forward (the batch limits bound it too).
        static let mostGathered = 64

        private struct Pending {
            var waiting: [Waiting] = []
            var scheduled = false
        }

        private let pending = Mutex(Pending())

        /// Takes `waiting` into the next send and returns true; returns false, taking
        /// nothing, off an event loop or for a submission too large to gather (the caller
        /// sends it itself). `send` gets everything gathered, in arrival order, on the event
        /// loop of the first.
        func add(_ waiting: Waiting, send: @escaping @Sendable ([Waiting]) -> Void) -> Bool {
            guard waiting.envelopes.count <= Self.largestGathered,
                  let loop = MultiThreadedEventLoopGroup.currentEventLoop else { return false }
            let schedule = pending.withLock { p -> Bool in
                p.waiting.append(waiting)
                defer { p.scheduled = true }
                return !p.scheduled
            }
            if schedule {
                loop.execute {
                    let taken = self.pending.withLock { p -> [Waiting] in
                        defer { p = Pending() }
                        return p.waiting
                    }
                    send(taken)
                }
            }
            return true
        }
    }

    /// Sends gathered submissions to the leader in as few forwards as the batch limits and
    /// `GatheredForwards.mostGathered` allow; those `forwardDirectly` cannot send go to the
    /// loop, as a lone submission would.
    func forwardGathered(_ gathered: [Waiting]) {
        for group in cut(gathered, maxEnvelopes: GatheredForwards.mostGathered) {
            let waiting = group.count == 1 ? group[0] : Waiting(combining: group)
            if !forwardDirectly(waiting) { post { $0.submissions.append(waiting) } }
        }
    }
}

extension Node.Waiting {
    /// One unverified submission made of `parts` (each unverified, within the limits
    /// together): its envelopes in order, the earliest deadline, and a reply handed back to
    /// each part as its own slice of the outcomes (or the same failure for all).
    convenience init(combining parts: [Node.Waiting]) {
        let envelopes = parts.flatMap(\.envelopes)
        let deadline = parts.map(\.deadline).min() ?? .now
        self.init(.unverified(envelopes), deadline: deadline) { reply in
            guard case .outcomes(let outcomes) = reply else {
                for part in parts { part.answer(reply) }
                return
            }
            guard outcomes.count == envelopes.count else {
                for part in parts { part.fail(TalonError(.proposalDropped)) }
                return
            }
            var at = 0
            for part in parts {
                part.answer(.outcomes(Array(outcomes[at..<at + part.envelopes.count])))
                at += part.envelopes.count
            }
        }
    }
}
