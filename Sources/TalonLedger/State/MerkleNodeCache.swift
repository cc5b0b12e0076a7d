import Synchronization
import TalonProtocol

/// The upper Merkle nodes of one store, kept in memory: every inclusion or consistency
/// proof reads one node per level, and above the lowest levels each of those lies on a
/// page of its own (a level-7 subtree's stored nodes fill about one page), so at millions of
/// leaves a proof's reads are mostly page misses that a few tens of thousands of upper
/// nodes answer instead.
///
/// A stored node hashes a complete subtree of leaves that never change once committed, so
/// a node taken from a committed transaction stays true for the life of the store: apply
/// hands over the nodes it completes once its transaction commits, and read-only
/// transactions add the ones they read (nodes of an older process's blocks). Anything that
/// ever replaces a store's blocks in place (installing a snapshot over it) must start a new
/// `Ledger`, and with it an empty cache. Bounded: when
/// it would pass `capacity`, the lowest level kept is dropped and no longer kept, so it
/// always holds the top of the tree.
final class MerkleNodeCache: Sendable {
    /// The lowest level kept at first: below it, a proof's siblings share the pages of the
    /// leaf it reads anyway.
    static let firstLevel = 7
    /// At most this many nodes (about 64 bytes each): every node from level 7 up of a tree
    /// of 8 million leaves (there are n/64 of them for n leaves), from level 8 up of 16
    /// million, and so on.
    static let capacity = 1 << 17

    private struct Nodes {
        var byPosition: [UInt64: (level: Int, hash: Digest)] = [:]
        var lowest = MerkleNodeCache.firstLevel
    }
    private let nodes = Mutex(Nodes())
    private let capacity: Int

    init(capacity: Int = MerkleNodeCache.capacity) { self.capacity = capacity }

    /// The hash of node `index` at `level`, if kept.
    func node(level: Int, index: UInt64) -> Digest? {
        nodes.withLock { nodes in
            level >= nodes.lowest ? nodes.byPosition[Schema.merklePosition(level: level, index: index)]?.hash : nil
        }
    }

    /// Keeps the nodes at or above the lowest level kept; drops that level, and raises it,
    /// while there are more than `capacity`.
    func keep(_ completed: some Sequence<MerkleFrontier.CompletedNode>) {
        nodes.withLock { nodes in
            for node in completed where node.level >= nodes.lowest {
                nodes.byPosition[Schema.merklePosition(level: node.level, index: node.index)] = (node.level, node.hash)
            }
            while nodes.byPosition.count > capacity {
                let dropped = nodes.lowest
                nodes.byPosition = nodes.byPosition.filter { $0.value.level > dropped }
                nodes.lowest += 1
            }
        }
    }

    /// The number of nodes kept.
    var count: Int { nodes.withLock { $0.byPosition.count } }

    /// The lowest level kept.
    var lowestLevel: Int { nodes.withLock { $0.lowest } }
}
