/// A 32-byte SHA-256 digest. Its text form is 64 lowercase hex digits.
public struct Digest: Hashable, Sendable, Comparable, CustomStringConvertible, ContiguousBytes, Codable {
    private let value: Bytes32

    /// The 32 bytes of the digest (a new array; `withUnsafeBytes` reads them without one).
    public var bytes: [UInt8] { value.array }

    init(_ value: Bytes32) { self.value = value }

    /// Wraps 32 bytes; returns nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard let value = Bytes32(bytes) else { return nil }
        self.value = value
    }

    /// Parses 64 lowercase hex digits; returns nil for anything else.
    public init?(hex: some StringProtocol) {
        guard hex.utf8.count == 64, let b = Hex.decode(hex), let value = Bytes32(b) else { return nil }
        self.value = value
    }

    /// All zero bytes.
    public static let zero = Digest(Bytes32())

    /// Lowercase hex.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }

    public static func < (a: Digest, b: Digest) -> Bool { a.value < b.value }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try value.withUnsafeBytes(body)
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
