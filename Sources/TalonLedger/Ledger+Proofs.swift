public import TalonProtocol
import TalonStore

extension Ledger {
    /// The RFC 6962 inclusion proof of leaf `leaf` in the tree of size `treeSize`.
    /// - Throws: `proof_out_of_range` unless `leaf < treeSize <= ` the current tree size.
    public func inclusionProof(leaf: UInt64, treeSize: UInt64) throws(TalonError) -> [Digest] {
        try read { txn in
            try prover(txn, size: self.head(txn).treeSize).inclusionProof(leafIndex: leaf, size: treeSize)
        }
    }

    /// The RFC 6962 consistency proof from tree size `from` to tree size `to`.
    /// - Throws: `proof_out_of_range` unless `from <= to <=` the current tree size.
    public func consistencyProof(from: UInt64, to: UInt64) throws(TalonError) -> [Digest] {
        try read { txn in
            try prover(txn, size: self.head(txn).treeSize).consistencyProof(from: from, to: to)
        }
    }

    /// The Merkle root of the first `treeSize` leaves.
    public func treeRoot(size treeSize: UInt64) throws(TalonError) -> Digest {
        try read { txn in
            try prover(txn, size: self.head(txn).treeSize).root(size: treeSize)
        }
    }

    /// The stored tree of `size` leaves as `txn` sees it, read through the proof cache: how
    /// every proof and root a reader asks for is computed (apply and `verify` read the
    /// stored nodes themselves).
    func prover(_ txn: Transaction, size: UInt64) -> MerkleProver<StoredMerkleNodes> {
        MerkleProver(nodes: StoredMerkleNodes(txn: txn, tables: tables, cache: merkleCache), size: size)
    }
}
