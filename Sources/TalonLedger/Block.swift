public import TalonCrypto
public import TalonStore

/// One block: the outcome of applying one batch of envelopes.
///
/// Header (version 1): `u8 version, u64 height, prev[32], i64 timestamp, u32 count,
/// entries_digest[32], u64 tree_size, tree_root[32]`. The block hash is SHA-256 of the
/// header. `entries_digest` is SHA-256 over each entry's `envelope_hash[32], string result`.
public struct Block: Hashable, Sendable {
    /// One envelope of the block and what applying it gave.
    public struct Entry: Hashable, Sendable {
        /// SHA-256 of the envelope's bytes.
        public var envelopeHash: Digest
        /// `ok`, or the reason code it was rejected with.
        public var result: String
        public init(envelopeHash: Digest, result: String) { self.envelopeHash = envelopeHash; self.result = result }
    }

    /// The block header format version.
    public static let version: UInt8 = 1

    public var height: UInt64
    /// The previous block's hash; for block 1, the genesis hash.
    public var prev: Digest
    /// Milliseconds since the Unix epoch, from the batch; never earlier than the previous block's.
    public var timestamp: Int64
    public var entries: [Entry]
    /// Leaves in the ledger's Merkle tree after this block.
    public var treeSize: UInt64
    /// Root of the ledger's Merkle tree after this block.
    public var treeRoot: Digest

    public init(height: UInt64, prev: Digest, timestamp: Int64, entries: [Entry], treeSize: UInt64, treeRoot: Digest) {
        self.height = height; self.prev = prev; self.timestamp = timestamp
        self.entries = entries; self.treeSize = treeSize; self.treeRoot = treeRoot
    }

    /// Leaf index of the block's first envelope.
    public var firstLeaf: UInt64 { treeSize - UInt64(entries.count) }

    /// SHA-256 over every entry's hash and result.
    public var entriesDigest: Digest {
        var w = ByteWriter(capacity: entries.count * 40)
        for e in entries {
            w.digest(e.envelopeHash)
            w.string(e.result)
        }
        return SHA256.hash(w.bytes)
    }

    /// The header: every field but the entries, which it names by their digest.
    public var header: BlockHeader {
        BlockHeader(height: height, prev: prev, timestamp: timestamp, count: UInt32(entries.count),
                    entriesDigest: entriesDigest, treeSize: treeSize, treeRoot: treeRoot)
    }

    /// The canonical header bytes.
    public var headerBytes: [UInt8] { header.bytes }

    /// SHA-256 of the header.
    public var hash: Digest { SHA256.hash(headerBytes) }

    /// The stored form: the header, then `u32 count` and each entry.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: 128 + entries.count * 44)
        w.raw(headerBytes)
        w.list(entries) { w, e in
            w.digest(e.envelopeHash)
            w.string(e.result)
        }
        return w.bytes
    }

    /// Decodes the stored form and checks that the entries match the header's digest.
    /// - Throws: `LedgerError.storeCorrupt` (or a decoding code) on any mismatch.
    public init(bytes: [UInt8]) throws(LedgerError) {
        var r = ByteReader(bytes)
        let header = try BlockHeader(from: &r)
        height = header.height; prev = header.prev; timestamp = header.timestamp
        treeSize = header.treeSize; treeRoot = header.treeRoot
        let count = header.count, digest = header.entriesDigest
        entries = try r.list(max: Limits.envelopesPerBlock, minElementSize: 36) { (r: inout ByteReader) throws(LedgerError) in
            Entry(envelopeHash: try r.digest(), result: try r.string(max: 64))
        }
        try r.finish()
        guard entries.count == Int(count), entriesDigest == digest, treeSize >= UInt64(count) else {
            throw LedgerError.storeCorrupt.with("block \(height): entries do not match the header")
        }
    }
}

/// The state of the ledger at a block: what a node signs and an auditor keeps.
public struct Head: Hashable, Sendable, Codable {
    public var height: UInt64
    /// Hash of the block at `height` (the genesis hash at height 0).
    public var blockHash: Digest
    public var treeSize: UInt64
    public var treeRoot: Digest
    public var timestamp: Int64

    public init(height: UInt64, blockHash: Digest, treeSize: UInt64, treeRoot: Digest, timestamp: Int64) {
        self.height = height; self.blockHash = blockHash; self.treeSize = treeSize; self.treeRoot = treeRoot; self.timestamp = timestamp
    }

    enum CodingKeys: String, CodingKey {
        case height, blockHash = "block_hash", treeSize = "tree_size", treeRoot = "tree_root", timestamp
    }
}

/// The JSON form of a block (CLI and API): header fields, its hash, and each entry's
/// envelope hash and result.
extension Block: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKeys.self)
        try c.encode(height, forKey: .height)
        try c.encode(hash, forKey: .hash)
        try c.encode(prev, forKey: .prev)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(treeSize, forKey: .treeSize)
        try c.encode(treeRoot, forKey: .treeRoot)
        try c.encode(entries.map { ["envelope": $0.envelopeHash.hex, "result": $0.result] }, forKey: .entries)
    }

    enum JSONKeys: String, CodingKey {
        case height, hash, prev, timestamp, treeSize = "tree_size", treeRoot = "tree_root", entries
    }
}

/// Blocks are stored in their canonical form.
extension Block: StoreValue {
    public var storeBytes: [UInt8] { bytes }
    public init(storeBytes: [UInt8]) throws { try self.init(bytes: storeBytes) }
}
