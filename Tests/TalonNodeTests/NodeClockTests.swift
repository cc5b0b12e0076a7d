import Foundation
import Testing
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonRaft

/// Members' wall clocks disagree (`Node.Options.clockOffset`, the seam behind
/// `talon node run --test-clock-offset-ms`): block time is the leader's, and never goes back.
@Suite struct NodeClockTests {
    /// A leader two hours behind the one before it stamps its batch earlier than the last
    /// block; the ledger raises the block's time to its predecessor's on every member, so
    /// every chain keeps monotonic time and verifies (with replay, which makes the blocks
    /// again from their stored times).
    @Test func aLeaderWithAClockBehindNeverTakesBlockTimeBack() async throws {
        let ahead = Duration.seconds(2 * 3600), behind = Duration.seconds(-2 * 3600)
        try await MemoryCluster.run(options: { id, o in o.clockOffset = id == 1 ? ahead : behind }) { c in
            try await c.elect(1)
            _ = try await c.submit([c.event("E1")], to: 1).success("a block stamped by member 1, two hours ahead")
            try await c.handOver(to: 2, among: [1, 2, 3])
            _ = try await c.submit([c.event("E2")], to: 2).success("a block stamped by member 2, two hours behind")
            try await c.follow(2, among: [1, 2, 3])
            let realNow = Int64(Date().timeIntervalSince1970 * 1000)
            for id: NodeID in [1, 2, 3] {
                let ledger = try c.node(id).ledger
                let first = try #require(try ledger.block(height: 1)), second = try #require(try ledger.block(height: 2))
                #expect(first.timestamp > realNow + 3_600_000, "member \(id): the first block has member 1's time")
                #expect(second.timestamp == first.timestamp, "member \(id): raised to the previous block's time, not 4 h back")
                #expect(try ledger.verify().ok, "member \(id)")
            }
        }
    }
}
