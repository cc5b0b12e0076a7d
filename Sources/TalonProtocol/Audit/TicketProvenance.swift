/// Every record touching one ticket, oldest first, read as a chain of custody
/// (`GET /v1/audit/tickets/{id}`).
public struct TicketProvenance: Hashable, Sendable, Codable {
    public var ticket: TicketState
    public var steps: [ProvenanceStep]
    /// True when the ticket has more records than one answer holds (`limit`).
    public var truncated: Bool

    /// The provenance of `ticket` in `steps`.
    package init(ticket: TicketState, steps: [ProvenanceStep], truncated: Bool) {
        self.ticket = ticket; self.steps = steps; self.truncated = truncated
    }
}

/// One record of a ticket's provenance: who moved it to whom, for how much, with what result.
public struct ProvenanceStep: Hashable, Sendable, Codable {
    public var leaf: UInt64
    public var height: UInt64
    /// The block's timestamp, ms since the Unix epoch.
    public var timestamp: Int64
    /// The operation's name (`issue`, `transfer`, `buy_resale`, …).
    public var kind: String
    public var result: String
    /// The contract's reason when it denied the operation.
    public var reason: String?
    public var signer: PublicKey
    /// The holder the ticket leaves (the signer for attempts that would not move it).
    public var from: PublicKey?
    public var to: PublicKey?
    public var price: UInt64?
    public var fees: UInt64?
    /// Markup of price + fees over the face value, hundredths of a percent.
    public var markupBasisPoints: Int64?
    public var royalty: Int64?
    public var refund: UInt64?
    public var gate: PublicKey?
    public var scannedAt: Int64?
    public var envelopeHash: Digest
    /// The inclusion proof against the answer's head, when asked with `prove`.
    public var proof: RecordProof?

    /// A step with the fields every record has; the others are set after.
    package init(leaf: UInt64, height: UInt64, timestamp: Int64, kind: String, result: String, reason: String?,
                 signer: PublicKey, envelopeHash: Digest, proof: RecordProof?) {
        self.leaf = leaf; self.height = height; self.timestamp = timestamp; self.kind = kind; self.result = result
        self.reason = reason; self.signer = signer; self.envelopeHash = envelopeHash; self.proof = proof
    }

    enum CodingKeys: String, CodingKey {
        case leaf, height, timestamp, kind, result, reason, signer, from, to, price, fees
        case markupBasisPoints = "markup_bp", royalty, refund, gate, scannedAt = "scanned_at"
        case envelopeHash = "envelope_hash", proof
    }
}
