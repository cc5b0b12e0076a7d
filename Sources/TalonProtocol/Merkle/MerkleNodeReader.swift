
/// Read access to stored complete-subtree hashes.
///
/// The node at `(level, index)` is the RFC 6962 hash of the perfect, aligned subtree over leaves
/// `[index << level, (index + 1) << level)`; level 0 holds the leaf hashes themselves.
public protocol MerkleNodeReader {
    /// The stored hash at `(level, index)`; throws (e.g. `TalonError(.merkleNodeMissing)`) rather than return a wrong value.
    func node(level: Int, index: UInt64) throws -> Digest
}
