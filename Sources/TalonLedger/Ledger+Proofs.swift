public import TalonProtocol
import TalonStore

extension Ledger {
    /// The RFC 6962 inclusion proof of leaf `leaf` in the tree of size `treeSize`.
    /// - Throws: `proof_out_of_range` unless `leaf < treeSize <= ` the current tree size.
    public func inclusionProof(leaf: UInt64, treeSize: UInt64) throws(TalonError) -> [Digest] {
        try read { txn in
            let size = try self.head(txn).treeSize
            return try MerkleProver(nodes: StoredMerkleNodes(txn: txn, tables: tables, cache: merkleCache), size: size)
                .inclusionProof(leafIndex: leaf, size: treeSize)
        }
    }

    /// The RFC 6962 consistency proof from tree size `from` to tree size `to`.
    /// - Throws: `proof_out_of_range` unless `from <= to <=` the current tree size.
    public func consistencyProof(from: UInt64, to: UInt64) throws(TalonError) -> [Digest] {
        try read { txn in
            let size = try self.head(txn).treeSize
            return try MerkleProver(nodes: StoredMerkleNodes(txn: txn, tables: tables, cache: merkleCache), size: size)
                .consistencyProof(from: from, to: to)
        }
    }

    /// The Merkle root of the first `treeSize` leaves.
    public func treeRoot(size treeSize: UInt64) throws(TalonError) -> Digest {
        try read { txn in
            let size = try self.head(txn).treeSize
            return try MerkleProver(nodes: StoredMerkleNodes(txn: txn, tables: tables, cache: merkleCache), size: size).root(size: treeSize)
        }
    }
}
