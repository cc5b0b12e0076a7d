
/// A block's header alone, readable from the first `BlockHeader.size` stored bytes without
/// decoding the entries: enough for a head, a timestamp or the block hash.
public struct BlockHeader: Hashable, Sendable {
    /// Bytes of the encoded header (versions 1 and 2).
    public static let size = 1 + 8 + 32 + 8 + 4 + 32 + 8 + 32

    /// The block's format version (`Block.version` for blocks this build writes).
    public var version: UInt8
    public var height: UInt64
    public var prev: Digest
    public var timestamp: Int64
    /// Entries in the block.
    public var count: UInt32
    public var entriesDigest: Digest
    public var treeSize: UInt64
    public var treeRoot: Digest

    public init(version: UInt8 = Block.version, height: UInt64, prev: Digest, timestamp: Int64, count: UInt32,
                entriesDigest: Digest, treeSize: UInt64, treeRoot: Digest) {
        self.version = version; self.height = height; self.prev = prev; self.timestamp = timestamp; self.count = count
        self.entriesDigest = entriesDigest; self.treeSize = treeSize; self.treeRoot = treeRoot
    }

    /// Reads a header; the entries after it are left to the caller.
    /// - Throws: `TalonError(.unknownVersion)`, `.truncated`.
    public init(from r: inout ByteReader) throws(TalonError) {
        version = try r.u8()
        guard Block.readableVersions.contains(version) else { throw TalonError(.unknownVersion, "block version \(version)") }
        height = try r.u64()
        prev = try r.digest()
        timestamp = try r.i64()
        count = try r.u32()
        entriesDigest = try r.digest()
        treeSize = try r.u64()
        treeRoot = try r.digest()
    }

    /// The canonical header bytes.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.u8(version)
        w.u64(height)
        w.digest(prev)
        w.i64(timestamp)
        w.u32(count)
        w.digest(entriesDigest)
        w.u64(treeSize)
        w.digest(treeRoot)
        return w.bytes
    }

    /// SHA-256 of the header: the block's hash.
    public var hash: Digest { SHA256.hash(bytes) }

    /// Leaf index of the block's first envelope.
    public var firstLeaf: UInt64 { treeSize &- UInt64(count) }

    /// The head this header makes.
    public var head: Head { Head(height: height, blockHash: hash, treeSize: treeSize, treeRoot: treeRoot, timestamp: timestamp) }
}

/// The JSON form of a header (in audit answers' outcome proofs): every field, so a verifier
/// rebuilds the header bytes and hashes them to the block hash a signed head names.
extension BlockHeader: Codable {
    enum CodingKeys: String, CodingKey {
        case version, height, prev, timestamp, count, entriesDigest = "entries_digest", treeSize = "tree_size", treeRoot = "tree_root"
    }
}
