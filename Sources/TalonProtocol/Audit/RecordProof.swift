/// A record's Merkle inclusion proof in an audit answer: the envelope itself (so a verifier
/// can hash it), the audit path to the root of the answer's head, and the proof of what
/// applying it gave.
public struct RecordProof: Hashable, Sendable, Codable {
    public var envelope: Envelope
    public var path: [Digest]
    /// Nil for a record in a version 1 block (written before decisions were under the block hash).
    public var outcome: OutcomeProof?

    /// The proof of `envelope` by `path`, with what applying it gave.
    package init(envelope: Envelope, path: [Digest], outcome: OutcomeProof?) {
        self.envelope = envelope; self.path = path; self.outcome = outcome
    }
}

/// Proof of what applying a record gave, from a head signed at its block: the block's
/// header, the record's entry (result and decision hash) with its path to the header's
/// `entries_digest`, and the contract decision whose canonical bytes hash to the entry's.
public struct OutcomeProof: Hashable, Sendable, Codable {
    /// The header of the record's block; its SHA-256 is `head`'s block hash.
    public var header: BlockHeader
    /// The record's position in the block.
    public var position: UInt32
    /// `ok` or the reason code, as the entry records it.
    public var result: String
    /// The contract decision taken on the record, when one was.
    public var decision: RecordedDecision?
    /// The RFC 9162 audit path of the entry to `header.entries_digest`.
    public var path: [Digest]
    /// The head at the record's block, signed by the answering node (nil when the ledger was
    /// asked without a signer).
    public var head: SignedHead?

    /// The proof that entry `position` of the block of `header` holds `result` and `decision`.
    package init(header: BlockHeader, position: UInt32, result: String, decision: RecordedDecision?, path: [Digest], head: SignedHead?) {
        self.header = header; self.position = position; self.result = result; self.decision = decision; self.path = path; self.head = head
    }
}
