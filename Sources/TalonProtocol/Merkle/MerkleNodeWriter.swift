
/// Write access to stored complete-subtree hashes, addressed as in `MerkleNodeReader`.
public protocol MerkleNodeWriter {
    /// Stores `hash` as the node at `(level, index)`; after it returns without throwing, a reader of the same store sees it.
    mutating func setNode(level: Int, index: UInt64, hash: Digest) throws
}

extension MerkleNodeWriter {
    /// Stores every node in `nodes` (typically the result of `MerkleFrontier.append`), in order, stopping at the first error.
    public mutating func setNodes(_ nodes: [MerkleFrontier.CompletedNode]) throws {
        for n in nodes {
            try setNode(level: n.level, index: n.index, hash: n.hash)
        }
    }
}
