import NIOCore
import NIOPosix
import Synchronization
import Testing
@testable import TalonNode
import TalonLedger
import TalonProtocol
import TalonRaft

/// A follower gathers the submissions its event loop reads in one tick into one forward:
/// one frame and one reply for all, each submission still answered with its own outcomes.
@Suite struct GatheredForwardsTests {
    /// Three submissions read in one tick leave as one forward of their four envelopes; the
    /// leader's per-envelope outcomes come back to each in order, its refusal of a forged
    /// signature only to the submission that carried it.
    @Test func submissionsReadInOneTickShareOneForward() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            let e1 = c.event("G1"), e2 = c.event("G2"), e3 = c.event("G3")
            let forged = try SoloNode.unsigned(c.event("G4"))
            let answers = try await OneTick.submit([[e1], [forged], [e2, e3]], to: c.node(2))

            let forwards = c.network.sent { $0.isForward }
            #expect(forwards.map(\.envelopeCount) == [4])
            #expect(c.network.sent { $0.isForwardReply }.count == 1)
            let outcomes = try answers.map { try $0.get() }
            #expect(outcomes.map(\.count) == [1, 1, 2])
            #expect(outcomes[0].first?.receipt?.result == "ok")
            #expect(outcomes[1].first?.rejection?.code == .badSignature)
            #expect(outcomes[2].allSatisfy { $0.receipt?.result == "ok" })
            let leaves = outcomes[0] + outcomes[2]
            #expect(Set(leaves.compactMap { $0.receipt?.leaf }).count == 3, "three envelopes, three leaves")
        }
    }

    /// Gathering keeps each forward within the batch limits: submissions of 2, 2 and 1
    /// envelopes under a limit of 3 leave as forwards of 2 and 3, and all are answered.
    @Test func gatheredForwardsStayWithinTheBatchLimits() async throws {
        try await MemoryCluster.run(options: { _, o in o.maxBatchEnvelopes = 3 }) { c in
            try await c.elect(1)
            let submissions = (0..<3).map { i in (0..<(i == 2 ? 1 : 2)).map { j in c.event("L\(i)-\(j)") } }
            let answers = try await OneTick.submit(submissions, to: c.node(2))
            #expect(c.network.sent { $0.isForward }.map(\.envelopeCount) == [2, 3])
            for (answer, submission) in zip(answers, submissions) {
                let outcomes = try answer.get()
                #expect(outcomes.count == submission.count && outcomes.allSatisfy { $0.receipt != nil })
            }
        }
    }

    /// A submission larger than `largestGathered` goes alone, at once; the small ones of the
    /// tick are gathered into forwards of at most `mostGathered` envelopes, so no forward
    /// makes a small submission wait for many signatures besides its own.
    @Test func largeSubmissionsGoAloneAndGatheredForwardsStaySmall() async throws {
        let large = Node.GatheredForwards.largestGathered + 1, small = Node.GatheredForwards.largestGathered
        let fits = Node.GatheredForwards.mostGathered / small
        try await MemoryCluster.run { c in
            try await c.elect(1)
            let sizes = [large] + Array(repeating: small, count: fits + 1)
            let submissions = sizes.enumerated().map { i, n in (0..<n).map { j in c.event("S\(i)-\(j)") } }
            let answers = try await OneTick.submit(submissions, to: c.node(2))
            #expect(c.network.sent { $0.isForward }.map(\.envelopeCount) == [large, fits * small, small])
            for (answer, submission) in zip(answers, submissions) {
                #expect(try answer.get().count == submission.count)
            }
        }
    }

    /// With gathering off, each submission read in the tick is a forward of its own.
    @Test func withoutGatheringEachSubmissionIsItsOwnForward() async throws {
        try await MemoryCluster.run(options: { _, o in o.gatherForwards = false }) { c in
            try await c.elect(1)
            let answers = try await OneTick.submit([[c.event("N1")], [c.event("N2")], [c.event("N3")]], to: c.node(2))
            #expect(c.network.sent { $0.isForward }.map(\.envelopeCount) == [1, 1, 1])
            #expect(try answers.allSatisfy { try $0.get().first?.receipt != nil })
        }
    }

    /// A combined submission hands each part its own slice of the outcomes, the same failure
    /// to all when the whole failed, and `proposal_dropped` to all when the count is wrong.
    @Test func aCombinedSubmissionAnswersEachPart() throws {
        let replies = Mutex<[Int: ForwardReply]>([:])
        let envelope = try SoloNode.unsigned(Envelope(chainID: "c", nonce: 1, operation: .createEvent(CreateEvent(
            eventID: "E", name: "Show", venue: "Hall", startsAt: 2, doorsOpenAt: 1, capacity: 1, currency: "EUR")), signedBy: SigningKey.generate()))
        func parts() -> [Node.Waiting] {
            (0..<2).map { i in
                Node.Waiting(.unverified(Array(repeating: envelope, count: i + 1)), deadline: .now + .seconds(i + 1)) { reply in
                    replies.withLock { $0[i] = reply }
                }
            }
        }
        let receipt = { (leaf: UInt64) in EnvelopeOutcome.receipt(Receipt(leaf: leaf, height: 1, position: UInt32(leaf), result: "ok")) }

        let split = parts()
        let combined = Node.Waiting(combining: split)
        #expect(combined.envelopes.count == 3 && combined.deadline == split[0].deadline)
        combined.answer(.outcomes([receipt(0), receipt(1), receipt(2)]))
        #expect(replies.withLock { $0 } == [0: .outcomes([receipt(0)]), 1: .outcomes([receipt(1), receipt(2)])])

        let timeout = TalonError(.timeout, "no answer")
        Node.Waiting(combining: parts()).answer(.failed(timeout))
        #expect(replies.withLock { $0 } == [0: .failed(timeout), 1: .failed(timeout)])

        Node.Waiting(combining: parts()).answer(.outcomes([receipt(0)]))
        #expect(replies.withLock { $0.values.allSatisfy { if case .failed(let e) = $0 { e.code == .proposalDropped } else { false } } })
    }
}

extension MemoryNetwork.Delivery {
    /// Envelopes a forward carries (0 for any other frame).
    var envelopeCount: Int { if case .forward(_, let envelopes) = frame { envelopes.count } else { 0 } }
}

/// Submissions made from one task of an event loop, as the HTTP server makes those it reads
/// in one tick.
enum OneTick {
    /// `each` runs before every look for the answers (a test ticks the leader there when an
    /// answer needs Raft time to move).
    static func submit(_ submissions: [[Envelope]], to node: Node,
                       each: () -> Void = {}) async throws -> [Result<[EnvelopeOutcome], TalonError>] {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let answers = Mutex<[Int: Result<[EnvelopeOutcome], TalonError>]>([:])
        group.next().execute {
            for (i, envelopes) in submissions.enumerated() {
                node.submit(envelopes) { result in answers.withLock { $0[i] = result } }
            }
        }
        defer { group.shutdownGracefully { _ in } }
        try await poll("every submission answered") {
            each()
            return answers.withLock { $0.count } == submissions.count
        }
        let all = answers.withLock { $0 }
        return submissions.indices.map { all[$0] ?? .failure(TalonError(.timeout)) }
    }
}

/// A gathered forward holding one envelope refused for standing costs the leader one
/// ReadIndex barrier and one verify of each of the others, not two.
@Suite struct GatheredForwardStandingTests {
    @Test func aStandingRefusalDoesNotVerifyTheOthersTwice() async throws {
        try await MemoryCluster.run(options: { _, o in o.requestTimeout = .seconds(600) }) { c in
            try await c.elect(1)
            let n1 = try c.node(1)
            _ = try await c.submit([c.event("E1")], to: 1).success("the event")
            let stranger = SigningKey.generate()
            let unauthorized = c.sign(.void(VoidTicket(ticketID: "T1", reason: "no")), by: stranger)
            let before = n1.ledger.signaturesVerified
            // The refusal waits for a ReadIndex round, which needs the leader's heartbeats.
            let outcomes = try await OneTick.submit([[c.event("V1")], [unauthorized], [c.event("V2")]], to: c.node(2)) { n1.tick() }
            #expect(c.network.sent { $0.isForward }.map(\.envelopeCount) == [3])
            #expect(try outcomes[0].get().first?.receipt?.result == "ok")
            #expect(try outcomes[1].get().first?.rejection?.code == .notAuthorized)
            #expect(try outcomes[2].get().first?.receipt?.result == "ok")
            // V1 and V2 once each; the refused envelope once per admission pass (it is
            // refused again on the confirmed state).
            #expect(n1.ledger.signaturesVerified - before == 4)
        }
    }
}
