/// `GET /v1/blocks/{height}/records`: a block with every record in it
/// (docs/openapi.yaml `BlockRecords`).
public struct BlockRecords: Hashable, Sendable, Codable {
    public var block: Block
    public var records: [BlockRecord]

    /// The answer holding `block` and its `records`.
    public init(block: Block, records: [BlockRecord]) { self.block = block; self.records = records }
}

/// One record of a block: where it sits, its result, its envelope in both forms (JSON, and
/// the canonical bytes in hex that it is hashed and signed over), and the contract's
/// decision when one was taken. Decoding refuses bytes that are not the envelope's.
public struct BlockRecord: Hashable, Sendable, Codable {
    public var leaf: UInt64, position: UInt32, result: String
    public var envelope: Envelope
    public var decision: RecordedDecision?

    /// The record `r` of a block.
    public init(_ r: LedgerRecord) {
        leaf = r.receipt.leaf; position = r.receipt.position; result = r.receipt.result
        envelope = r.envelope; decision = r.decision
    }

    enum CodingKeys: String, CodingKey { case leaf, position, result, hash, envelope, bytes, decision }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        leaf = try c.decode(UInt64.self, forKey: .leaf)
        position = try c.decode(UInt32.self, forKey: .position)
        result = try c.decode(String.self, forKey: .result)
        envelope = try c.decode(Envelope.self, forKey: .envelope)
        decision = try c.decodeIfPresent(RecordedDecision.self, forKey: .decision)
        guard try c.decode(String.self, forKey: .bytes) == Hex.encode(envelope.bytes), try c.decode(Digest.self, forKey: .hash) == envelope.hash else {
            throw DecodingError.dataCorruptedError(forKey: .bytes, in: c, debugDescription: "bytes or hash is not the envelope's")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(leaf, forKey: .leaf); try c.encode(position, forKey: .position); try c.encode(result, forKey: .result)
        try c.encode(envelope.hash, forKey: .hash)
        try c.encode(envelope, forKey: .envelope); try c.encode(Hex.encode(envelope.bytes), forKey: .bytes)
        try c.encodeIfPresent(decision, forKey: .decision)
    }
}
