/// A 32-byte SHA-256 digest. Its text form is 64 lowercase hex digits.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, ContiguousBytes, Codable {
    /// The 32 bytes of the digest.
    public let bytes: [UInt8]

    init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Wraps 32 bytes; returns nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        self.bytes = Array(bytes)
    }

    /// Parses 64 lowercase hex digits; returns nil for anything else.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let b = Hex.decode(hex) else { return nil }
        self.bytes = b
    }

    /// All zero bytes.
    public static let zero = Digest(unchecked: [UInt8](repeating: 0, count: 32))

    /// Lowercase hex.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes(body)
    }
}

/// SHA-256 from libsodium.
public enum SHA256 {
    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some ContiguousBytes) -> Digest {
        Digest(unchecked: bytes.withUnsafeBytes { Sodium.sha256($0) })
    }

    /// The SHA-256 digest of the concatenation of `parts`.
    public static func hash(parts: [any ContiguousBytes]) -> Digest {
        var h = SHA256Hasher()
        for p in parts { h.update(p) }
        return h.finalize()
    }
}

/// JSON form: 64 lowercase hex digits.
extension Digest {
    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let d = Digest(hex: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected 64 lowercase hex digits"))
        }
        self = d
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(hex)
    }
}
