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
    /// Envelopes in one block.
    public static let envelopesPerBlock = 100_000
}
