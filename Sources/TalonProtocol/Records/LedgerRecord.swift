/// An envelope together with where it sits and what applying it gave.
public struct LedgerRecord: Hashable, Sendable, Codable {
    public var envelope: Envelope
    public var receipt: Receipt
    /// What the event's contract decided, when one was consulted.
    public var decision: RecordedDecision?
    /// SHA-256 of the envelope's bytes.
    public var hash: Digest { envelope.hash }

    enum CodingKeys: String, CodingKey { case envelope, receipt, hash, decision }

    public init(envelope: Envelope, receipt: Receipt, decision: RecordedDecision? = nil) {
        self.envelope = envelope; self.receipt = receipt; self.decision = decision
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        envelope = try c.decode(Envelope.self, forKey: .envelope)
        receipt = try c.decode(Receipt.self, forKey: .receipt)
        decision = try c.decodeIfPresent(RecordedDecision.self, forKey: .decision)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(envelope, forKey: .envelope)
        try c.encode(receipt, forKey: .receipt)
        try c.encode(hash, forKey: .hash)
        try c.encodeIfPresent(decision, forKey: .decision)
    }
}
