public import TalonCrypto

/// A block's header alone, readable from the first `BlockHeader.size` stored bytes without
/// decoding the entries: enough for a head, a timestamp or the block hash.
public struct BlockHeader: Hashable, Sendable {
    /// Bytes of the encoded header (version 1).
    public static let size = 1 + 8 + 32 + 8 + 4 + 32 + 8 + 32

    public var height: UInt64
    public var prev: Digest
    public var timestamp: Int64
    /// Entries in the block.
    public var count: UInt32
    public var entriesDigest: Digest
    public var treeSize: UInt64
    public var treeRoot: Digest

    public init(height: UInt64, prev: Digest, timestamp: Int64, count: UInt32, entriesDigest: Digest, treeSize: UInt64, treeRoot: Digest) {
        self.height = height; self.prev = prev; self.timestamp = timestamp; self.count = count
        self.entriesDigest = entriesDigest; self.treeSize = treeSize; self.treeRoot = treeRoot
    }

    /// Reads a header; the entries after it are left to the caller.
    /// - Throws: `LedgerError.unknownVersion`, `.truncated`.
    public init(from r: inout ByteReader) throws(LedgerError) {
        let version = try r.u8()
        guard version == Block.version else { throw LedgerError.unknownVersion.with("block version \(version)") }
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
        w.u8(Block.version)
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
