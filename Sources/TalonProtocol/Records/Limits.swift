/// Size limits that are part of the format: decoding refuses anything beyond them.
public enum Limits {
    /// Ticket and event ids: 1–128 bytes of `A–Z a–z 0–9 . _ : / -`.
    public static let idBytes = 128
    /// Names, venues, seats, sections and chain ids.
    public static let textBytes = 256
    /// Void reasons.
    public static let reasonBytes = 1024
    /// Tickets in one issue operation.
    public static let ticketsPerIssue = 10_000
    /// Sections of one gate.
    public static let sectionsPerGate = 64
    /// One encoded envelope.
    public static let envelopeBytes = 1 << 20
    /// A contract's source (UTF-8 bytes).
    public static let contractSourceBytes = 64 << 10
    /// A binding's parameters (JSON text).
    public static let contractParamsBytes = 4096
    /// The largest price, fee or face value in a resale, minor units (10^15).
    public static let maxAmount: UInt64 = 1_000_000_000_000_000
    /// Envelopes in one block: what decoding a stored block and `Ledger.apply` accept (a
    /// node's blocks hold at most `WriteLimits.batchEnvelopes`; `talon ledger append
    /// --batch` may write larger ones).
    public static let envelopesPerBlock = 100_000
}

/// The write path's limits, in one place, each derived from the one before: what one batch
/// (a submission, a forwarded frame, a Raft entry, a node's block) may hold, the Raft entry
/// that carries it, and the HTTP body that brings it. A batch that passes `batchEnvelopes`
/// and `batchBytes` always fits the entry and the block.
public enum WriteLimits {
    /// Envelopes in one batch.
    public static let batchEnvelopes = 8192
    /// Envelope bytes in one batch: eight of the largest envelopes.
    public static let batchBytes = 8 * Limits.envelopeBytes
    /// One Raft entry: a full batch with its framing (`version u8 · timestamp i64 · count u32`,
    /// then a u32 length per envelope; docs/format.md "Raft messages").
    public static let entryBytes = 1 + 8 + 4 + batchEnvelopes * 4 + batchBytes
    /// One HTTP request body: a batch in JSON, allowed twice its binary size (hex and key names).
    public static let bodyBytes = 2 * batchBytes
}
