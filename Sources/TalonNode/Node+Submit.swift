import Foundation
import Metrics
import Synchronization
import TalonLedger
public import TalonProtocol
import TalonRaft

/// Submissions: each signature is checked once in the cluster, never on the loop thread.
///
/// Every node answers an envelope already in its ledger with its first receipt
/// (`Ledger.admit(_:for:)` decides that, and everything else about admission).
/// - On a node that leads (by its status snapshot) and has applied its term's no-op
///   (`admits`), `submit` admits every envelope in the
///   caller's task (`.propose`: size, chain, fields, signature, standing) and posts only
///   `AdmittedEnvelope`s to the loop.
/// - On a follower, `submit` makes only the cheap checks (`.forward`) and sends the raw
///   envelopes to the leader it knows itself, together with the others its event loop read
///   in the same tick (`GatheredForwards`, `forwardDirectly`; the loop forwards those it
///   could not, and redirects and resends them), whose peer connection admits them before
///   they enter its inbox (on its event loop for one or two envelopes, else in a task). The
///   leader's reply answers the submission from the follower's peer connection
///   (`answerForward`).
/// - Unverified envelopes that reach the loop of a node that leads (it became leader
///   meanwhile, or a forward arrived while it did not lead) are sent back to be admitted off
///   the loop once it has applied its term's no-op, never proposed unverified.
///
/// A refusal is per envelope: the others of the submission go on.
extension Node {
    /// Submits envelopes and waits until those admitted are in the ledger: one outcome per
    /// envelope, in order, either its receipt (the first receipt for an envelope that was
    /// already there) or why admission refused it (`bad_signature`, `not_authorized`, …).
    /// - Throws: `TalonError` with code `no_leader`, `not_leader`, `proposal_dropped`,
    ///   `timeout`, `batch_too_large`, `overloaded`, `node_stopped` or `node_store`: the whole
    ///   submission failed, and resubmitting it is safe.
    public func submit(_ envelopes: [Envelope]) async throws(TalonError) -> [EnvelopeOutcome] {
        let result = await withCheckedContinuation { (done: CheckedContinuation<Result<[EnvelopeOutcome], TalonError>, Never>) in
            submit(envelopes) { done.resume(returning: $0) }
        }
        return try result.get()
    }

    /// `submit(_:)` for a caller that is not a task (an event loop): `answer` gets the
    /// outcomes or the failure exactly once, on whichever thread has them (the node's loop,
    /// a peer link's event loop, or the caller's own thread for what fails at once).
    public func submit(_ envelopes: [Envelope], answer: @escaping @Sendable (Result<[EnvelopeOutcome], TalonError>) -> Void) {
        guard !envelopes.isEmpty else { return answer(.success([])) }
        if let tooLarge = options.overLimits(envelopes, "a submission") { return answer(.failure(tooLarge)) }
        let waiting = waitingEnvelopes.add(envelopes.count, ordering: .relaxed).newValue
        guard waiting <= options.maxWaitingEnvelopes else {
            self.waitingEnvelopes.subtract(envelopes.count, ordering: .relaxed)
            return answer(.failure(TalonError(.overloaded, "\(waiting - envelopes.count) envelopes are waiting already; retry shortly")))
        }
        let leads = Self.admits(status.raft)
        route(envelopes, stage: leads ? .propose : .forward, forwardedBy: nil,
              deadline: .now + options.requestTimeout) { reply in
            self.waitingEnvelopes.subtract(envelopes.count, ordering: .relaxed)
            switch reply {
            case .outcomes(let outcomes) where outcomes.count == envelopes.count: answer(.success(outcomes))
            case .outcomes: answer(.failure(TalonError(.proposalDropped)))
            case .failed(let error): answer(.failure(error))
            }
        }
    }

    /// What this node does with an event from its peers (on the transport's thread): a
    /// forward reaching a node that leads is admitted (`inlineForwardEnvelopes`), a forward reply
    /// answers its submission, everything else goes to the loop.
    func receive(_ event: PeerEvent) {
        if case .forwardReply(let from, let request, let reply) = event {
            answerForward(request, from: from, reply)
            return
        }
        guard case .forward(let from, let request, let envelopes) = event, Self.admits(status.raft) else {
            post { $0.peer.append(event) }
            return
        }
        // A few envelopes are admitted right here, on the peer event loop (a hop to the task
        // pool costs about as much as verifying one); a larger forward in a task of its own,
        // so the links' reads and writes do not wait behind its signatures.
        if envelopes.count <= Self.inlineForwardEnvelopes {
            admitForwarded(envelopes, from: from, request: request)
        } else {
            Task { self.admitForwarded(envelopes, from: from, request: request) }
        }
    }

    /// The most envelopes of a forward admitted on the peer event loop that read it.
    static let inlineForwardEnvelopes = 2

    /// Answers the submission this node forwarded as `request`, when `from` is the member it
    /// went to (only that one answers), with one outcome per envelope.
    func answerForward(_ request: UInt64, from: NodeID, _ reply: ForwardReply) {
        guard let waiting = forwarded.answered(request, by: from) else { return }
        if case .outcomes(let outcomes) = reply, outcomes.count != waiting.envelopes.count {
            waiting.fail(TalonError(.proposalDropped))
        } else {
            waiting.answer(reply)
        }
    }

    /// Forwards an unverified submission to the leader this node's last turn knew, from the
    /// calling task, instead of through the loop; false when the loop must decide (this node
    /// leads or knows no leader, stops, or has found its store full), and then nothing was sent.
    func forwardDirectly(_ waiting: Waiting) -> Bool {
        let sent = condition.withLock { () -> (request: UInt64, leader: NodeID)? in
            guard !stopping, failure == nil, storeFull == nil, snapshot.raft.role != .leader,
                  let leader = snapshot.raft.leader, let request = forwarded.add(waiting, to: leader) else { return nil }
            return (request, leader)
        }
        guard let sent else { return false }
        sendForward(waiting, as: sent.request, to: sent.leader)
        return true
    }

    /// Sends `waiting`'s envelopes to `leader` as forward `request` (first sent, redirected to
    /// a new leader, or sent again after no reply).
    func sendForward(_ waiting: Waiting, as request: UInt64, to leader: NodeID) {
        meters.forwardsSent.increment()
        transport.send(.forward(request: request, envelopes: waiting.envelopes), to: leader)
    }

    /// True when `raft` is a leader that may admit: it has applied its term's no-op, and with
    /// it everything committed before it led. Until then its state can lack what an earlier
    /// leader acknowledged (a ticket just issued would be "unknown", its transfer refused), so
    /// submissions wait in the loop, unverified, and are admitted once it has.
    static func admits(_ raft: RaftStatus) -> Bool {
        guard raft.role == .leader, let start = raft.termStart else { return false }
        return raft.applied >= start
    }

    /// Admits a submission forwarded by member `from` and answers it over the peer link.
    /// A copy of a forward still in progress (the follower sent it again) is dropped.
    func admitForwarded(_ envelopes: [Envelope], from: NodeID, request: UInt64) {
        guard forwardsInProgress.begin(from, request) else { return }
        let answer: @Sendable (ForwardReply) -> Void = { [weak self] reply in
            self?.forwardsInProgress.end(from, request)
            self?.sendForwardReply(reply, request: request, to: from)
        }
        if let tooLarge = options.overLimits(envelopes, "a forwarded submission") {
            answer(.failed(tooLarge))
            return
        }
        route(envelopes, stage: .propose, forwardedBy: (from, request),
              deadline: .now + options.requestTimeout, answer: answer)
    }

    /// Sends an unverified submission that reached the loop of a leader back to be admitted
    /// off the loop thread; it returns through the inbox as admitted envelopes.
    func sendBack(_ waiting: Waiting) {
        Task {
            self.route(waiting.envelopes, stage: .propose, forwardedBy: waiting.forwardedBy,
                       deadline: waiting.deadline) { waiting.answer($0) }
        }
    }

    func sendForwardReply(_ reply: ForwardReply, request: UInt64, to peer: NodeID) {
        if let hook = condition.withLock({ hooks.forwardReplies }) {
            hook(peer, request, reply)
        } else {
            transport.send(.forwardReply(request: request, reply), to: peer)
        }
    }

    /// Checks a submission on the calling thread (never the loop's) and posts what is left
    /// to the loop: admitted envelopes at `.propose`, unverified ones for the loop to forward
    /// at `.forward`. `answer` gets one outcome per envelope, or the whole submission's failure.
    ///
    /// A refusal for standing (`not_authorized`) is a verdict on this node's state, which can
    /// be behind: a leader cut off, or paused, believes it leads until it hears otherwise, and
    /// lacks what the new leader acknowledged meanwhile (a ticket just issued, a holder just
    /// paid). So before answering one, the node confirms its state with a ReadIndex barrier
    /// (`linearizableBarrier`) and admits the submission again on the state after it; if no
    /// barrier can be had, the submission fails (`no_leader`, `timeout`: resubmitting is safe).
    /// Only refusals cost the round: one per refused submission, never per envelope.
    ///
    /// Admitted again after the barrier, the envelopes whose signatures verified the first
    /// time are not verified again (`verified`): a submission that mixes others' envelopes
    /// with one refused for standing (a gathered forward) costs the leader one barrier, not
    /// a second verify of every envelope in it.
    func route(_ envelopes: [Envelope], stage: AdmissionStage, forwardedBy: (node: NodeID, request: UInt64)?,
               deadline: ContinuousClock.Instant, confirmed: Bool = false, verified: [AdmittedEnvelope] = [],
               answer: @escaping @Sendable (ForwardReply) -> Void) {
        let sorted: Sorted
        do {
            sorted = try Sorted(envelopes, ledger: ledger, stage: stage, verified: verified)
        } catch {
            answer(.failed(error))
            return
        }
        if sorted.refusedForStanding && !confirmed {
            let admitted = sorted.admitted
            Task {
                do throws(TalonError) {
                    try await self.linearizableBarrier()
                } catch {
                    answer(.failed(error))
                    return
                }
                self.route(envelopes, stage: stage, forwardedBy: forwardedBy, deadline: deadline, confirmed: true,
                           verified: admitted, answer: answer)
            }
            return
        }
        guard let payload = sorted.payload else {
            answer(sorted.merge(.outcomes([])))
            return
        }
        let waiting = Waiting(payload, forwardedBy: forwardedBy, deadline: deadline) { answer(sorted.merge($0)) }
        if stage == .forward, forwardedBy == nil, waiting.admitted.isEmpty {
            meters.forwardedSubmissions.increment()
            if options.gatherForwards, gatheredForwards.add(waiting, send: { self.forwardGathered($0) }) { return }
            if forwardDirectly(waiting) { return }
        }
        post { $0.submissions.append(waiting) }
    }

    /// A submission after the checks this node made: outcomes already known (refused, or in
    /// the ledger) and the envelopes still to propose or forward, with their positions.
    struct Sorted: Sendable {
        private var known: [EnvelopeOutcome?]
        private var positions: [Int] = []
        /// What goes to the loop, or nil when every envelope has its outcome.
        private(set) var payload: Waiting.Payload?
        /// True when the signer's standing, as this node's state has it, refused an envelope.
        private(set) var refusedForStanding = false

        /// The envelopes admitted (each signature verified), empty for an unverified payload.
        var admitted: [AdmittedEnvelope] {
            if case .admitted(let a) = payload { a } else { [] }
        }

        init(_ envelopes: [Envelope], ledger: Ledger, stage: AdmissionStage, verified: [AdmittedEnvelope] = []) throws(TalonError) {
            known = Array(repeating: nil, count: envelopes.count)
            let admissions: [AdmissionDecision]
            do { admissions = try ledger.admit(envelopes, for: stage, verified: verified) } catch { throw TalonError(.nodeStore, error.message) }
            var admitted: [AdmittedEnvelope] = [], unverified: [Envelope] = []
            for (i, admission) in admissions.enumerated() {
                switch admission {
                case .known(let receipt): known[i] = .receipt(receipt)
                case .refused(let error):
                    known[i] = .rejected(error)
                    if stage == .propose && error.code == .notAuthorized { refusedForStanding = true }
                case .admitted(let envelope): admitted.append(envelope); positions.append(i)
                case .checked(let envelope): unverified.append(envelope); positions.append(i)
                }
            }
            if !admitted.isEmpty { payload = .admitted(admitted) } else if !unverified.isEmpty { payload = .unverified(unverified) }
        }

        /// The whole submission's answer from the answer for `payload`.
        func merge(_ reply: ForwardReply) -> ForwardReply {
            guard case .outcomes(let outcomes) = reply else { return reply }
            guard outcomes.count == positions.count else { return .failed(TalonError(.proposalDropped)) }
            var all = known
            for (i, outcome) in zip(positions, outcomes) { all[i] = outcome }
            let complete = all.compactMap { $0 }
            return complete.count == all.count ? .outcomes(complete) : .failed(TalonError(.proposalDropped))
        }
    }

    /// A submission or read waiting for its answer; `reply` is called exactly once, from
    /// whichever thread answers first.
    final class Waiting: @unchecked Sendable {
        // @unchecked: every field but `reply` is immutable; `reply` is taken under `lock`.
        /// Envelopes this node admitted (only these are ever proposed), or envelopes that
        /// passed only the cheap checks (forwarded, or admitted before proposal).
        enum Payload: Sendable {
            case admitted([AdmittedEnvelope])
            case unverified([Envelope])
        }

        let payload: Payload
        let envelopes: [Envelope]
        /// The member and request id of a forwarded submission.
        let forwardedBy: (node: NodeID, request: UInt64)?
        let arrived: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        private let lock = NSLock()
        private var reply: (@Sendable (ForwardReply) -> Void)?

        init(_ payload: Payload, forwardedBy: (node: NodeID, request: UInt64)? = nil, deadline: ContinuousClock.Instant,
             reply: @escaping @Sendable (ForwardReply) -> Void) {
            self.payload = payload
            switch payload {
            case .admitted(let a): envelopes = a.map(\.envelope)
            case .unverified(let e): envelopes = e
            }
            self.forwardedBy = forwardedBy
            arrived = .now
            self.deadline = deadline
            self.reply = reply
        }

        /// The admitted envelopes, empty for an unverified payload.
        var admitted: [AdmittedEnvelope] {
            if case .admitted(let a) = payload { a } else { [] }
        }

        func answer(_ result: ForwardReply) {
            let reply = lock.withLock {
                defer { self.reply = nil }
                return self.reply
            }
            reply?(result)
        }

        func fail(_ error: TalonError) { answer(.failed(error)) }
    }
}
