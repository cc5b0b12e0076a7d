/// The JSON form of a block (CLI and API): every header field, the block hash, and each
/// entry's envelope hash, result and (version 2, when a contract was consulted) decision hash.
/// Decoding rebuilds the block from the header fields and entries and refuses a form whose
/// `hash`, `count` or `entries_digest` are not the ones they give.
extension Block: Codable {
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

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: JSONKeys.self)
        let version = try c.decode(UInt8.self, forKey: .version)
        guard Block.readableVersions.contains(version) else {
            throw DecodingError.dataCorruptedError(forKey: .version, in: c, debugDescription: "unknown block version \(version)")
        }
        self.init(version: version, height: try c.decode(UInt64.self, forKey: .height), prev: try c.decode(Digest.self, forKey: .prev),
                  timestamp: try c.decode(Int64.self, forKey: .timestamp),
                  entries: try c.decode([EntryJSON].self, forKey: .entries).map(\.entry),
                  treeSize: try c.decode(UInt64.self, forKey: .treeSize), treeRoot: try c.decode(Digest.self, forKey: .treeRoot))
        guard try c.decode(Int.self, forKey: .count) == entries.count, try c.decode(Digest.self, forKey: .entriesDigest) == entriesDigest,
              try c.decode(Digest.self, forKey: .hash) == hash else {
            throw DecodingError.dataCorruptedError(forKey: .hash, in: c, debugDescription: "count, entries_digest or hash is not the block's")
        }
    }

    enum JSONKeys: String, CodingKey {
        case version, height, hash, prev, timestamp, count, entriesDigest = "entries_digest", treeSize = "tree_size",
             treeRoot = "tree_root", entries
    }

    struct EntryJSON: Codable {
        let envelope: Digest, result: String, decision: Digest?
        init(_ e: Entry) { envelope = e.envelopeHash; result = e.result; decision = e.decision }
        var entry: Entry { Entry(envelopeHash: envelope, result: result, decision: decision) }
    }
}
