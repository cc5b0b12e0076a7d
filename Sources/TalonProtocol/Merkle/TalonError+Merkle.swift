
extension TalonError {
    /// A `merkle_node_missing` error naming the node that was not found.
    public static func nodeMissing(level: Int, index: UInt64) -> TalonError {
        TalonError(.merkleNodeMissing, "no stored Merkle node at level \(level), index \(index)")
    }

    /// A `merkle_node_corrupt` error naming the node that could not be decoded.
    public static func nodeCorrupt(level: Int, index: UInt64, _ detail: String) -> TalonError {
        TalonError(.merkleNodeCorrupt, "stored Merkle node at level \(level), index \(index) is corrupt: \(detail)")
    }

    /// A `proof_out_of_range` error: a proof or root asked for outside the tree.
    static func outOfRange(_ message: String) -> TalonError { TalonError(.proofOutOfRange, message) }
}
