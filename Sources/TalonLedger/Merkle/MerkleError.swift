public import TalonProtocol

/// An error from the Merkle tree code: a registered code and a human message. Equal when codes are equal.
public struct MerkleError: CodedError, Hashable {
    /// The stable code, e.g. `proof_out_of_range`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    /// Makes an error with the given registered code and human message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Equal when the codes are equal; the message is ignored.
    public static func == (a: MerkleError, b: MerkleError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// A proof or root was asked for outside the tree: leaf index >= size, from > to, or a size beyond the stored tree.
    public static let proofOutOfRange = MerkleError(.proofOutOfRange, "")
    /// A complete-subtree node that must exist was not found in storage.
    public static let nodeMissing = MerkleError(.merkleNodeMissing, "")
    /// A stored complete-subtree node could not be decoded as a 32-byte hash.
    public static let nodeCorrupt = MerkleError(.merkleNodeCorrupt, "")

    /// A `merkle_node_missing` error naming the node that was not found.
    public static func nodeMissing(level: Int, index: UInt64) -> MerkleError {
        MerkleError(nodeMissing.code, "no stored Merkle node at level \(level), index \(index)")
    }

    /// A `merkle_node_corrupt` error naming the node that could not be decoded.
    public static func nodeCorrupt(level: Int, index: UInt64, _ detail: String) -> MerkleError {
        MerkleError(nodeCorrupt.code, "stored Merkle node at level \(level), index \(index) is corrupt: \(detail)")
    }

    static func outOfRange(_ message: String) -> MerkleError {
        MerkleError(proofOutOfRange.code, message)
    }
}
