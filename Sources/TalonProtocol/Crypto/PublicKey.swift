
/// An Ed25519 public key.
///
/// Text form, used on every surface (CLI, JSON, logs, genesis): `ed25519:` followed by the
/// 32 key bytes as 64 lowercase hex digits.
public struct PublicKey: Hashable, Sendable, Comparable, Codable, CustomStringConvertible, ContiguousBytes {
    private let value: Bytes32

    /// The 32 raw key bytes (a new array; `withUnsafeBytes` reads them without one).
    public var bytes: [UInt8] { value.array }

    /// The text prefix of every public key.
    public static let textPrefix = "ed25519:"

    /// Wraps 32 raw bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard let value = Bytes32(bytes) else { return nil }
        self.value = value
    }

    /// Parses the text form.
    /// - Throws: `TalonError(.invalidKeyText)`.
    public init(text: String) throws(TalonError) {
        guard text.hasPrefix(Self.textPrefix) else {
            throw TalonError(.invalidKeyText, "public key must start with '\(Self.textPrefix)': \(text.prefix(80))")
        }
        let hex = text.dropFirst(Self.textPrefix.count)
        guard hex.utf8.count == 64, let b = Hex.decode(hex), let value = Bytes32(b) else {
            throw TalonError(.invalidKeyText, "public key must be '\(Self.textPrefix)' and 64 lowercase hex digits: \(text.prefix(80))")
        }
        self.value = value
    }

    /// The text form.
    public var text: String { Self.textPrefix + Hex.encode(bytes) }
    public var description: String { text }

    /// True when the key is a usable Ed25519 public key: a canonical encoding of a point of
    /// the main subgroup that is not of small order. Every generated key is; the all-zero key
    /// and other small-order or non-canonical encodings are not, and no signature by them can
    /// ever be made, so a ticket sent to one would be lost. Keys found valid are remembered
    /// by the process (`ValidPoints`), so a key seen before costs a set lookup.
    public var isValidPoint: Bool { ValidPoints.shared.contains(value) }

    /// True when `signature` is a valid Ed25519 signature of `message` by this key.
    /// libsodium rejects non-canonical signatures and small-order keys.
    public func verify(_ signature: Signature, for message: some ContiguousBytes) -> Bool {
        message.withUnsafeBytes { m in value.withUnsafeBytes { Sodium.verify(signature.bytes, m, publicKey: $0) } }
    }

    public static func < (a: PublicKey, b: PublicKey) -> Bool { a.value < b.value }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try value.withUnsafeBytes(body)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(text)
    }
}

/// An Ed25519 signature (64 bytes). Text form (and JSON form): 128 lowercase hex digits.
public struct Signature: Hashable, Sendable, CustomStringConvertible, Codable {
    /// The 64 raw signature bytes.
    public let bytes: [UInt8]

    /// Wraps 64 raw bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 64 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses 128 lowercase hex digits; nil for anything else.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 128, let b = Hex.decode(hex) else { return nil }
        self.bytes = b
    }

    /// Lowercase hex.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let signature = Signature(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "signature must be 128 lowercase hex digits"))
        }
        self = signature
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
