public import TalonProtocol

/// A committed replicated-log entry that could not be applied as a batch (it does not
/// decode, or breaks the batch limits). Every node records the same row for it, from the
/// entry alone, and makes no block: a node never stops on an entry of its own log.
///
/// Stored form (table `rejected_entries`, key = log index u64): `version u8 = 1 ·
/// data hash [32] · code (u32 length · UTF-8) · message (u32 length · UTF-8)`.
public struct RejectedEntry: Hashable, Sendable, Codable {
    /// The entry's index in the replicated log.
    public let logIndex: UInt64
    /// SHA-256 of the entry's data.
    public let dataHash: Digest
    /// Why it was refused: `corrupt_entry` (it does not decode) or `invalid_batch`, as stored.
    public let code: String
    /// The reason in words; built from the entry's bytes only, so the same on every node.
    public let message: String

    /// The most message bytes kept.
    public static let messageBytes = 1024

    /// The row for entry `logIndex` holding `data`, refused with `code` for `message`.
    public init(logIndex: UInt64, data: [UInt8], code: Code, message: String) {
        self.logIndex = logIndex
        self.dataHash = SHA256.hash(data)
        self.code = code.name
        self.message = Self.truncated(message, to: Self.messageBytes)
    }

    enum CodingKeys: String, CodingKey { case logIndex = "log_index", dataHash = "data_hash", code, message }

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(1)
        w.digest(dataHash)
        w.string(code)
        w.string(message)
        return w.bytes
    }

    init(logIndex: UInt64, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "rejected entry \(logIndex): unknown record version") }
        self.logIndex = logIndex
        dataHash = try r.digest()
        code = try r.string(max: Limits.idBytes)
        message = try r.string(max: Self.messageBytes)
        try r.finish()
    }

    /// `text` cut to at most `limit` UTF-8 bytes, on a character boundary.
    private static func truncated(_ text: String, to limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var out = ""
        for c in text {
            guard out.utf8.count + c.utf8.count <= limit else { break }
            out.append(c)
        }
        return out
    }
}
