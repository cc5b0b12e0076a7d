import Foundation
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonTestSupport
import Testing

/// The leader answers a submission once its entry is committed and applied, before the
/// turn's transaction commits; reads wait until the store shows what the node answered.
@Suite(.timeLimit(.minutes(2)))
struct AcknowledgedReadTests {
    /// The answer comes while the turn has not committed (its store does not show the
    /// block), and a read that waits for the node's acknowledged writes then sees it.
    @Test func theLeaderAnswersAheadOfItsCommitAndReadsWaitForIt() async throws {
        try await MemoryCluster.run { c in
            try await c.elect(1)
            try await c.admits(1)
            let n1 = try c.node(1)
            // Hold the loop right after it answers ahead of its commit.
            let gate = Gate()
            n1.condition.withLock { n1.hooks.afterAnswersAhead = { gate.pass() } }
            let submitted = try c.submit([c.event("E1")], to: 1)
            let outcomes = try await submitted.value("the submission") { try c.node(1).tick() }
            let receipt = try #require(try outcomes.get().first?.receipt)
            // The loop answered, then paused before its commit (it may still be on its way
            // from one to the other): the store does not show the block.
            #expect(try n1.ledger.head().height < receipt.height, "answered while the turn had not committed")
            try await poll("the loop pauses after answering") { gate.isBlocking }

            let read = Pending { () async throws(TalonError) -> UInt64 in
                _ = await n1.acknowledgedWrites.caughtUp(within: .seconds(30))
                return try n1.ledger.head().height
            }
            try await Task.sleep(for: .milliseconds(50))
            #expect(read.result == nil, "the read waits for the commit")
            n1.condition.withLock { n1.hooks.afterAnswersAhead = nil }
            gate.open()
            #expect(try await read.success("the read") >= receipt.height)
        }
    }

    /// Every read route waits behind the middleware: a GET sent while the node has answered
    /// an entry its store does not show yet returns only once the store shows it.
    @Test func readsThroughTheRouterWaitForTheAcknowledgedEntry() async throws {
        try await InProcessAPI.run { api in
            let writes = api.solo.node.acknowledgedWrites
            let ahead: UInt64 = 1_000_000  // far past anything the node applied
            writes.acknowledged(ahead)
            let read = Pending { () async throws(TalonError) -> Int in
                do { return try await api.call("GET", "/v1/head", expect: 200).reply.status } catch { throw TalonError(.timeout, "\(error)") }
            }
            try await Task.sleep(for: .milliseconds(100))
            #expect(read.result == nil, "the read waits while the store is behind an answer")
            writes.visible(ahead)
            #expect(try await read.success("the read") == 200)
            // With the store caught up, a read does not wait.
            #expect(try await api.call("GET", "/v1/head", expect: 200).reply.status == 200)
        }
    }

    /// What reports on the node itself answers at once while reads wait (a stuck turn must
    /// still show on `/healthz`), and a read that waits longer than the request timeout
    /// fails with `timeout` instead of serving a state older than the node's own answers.
    @Test func healthAndStatusDoNotWaitAndAReadTimesOut() async throws {
        var setup = InProcessAPI.Setup()
        setup.node = { $0.requestTimeout = .milliseconds(300) }
        try await InProcessAPI.run(setup) { api in
            api.solo.node.acknowledgedWrites.acknowledged(1_000_000)
            for path in ["/healthz", "/v1/status", "/metrics"] {
                #expect(try await api.send("GET", path).status == 200, "\(path)")
            }
            try await api.call("GET", "/v1/head", expect: 503, code: "timeout")
        }
    }
}
