
/// One block: the outcome of applying one batch of envelopes.
///
/// Header: `u8 version, u64 height, prev[32], i64 timestamp, u32 count, entries_digest[32],
/// u64 tree_size, tree_root[32]`; the block hash is SHA-256 of the header. Version 2 (every
/// block this build writes): `entries_digest` is the RFC 9162 Merkle root over the entries,
/// each `envelope_hash[32], string result, u8 0` or `envelope_hash[32], string result, u8 1,
/// decision_hash[32]`, so a contract's decision is under the block hash and any one entry can
/// be proven with a path. Version 1 (blocks written before): SHA-256 over each entry's
/// `envelope_hash[32], string result`; decisions are not covered.
public struct Block: Hashable, Sendable {
    /// One envelope of the block and what applying it gave.
    public struct Entry: Hashable, Sendable {
        /// SHA-256 of the envelope's bytes.
        public var envelopeHash: Digest
        /// `ok`, or the reason code it was rejected with.
        public var result: String
        /// SHA-256 of the canonical bytes of the contract decision taken on it (version 2
        /// blocks), nil when no contract was consulted.
        public var decision: Digest?
        public init(envelopeHash: Digest, result: String, decision: Digest? = nil) {
            self.envelopeHash = envelopeHash; self.result = result; self.decision = decision
        }

        /// The entry's canonical bytes in a block of `version`.
        func bytes(version: UInt8) -> [UInt8] {
            var w = ByteWriter(capacity: 80)
            write(to: &w, version: version)
            return w.bytes
        }

        func write(to w: inout ByteWriter, version: UInt8) {
            w.digest(envelopeHash)
            w.string(result)
            guard version >= 2 else { return }
            if let decision { w.u8(1); w.digest(decision) } else { w.u8(0) }
        }

        /// The entry's leaf hash in a version 2 block's entry tree.
        public var leafHash: Digest { MerkleHash.leaf(bytes(version: 2)) }
    }

    /// The block header format version this build writes.
    public static let version: UInt8 = 2
    /// The header versions this build reads.
    public static let readableVersions: ClosedRange<UInt8> = 1...2

    /// This block's format version (1 for blocks written before decisions were covered).
    public var version: UInt8
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

    /// A block of the current version (`version` is for tests that build older stores).
    public init(version: UInt8 = Block.version, height: UInt64, prev: Digest, timestamp: Int64, entries: [Entry],
                treeSize: UInt64, treeRoot: Digest) {
        self.version = version; self.height = height; self.prev = prev; self.timestamp = timestamp
        self.entries = entries; self.treeSize = treeSize; self.treeRoot = treeRoot
    }

    /// Leaf index of the block's first envelope.
    public var firstLeaf: UInt64 { treeSize - UInt64(entries.count) }

    /// Version 2: the Merkle root over the entries; version 1: SHA-256 over every entry's hash and result.
    public var entriesDigest: Digest {
        guard version >= 2 else {
            var w = ByteWriter(capacity: entries.count * 40)
            for e in entries { e.write(to: &w, version: 1) }
            return SHA256.hash(w.bytes)
        }
        var frontier = MerkleFrontier()
        for e in entries { _ = frontier.append(leafHash: e.leafHash) }
        return frontier.root()
    }

    /// The RFC 9162 audit path of entry `position` to `entriesDigest` (version 2 blocks).
    /// - Throws: `TalonError(.unknownVersion)` for a version 1 block, `proof_out_of_range` for a position past the end.
    public func entryProof(position: Int) throws(TalonError) -> [Digest] {
        try EntryTree(self).proof(position: position)
    }

    /// A version 2 block's entry tree, built once to prove any number of its entries.
    public struct EntryTree: Sendable {
        private let nodes: InMemoryMerkleNodes
        private let count: UInt64

        /// The tree of `block`'s entries.
        /// - Throws: `TalonError(.unknownVersion)` for a version 1 block, whose entries have no tree.
        public init(_ block: Block) throws(TalonError) {
            guard block.version >= 2 else { throw TalonError(.unknownVersion, "block \(block.height) is version 1: its entries have no proofs") }
            var nodes = InMemoryMerkleNodes()
            var frontier = MerkleFrontier()
            for e in block.entries {
                for node in frontier.append(leafHash: e.leafHash) { nodes.setNode(level: node.level, index: node.index, hash: node.hash) }
            }
            self.nodes = nodes
            count = UInt64(block.entries.count)
        }

        /// The audit path of entry `position` to the block's `entries_digest`.
        /// - Throws: `proof_out_of_range` for a position past the end.
        public func proof(position: Int) throws(TalonError) -> [Digest] {
            do {
                return try MerkleProver(nodes: nodes, size: count).inclusionProof(leafIndex: UInt64(exactly: position) ?? count, size: count)
            } catch let e as TalonError { throw e } catch { throw TalonError(.storeCorrupt, "\(error)") }
        }
    }

    /// The header: every field but the entries, which it names by their digest.
    public var header: BlockHeader {
        BlockHeader(version: version, height: height, prev: prev, timestamp: timestamp, count: UInt32(entries.count),
                    entriesDigest: entriesDigest, treeSize: treeSize, treeRoot: treeRoot)
    }

    /// The canonical header bytes.
    public var headerBytes: [UInt8] { header.bytes }

    /// SHA-256 of the header.
    public var hash: Digest { SHA256.hash(headerBytes) }

    /// The stored form: the header, then `u32 count` and each entry.
    public var bytes: [UInt8] { bytes(header: header) }

    /// The stored form with `header` (this block's, already computed: the entries digest is
    /// a Merkle root, worth building once per block).
    package func bytes(header: BlockHeader) -> [UInt8] {
        var w = ByteWriter(capacity: 128 + entries.count * 80)
        w.raw(header.bytes)
        w.list(entries) { w, e in e.write(to: &w, version: version) }
        return w.bytes
    }

    /// Decodes the stored form and checks that the entries match the header's digest.
    /// - Throws: `TalonError(.storeCorrupt)` (or a decoding code) on any mismatch.
    public init(bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        let header = try BlockHeader(from: &r)
        version = header.version; height = header.height; prev = header.prev; timestamp = header.timestamp
        treeSize = header.treeSize; treeRoot = header.treeRoot
        let count = header.count, digest = header.entriesDigest, version = header.version
        entries = try r.list(max: Limits.envelopesPerBlock, minElementSize: version >= 2 ? 37 : 36) { (r: inout ByteReader) throws(TalonError) in
            let hash = try r.digest(), result = try r.string(max: 64)
            guard version >= 2 else { return Entry(envelopeHash: hash, result: result) }
            switch try r.u8() {
            case 0: return Entry(envelopeHash: hash, result: result)
            case 1: return Entry(envelopeHash: hash, result: result, decision: try r.digest())
            default: throw TalonError(.nonCanonical, "an entry's decision flag is 0 or 1")
            }
        }
        try r.finish()
        guard entries.count == Int(count), entriesDigest == digest, treeSize >= UInt64(count) else {
            throw TalonError(.storeCorrupt, "block \(height): entries do not match the header")
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

/// The JSON form of a block (CLI and API): every header field, the block hash, and each
/// entry's envelope hash, result and (version 2, when a contract was consulted) decision hash.
extension Block: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: JSONKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(height, forKey: .height)
        try c.encode(hash, forKey: .hash)
        try c.encode(prev, forKey: .prev)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(entries.count, forKey: .count)
        try c.encode(entriesDigest, forKey: .entriesDigest)
        try c.encode(treeSize, forKey: .treeSize)
        try c.encode(treeRoot, forKey: .treeRoot)
        try c.encode(entries.map(EntryJSON.init), forKey: .entries)
    }

    enum JSONKeys: String, CodingKey {
        case version, height, hash, prev, timestamp, count, entriesDigest = "entries_digest", treeSize = "tree_size",
             treeRoot = "tree_root", entries
    }

    struct EntryJSON: Encodable {
        let envelope: Digest, result: String, decision: Digest?
        package init(_ e: Entry) { envelope = e.envelopeHash; result = e.result; decision = e.decision }
    }
}

/// Blocks are stored in their canonical form.
