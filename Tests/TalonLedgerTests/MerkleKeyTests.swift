import Testing
import TalonProtocol
@testable import TalonLedger

/// Merkle nodes are keyed by post-order position, so that apply stores each by an append.
@Suite struct MerkleKeyTests {
    @Test func nodesCompletedByAppendingLeavesHaveKeysZeroOneTwoInOrder() {
        var frontier = MerkleFrontier()
        var expected: UInt64 = 0
        for leaf in 0..<5000 as Range<UInt64> {
            for node in frontier.append(leafHash: MerkleHash.leaf(Schema.u64(leaf))) {
                #expect(Schema.merkleKey(level: node.level, index: node.index) == Schema.u64(expected),
                        "node (\\(node.level), \\(node.index)) completed as number \\(expected)")
                expected += 1
            }
        }
        #expect(expected == 2 * 5000 - UInt64(5000.nonzeroBitCount))
    }

    @Test func keysNeverTrapFarPastAnyRealTree() {
        // Positions past 2^64 wrap: a missing node, never a crash.
        _ = Schema.merkleKey(level: 63, index: .max)
        _ = Schema.merkleKey(level: 0, index: .max)
        _ = Schema.merkleKey(level: 70, index: 1 << 40)
    }
}
