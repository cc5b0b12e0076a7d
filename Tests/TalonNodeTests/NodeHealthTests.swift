import Foundation
import Synchronization
import Testing
import TalonProtocol
import TalonLedger
@testable import TalonNode

/// `/healthz` reads `Node.health()`: a loop stuck in a turn is reported, from outside it.
@Suite struct NodeHealthTests {
    @Test func aTurnThatDoesNotEndIsReportedAsStalled() async throws {
        let n = try SoloNode { $0.stallTimeout = .milliseconds(300) }
        try await n.elected()

        // The next turn blocks until released, as a hung disk or apply would.
        let release = Atomic<Bool>(false)
        let blocking = Atomic<Bool>(true)
        n.node.condition.withLock {
            n.node.hooks.onTurn = {
                guard blocking.exchange(false, ordering: .relaxed) else { return }
                while !release.load(ordering: .relaxed) { Thread.sleep(forTimeInterval: 0.01) }
            }
        }
        try await until("a stalled loop") { n.node.health().isStalled }
        let health = n.node.health()
        #expect(health.stalledFor > .milliseconds(300))
        #expect(health.reason?.contains("loop turn") == true, "\(health.reason ?? "nil")")
        #expect(n.node.recordHealth().isStalled)

        release.store(true, ordering: .relaxed)
        try await until("a healthy loop again") { !n.node.health().isStalled }
        // And it still applies.
        #expect(try await n.node.submit([n.event("E1")]).first?.receipt?.result == "ok")
        await n.stop()
        #expect(n.node.health().isStalled, "a stopped node is not ready")
    }
}
