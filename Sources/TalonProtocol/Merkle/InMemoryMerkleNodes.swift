
/// A dictionary-backed node store for tests and offline tools; reads of absent nodes throw `merkle_node_missing`.
public struct InMemoryMerkleNodes: MerkleNodeReader, MerkleNodeWriter, Sendable {
    private struct Key: Hashable, Sendable {
        let level: Int
        let index: UInt64
    }

    private var nodes: [Key: Digest] = [:]

    /// An empty store.
    public init() {}

    /// The number of stored nodes.
    public var count: Int { nodes.count }

    /// The stored hash at `(level, index)`, or `TalonError(.merkleNodeMissing)` if there is none.
    public func node(level: Int, index: UInt64) throws -> Digest {
        guard let h = nodes[Key(level: level, index: index)] else {
            throw TalonError.nodeMissing(level: level, index: index)
        }
        return h
    }

    /// Stores (or replaces) the hash at `(level, index)`; never fails.
    public mutating func setNode(level: Int, index: UInt64, hash: Digest) {
        nodes[Key(level: level, index: index)] = hash
    }

    /// Removes the node at `(level, index)` if present, so later reads of it throw.
    public mutating func removeNode(level: Int, index: UInt64) {
        nodes[Key(level: level, index: index)] = nil
    }
}
