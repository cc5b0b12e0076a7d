import Foundation
import Testing
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonRaft

/// What becomes of waiting submissions when the leader changes, and of answers that come
/// late, from the wrong member, or for another request: `Node` promises each submission one
/// answer, its outcomes or a failure after which resubmitting is safe, and never another
/// submission's outcomes.
@Suite struct NodeLeaderChangeTests {
    /// A follower's linearizable read whose read-index request is lost with the leader it
    /// asked is asked again of the next leader and answered, not left to its timeout; the
    /// old leader's late answer to the first request is ignored.
    @Test func aReadLostWithItsLeaderIsAskedAgainOfTheNext() async throws {
        try await MemoryCluster.run(options: { _, o in o.requestTimeout = .seconds(60) }) { c in
            try await c.elect(1)
            _ = try await c.submit([c.event("E1")], to: 1).success("a first entry")
            c.network.hold { $0.from == 2 && $0.to == 1 && $0.message?.kind == .readIndex }
            let read = try c.read(at: 2)
            try await poll("member 2 asks member 1") { !c.network.sent { $0.from == 2 && $0.message?.kind == .readIndex }.isEmpty }
            c.network.isolate(1)
            try await c.handOver(to: 3, among: [2, 3])
            let n3 = try c.node(3)
            let answer = try await read.value("the read") { n3.tick() }
            #expect(throws: Never.self) { try answer.get() }
            #expect(c.network.sent { $0.from == 2 && $0.to == 3 && $0.message?.kind == .readIndex }.count >= 1,
                    "asked again of the new leader")
            c.network.heal()
            c.network.release()
        }
    }

    /// Submissions forwarded to a leader that is then cut off go to the next leader: a
    /// follower forwards again (same request id), and the new leader proposes its own. When
    /// the old leader returns it follows, and every ledger holds each envelope once.
    @Test func forwardsToALeaderCutOffGoToTheNextOne() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            c.network.isolate(1)
            let e2 = c.event("E2"), e3 = c.event("E3")
            let viaTwo = try c.submit([e2], to: 2), viaThree = try c.submit([e3], to: 3)
            try await poll("both forwarded to member 1") { c.network.sent { $0.isForward }.count == 2 }
            try await c.handOver(to: 3, among: [2, 3])
            let n3 = try c.node(3)
            let two = try await viaTwo.value("member 2's submission") { n3.tick() }
            let three = try await viaThree.value("member 3's submission") { n3.tick() }
            #expect(try two.get().first?.receipt?.result == "ok")
            #expect(try three.get().first?.receipt?.result == "ok")
            let fromTwo = c.network.sent { $0.isForward && $0.from == 2 }
            #expect(fromTwo.map(\.to) == [1, 3] && Set(fromTwo.map(\.request)).count == 1)
            #expect(c.network.sent { $0.isForward && $0.from == 3 }.map(\.to) == [1], "member 3 leads: it proposes its own")

            c.network.heal()
            let n1 = try c.node(1)
            try await poll("member 1 follows member 3") {
                n3.tick()
                return n1.status.raft.leader == 3 && n1.status.raft.applied >= n3.status.raft.commit
            }
            let heads = try c.heads()
            #expect(Set(heads.values).count == 1 && heads[1]?.treeSize == 2, "\(heads)")
        }
    }

    /// A forward lost on its way (the connection it went out on closed under it) goes again,
    /// under the same request id, to the same leader after a few ticks, and is answered long
    /// before the request timeout. The lost copy arriving late is answered too, and ignored
    /// by the follower; the ledger holds the envelope once.
    @Test func aLostForwardGoesAgainToTheSameLeader() async throws {
        try await MemoryCluster.run(options: { _, o in o.requestTimeout = .seconds(600) }) { c in
            try await c.elect(1)
            c.network.hold { $0.isForward }
            let e2 = c.event("E2")
            let pending = try c.submit([e2], to: 2)
            try await poll("the first forward is held") { c.network.held.count == 1 }
            c.network.hold { _ in false }
            let n1 = try c.node(1), n2 = try c.node(2)
            n2.tick(Node.ForwardedSubmission.firstRetry - 1)
            try await poll("member 2 took the ticks") { n2.status.raft.role == .follower }
            #expect(c.network.sent { $0.isForward }.count == 1, "not yet due")
            n2.tick()
            let outcome = try await pending.value("the submission") { n1.tick() }
            #expect(try outcome.get().first?.receipt?.result == "ok")
            let forwards = c.network.sent { $0.isForward }
            #expect(forwards.count == 2 && forwards.allSatisfy { $0.from == 2 && $0.to == 1 }
                    && Set(forwards.map(\.request)).count == 1, "\(forwards)")

            c.network.release()
            try await poll("the late copy is answered") { c.network.sent { $0.isForwardReply }.count == 2 }
            try await poll("nothing waits") { n1.forwardsInProgress.count == 0 && n2.status.waitingSubmissions == 0 }
            let heads = try c.heads()
            #expect(Set(heads.values).count == 1 && heads[1]?.treeSize == 1, "\(heads)")
        }
    }

    /// A new leader admits nothing before it has applied everything committed before its
    /// term: a ticket issued and acknowledged under the old leader, whose commit the new one
    /// has not learned yet, is not "unknown" to it. A transfer of that ticket waits until the
    /// new leader's no-op commits and it applies the issue, then goes through (it was refused
    /// `not_authorized`: chaos runs saw gates' redeems of fresh tickets refused so).
    @Test func aNewLeaderAdmitsOnlyOnceItAppliedWhatWasCommittedBefore() async throws {
        try await MemoryCluster.run(options: { _, o in o.requestTimeout = .seconds(600) }) { c in
            try await c.elect(1)
            _ = try await c.submit([c.event("E1")], to: 1).success("the event")
            let n1 = try c.node(1), n3 = try c.node(3)
            let issueAt = n1.status.raft.lastIndex + 1
            // Members 2 and 3 get the issue's entry but never hear that it committed.
            c.network.hold { d in
                guard d.from == 1, let m = d.message, m.kind == .append || m.kind == .heartbeat else { return false }
                return m.commit >= issueAt
            }
            let holder = SigningKey.generate(), buyer = SigningKey.generate()
            let issue = c.sign(.issue(IssueTickets(eventID: "E1", tickets: [
                TicketSpec(ticketID: "T1", section: "A", seat: "1", faceValue: 100, holder: holder.publicKey)])), by: c.issuer)
            let issued = try await c.submit([issue], to: 1).success("the issue")
            #expect(issued.first?.receipt?.result == "ok")
            #expect(n3.status.raft.commit < issueAt, "member 3 has not learned the issue committed")

            // Member 1 is cut off; member 3 leads, but its no-op cannot commit yet.
            c.network.isolate(1)
            c.network.hold { d in
                if d.from == 1 { return true }
                return d.from == 3 && d.to == 2 && d.message?.kind == .append
            }
            let term = n3.status.raft.term
            c.network.inject(.raft(Message(kind: .timeoutNow, from: 1, to: 3, term: term)), into: 3)
            try await poll("member 3 leads") { n3.status.raft.role == .leader && n3.status.raft.term > term }
            #expect(try n3.ledger.ticket("T1") == nil, "member 3 has not applied the issue")

            let transfer = c.sign(.transfer(Transfer(ticketID: "T1", to: buyer.publicKey)), by: holder)
            let pending = try c.submit([transfer], to: 3)
            for _ in 0..<3 { n3.tick() }
            try await poll("member 3 took the submission and the ticks") { n3.status.waitingSubmissions == 1 || pending.result != nil }
            #expect(pending.result == nil, "answered before member 3 applied the issue: \(String(describing: pending.result))")

            c.network.release(where: { $0.from == 3 })
            c.network.hold { $0.from == 1 }
            let outcome = try await pending.value("the transfer") { n3.tick() }
            #expect(try outcome.get().first?.receipt?.result == "ok", "\(outcome)")
            c.network.heal()
            c.network.release()
        }
    }

    /// A leader cut off with a submission of its own proposed cannot commit it; when it
    /// returns and the new leader's entry replaces it, the submission fails with
    /// `proposal_dropped`. Submitting again is safe and answers.
    @Test func aLeadersOwnSubmissionLostWithItsTermIsDropped() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            let n1 = try c.node(1)
            c.network.isolate(1)
            let e1 = c.event("E1")
            let lost = try c.submit([e1], to: 1)
            try await poll("member 1 proposes") { n1.status.inflightEntries == 1 }
            try await c.handOver(to: 2, among: [2, 3])
            c.network.heal()
            let n2 = try c.node(2)
            let first = try await lost.value("the submission to the old leader") { n2.tick() }
            #expect(first.failureCode == .proposalDropped)
            let again = try await c.submit([e1], to: 1).value("the resubmission") { n2.tick() }
            #expect(try again.get().first?.receipt?.result == "ok")
            #expect(try n2.ledger.head().treeSize == 1)
        }
    }

    /// A leader cut off with three entries in flight loses them to the next leader's no-op;
    /// elected again before it applied that far, its new proposal takes the log index of one
    /// of them. Every waiter of the replaced entries still hears `proposal_dropped`, and the
    /// new proposal its receipt. (The waiter whose index was taken was forgotten, its
    /// `submit` never returned.)
    @Test func entriesReplacedWhileAwayAreDroppedEvenWhenTheirIndexIsReused() async throws {
        try await MemoryCluster.run(options: { _, o in o.maxInflightEntries = 4 }) { c in
            try await c.elect(1)
            let n1 = try c.node(1), n2 = try c.node(2)
            c.network.isolate(1)
            var lost: [Pending<[EnvelopeOutcome]>] = []
            for i in 1...3 {
                lost.append(try c.submit([c.event("A\(i)")], to: 1))
                try await poll("entry \(i) proposed") { n1.status.inflightEntries == i }
            }
            try await c.handOver(to: 2, among: [2, 3])
            // Member 1 returns: member 2's no-op replaces its first entry, and it has no more.
            c.network.heal()
            let first = try await lost[0].value("the first lost submission") { n2.tick() }
            #expect(first.failureCode == .proposalDropped)
            try await poll("member 1 applied member 2's no-op") { n1.status.raft.applied >= n2.status.raft.commit }
            #expect(n1.status.raft.lastIndex == n2.status.raft.lastIndex)

            // Member 1 leads again without member 2: its no-op and a new entry take the
            // indexes of the other two.
            c.network.isolate(2)
            try await c.handOver(to: 1, among: [1, 3])
            let fresh = try await c.submit([c.event("B")], to: 1).value("the new submission")
            #expect(try fresh.get().first?.receipt?.result == "ok")
            for (i, pending) in lost.enumerated().dropFirst() {
                let outcome = try await pending.value("lost submission \(i + 1)")
                #expect(outcome.failureCode == .proposalDropped, "lost submission \(i + 1)")
            }
            try await poll("nothing waits on member 1") { n1.status.waitingSubmissions == 0 }
            #expect(try n1.ledger.head().treeSize == 1, "only B is in the ledger")
        }
    }

    /// A forward that reaches a member that no longer leads is refused with `not_leader`.
    /// The forwarder, by then waiting on the new leader for the same request, ignores that
    /// answer from the old one and takes the new leader's.
    @Test func aForwardReachingAFormerLeaderIsRefusedAndItsAnswerIgnored() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            c.network.hold { ($0.isForward && $0.from == 2 && $0.to == 1) || ($0.isForwardReply && $0.from == 3) }
            let pending = try c.submit([c.event("E1")], to: 2)
            try await poll("the forward to member 1 is held") { c.network.held.count == 1 }
            try await c.handOver(to: 3, among: c.members.ids)
            let n3 = try c.node(3)
            try await poll("member 2 forwards again, to member 3, which answers") {
                n3.tick()
                return c.network.held.count == 2
            }
            // The old forward reaches member 1, a follower now.
            c.network.release { $0.isForward }
            try await poll("member 1 answers") { !c.network.sent { $0.isForwardReply && $0.from == 1 }.isEmpty }
            let refusal = try #require(c.network.sent { $0.isForwardReply && $0.from == 1 }.first)
            guard case .forwardReply(_, .failed(let error)) = refusal.frame else {
                Issue.record("member 1 answered \(refusal)")
                return
            }
            #expect(error.code == .notLeader)
            try await Task.sleep(for: .milliseconds(20))
            #expect(pending.result == nil, "member 2 took the old leader's answer")
            c.network.release()
            let outcomes = try await pending.success("the submission")
            #expect(outcomes.first?.receipt?.result == "ok")
        }
    }

    /// Answers that do not belong to a waiting forward are ignored: one from a member the
    /// request did not go to, one for another request id. An answer from the right member
    /// with the wrong count of outcomes fails the submission with `proposal_dropped` (never
    /// another envelope's outcome), and the real answer after it finds nobody waiting.
    @Test func forwardAnswersForAnotherRequestOrFromAnotherMemberAreIgnored() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            c.network.hold { $0.isForwardReply }
            let e1 = c.event("E1")
            let pending = try c.submit([e1], to: 2)
            try await poll("the leader's answer is held") { c.network.held.count == 1 }
            let request = try #require(c.network.held.first?.request)
            c.network.inject(.forwardReply(from: 3, request: request, .failed(TalonError(.timeout))), into: 2)
            c.network.inject(.forwardReply(from: 1, request: request &+ 1, .failed(TalonError(.timeout))), into: 2)
            c.network.inject(.forwardReply(from: 1, request: request, .outcomes([])), into: 2)
            // Events are taken in order: had either of the first two counted, this would be `timeout`.
            let outcome = try await pending.value("the submission")
            #expect(outcome.failureCode == .proposalDropped)
            c.network.release()
            try await poll("member 2 applies E1") { try c.node(2).ledger.record(hash: e1.hash) != nil }
            let again = try await c.submit([e1], to: 2).success("the resubmission")
            #expect(again.first?.receipt?.result == "ok", "resubmitting answers the stored receipt")
            let n2 = try c.node(2)
            try await poll("nothing waits on member 2") { n2.status.waitingSubmissions == 0 }
        }
    }

    /// A member that crashes with a forward waiting, and restarts from its store while the
    /// others went on: it catches up on the blocks it missed, and the leader's answer to its
    /// earlier run reaches the new run without answering the new run's own forward (request
    /// ids start at a random point on every start).
    @Test func aRestartedMemberCatchesUpAndIgnoresAnswersMeantForItsEarlierRun() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            let n1 = try c.node(1)
            c.network.hold { $0.isForwardReply && $0.to == 3 }
            let e1 = c.event("E1")
            let before = try c.submit([e1], to: 3)
            try await poll("the answer to member 3 is held") { c.network.held.count == 1 }
            try await c.crash(3)
            let stopped = try await before.value("the submission to member 3")
            #expect(stopped.failureCode == .nodeStopped)
            for i in 2...3 { _ = try await c.submit([c.event("E\(i)")], to: 1).success() }

            try await c.restart(3)
            let n3 = try c.node(3)
            try await poll("member 3 catches up") {
                n1.tick()
                return n3.status.raft.leader == 1 && n3.status.raft.applied >= n1.status.raft.commit
            }
            #expect(try n3.ledger.head() == n1.ledger.head())

            let e4 = c.event("E4")
            let after = try c.submit([e4], to: 3)
            try await poll("the new answer is held too") { c.network.held.count == 2 }
            let requests = c.network.held.compactMap(\.request)
            #expect(Set(requests).count == 2, "a new run starts its request ids afresh: \(requests)")
            c.network.release()
            let outcomes = try await after.success("the new run's submission")
            let stored = try #require(try n1.ledger.record(hash: e4.hash))
            #expect(outcomes == [.receipt(stored.receipt)], "the answer is E4's, not E1's")
        }
    }
}
