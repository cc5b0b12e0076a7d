import Foundation
import Synchronization
import Testing
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonRaft

/// How `Node` ends what it cannot finish: `stop()`, request timeouts, and the refusals at
/// the door (`batch_too_large`, `overloaded`). Every waiter gets exactly one answer.
@Suite struct NodeLimitsTests {
    /// `stop()` answers every waiter with `node_stopped`, wherever it waits: in the inbox, in
    /// flight, held behind a full pipeline, forwarded, or a read not yet confirmed; the loops
    /// end, and a stopped node refuses at once.
    @Test func stopAnswersEveryWaiterAndEnds() async throws {
        try await MemoryCluster.run(options: { _, o in o.maxInflightEntries = 1 }) { c in
            try await c.elect(1)
            let n1 = try c.node(1), n2 = try c.node(2)
            c.network.isolate(1)
            let inflight = try c.submit([c.event("A")], to: 1)
            try await poll("A proposed") { n1.status.inflightEntries == 1 }
            let held = try c.submit([c.event("B")], to: 1)
            try await poll("B held") {
                n1.tick()
                return n1.status.waitingSubmissions == 2
            }
            let leaderRead = try c.read(at: 1)
            let forwarded = try c.submit([c.event("C")], to: 2)
            try await poll("C forwarded") { n2.status.waitingSubmissions == 1 }
            let followerRead = try c.read(at: 2)

            // The loop paused at the start of a turn: the next submission stays in the inbox.
            let gate = Gate()
            n1.condition.withLock { n1.hooks.onTurn = { gate.pass() } }
            n1.tick()
            try await poll("member 1's loop pauses") { gate.isBlocking }
            let inbox = try c.submit([c.event("D")], to: 1)
            try await poll("D submitted") { n1.waitingEnvelopes.load(ordering: .relaxed) == 3 }
            n1.stop()
            gate.open()
            try await c.stop()

            let all = [("in flight", inflight), ("held", held), ("forwarded", forwarded), ("in the inbox", inbox)]
            for (what, pending) in all {
                let outcome = try await pending.value(what)
                #expect(outcome.failureCode == .nodeStopped, "\(what)")
            }
            for (what, pending) in [("leader's read", leaderRead), ("follower's read", followerRead)] {
                let outcome = try await pending.value(what)
                #expect(outcome.failureCode == .nodeStopped, "\(what)")
            }
            let late = try await Pending { () async throws(TalonError) in try await n1.submit([c.event("E")]) }.value()
            #expect(late.failureCode == .nodeStopped)
            let lateRead = try await Pending { () async throws(TalonError) in try await n2.linearizableBarrier() }.value()
            #expect(lateRead.failureCode == .nodeStopped)
            #expect(n1.health().isStalled)
        }
    }

    /// A waiter with no answer by its deadline hears `timeout`: a submission in flight on a
    /// leader cut off, a forward to it, and a follower's read that the leader never confirms.
    @Test func waitersWithNoAnswerTimeOut() async throws {
        try await MemoryCluster.run(options: { _, o in o.requestTimeout = .milliseconds(100) }) { c in
            try await c.elect(1)
            let n1 = try c.node(1), n2 = try c.node(2)
            c.network.isolate(1)
            let inflight = try c.submit([c.event("A")], to: 1)
            let forwarded = try c.submit([c.event("B")], to: 2)
            let read = try c.read(at: 2)
            try await Task.sleep(for: .milliseconds(100))
            // Deadlines are checked on the loop's turns; a tick starts one.
            let tick = {
                n1.tick()
                n2.tick()
            }
            let outcomes = [try await inflight.value("the submission in flight", each: tick).failureCode,
                            try await forwarded.value("the forwarded submission", each: tick).failureCode,
                            try await read.value("the read", each: tick).failureCode]
            #expect(outcomes == [.timeout, .timeout, .timeout])
            try await poll("nothing waits") {
                tick()
                return n1.status.waitingSubmissions == 0 && n2.status.waitingSubmissions == 0
            }
        }
    }

    /// Submissions over a batch limit are refused with `batch_too_large`, by the node they
    /// reach or, forwarded, by the leader's own limits; with too many envelopes waiting, a
    /// node refuses more with `overloaded` and takes them again once answers free room.
    @Test func oversizedAndOverloadedSubmissionsAreRefused() async throws {
        try await MemoryCluster.run(options: { id, o in
            if id == 1 {
                o.maxBatchEnvelopes = 2
                o.maxWaitingEnvelopes = 3
                o.maxInflightEntries = 2
            }
            if id == 3 { o.maxBatchBytes = 64 }
        }) { c in
            try await c.elect(1)
            let n1 = try c.node(1)
            let three = [c.event("X1"), c.event("X2"), c.event("X3")]
            let atTheDoor = try await c.submit(three, to: 1).value()
            let forwarded = try await c.submit(three, to: 2).value()
            let tooManyBytes = try await c.submit([c.event("X4")], to: 3).value()
            #expect(atTheDoor.failureCode == .batchTooLarge)
            #expect(forwarded.failureCode == .batchTooLarge, "refused by the leader's limit")
            #expect(c.network.sent { $0.isForward }.count == 1, "member 1 refused at its door, member 3 too")
            #expect(tooManyBytes.failureCode == .batchTooLarge, "over 64 bytes")
            #expect(n1.waitingEnvelopes.load(ordering: .relaxed) == 0)

            c.network.hold { $0.from == 1 && $0.message?.kind == .append }
            let pair = try c.submit([c.event("Y1"), c.event("Y2")], to: 1)
            try await poll("the pair proposed") { n1.status.inflightEntries == 1 }
            let refused = try await c.submit([c.event("Y3"), c.event("Y4")], to: 1).value()
            #expect(refused.failureCode == .overloaded)
            let one = try c.submit([c.event("Y5")], to: 1)
            try await poll("the third envelope proposed") { n1.status.inflightEntries == 2 }
            c.network.release()
            let answered = [try await pair.success().count, try await one.success().count]
            #expect(answered == [2, 1])
            let again = try await c.submit([c.event("Y6"), c.event("Y7")], to: 1).success("a pair once there is room")
            #expect(again.count == 2)
            #expect(try n1.ledger.record(hash: three[0].hash) == nil)
        }
    }
}

/// Blocks the loop thread at the start of a turn while closed (`Node.Hooks.onTurn`).
final class Gate: @unchecked Sendable {
    // @unchecked: `closed` and `blocked` are used only under `condition`.
    private let condition = NSCondition()
    private var closed = true
    private var blocked = 0

    /// True while a thread waits in `pass()`.
    var isBlocking: Bool { condition.withLock { blocked > 0 } }

    /// Returns once the gate is open.
    func pass() {
        condition.withLock {
            blocked += 1
            while closed { condition.wait() }
            blocked -= 1
        }
    }

    func open() {
        condition.withLock {
            closed = false
            condition.broadcast()
        }
    }
}
