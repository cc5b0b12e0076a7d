
/// The RFC 6962 §2.1 hash functions of Talon's Merkle tree, all SHA-256 with a one-byte domain prefix.
public enum MerkleHash {
    /// The domain prefix of a leaf hash: `0x00`.
    public static let leafPrefix: UInt8 = 0x00
    /// The domain prefix of an interior node hash: `0x01`.
    public static let nodePrefix: UInt8 = 0x01

    /// SHA-256 of the empty string, the root of a tree with no leaves (`e3b0c442…b855`).
    public static let emptyRoot: Digest = SHA256.hash([UInt8]())

    /// The leaf hash SHA-256(0x00 || data); never equal to a node hash for the same bytes.
    public static func leaf(_ data: some ContiguousBytes) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(byte: leafPrefix)
        hasher.update(data)
        return hasher.finalize()
    }

    /// The interior node hash SHA-256(0x01 || left || right), 65 bytes hashed in that order.
    public static func node(_ left: Digest, _ right: Digest) -> Digest {
        var hasher = SHA256Hasher()
        hasher.update(byte: nodePrefix)
        hasher.update(left)
        hasher.update(right)
        return hasher.finalize()
    }
}
