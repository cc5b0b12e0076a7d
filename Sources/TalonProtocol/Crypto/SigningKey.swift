#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An Ed25519 key pair that can sign. The secret is wiped from memory when the last copy goes.
public final class SigningKey: Sendable {
    /// The public half.
    public let publicKey: PublicKey
    // Immutable after init; only read by `sign` and zeroed in deinit, when no other reference exists.
    private nonisolated(unsafe) var secret: [UInt8]
    private nonisolated(unsafe) var seedBytes: [UInt8]

    /// Derives the key pair from a 32-byte seed; nil for any other length.
    public init?(seed: [UInt8]) {
        guard seed.count == 32 else { return nil }
        let (pk, sk) = Sodium.seedKeypair(seed: seed)
        self.publicKey = PublicKey(bytes: pk)!
        self.secret = sk
        self.seedBytes = seed
    }

    /// A fresh key pair from the system's secure random source.
    public static func generate() -> SigningKey {
        var seed = Sodium.randomBytes(32)
        defer { Sodium.memzero(&seed) }
        return SigningKey(seed: seed)!
    }

    deinit {
        Sodium.memzero(&secret)
        Sodium.memzero(&seedBytes)
    }

    /// The Ed25519 signature of `message`.
    public func sign(_ message: some ContiguousBytes) -> Signature {
        let sig = message.withUnsafeBytes { Sodium.sign($0, secretKey: secret) }
        return Signature(bytes: sig)!
    }

    /// The 32-byte seed, for writing a key file.
    var seed: [UInt8] { seedBytes }
}

/// Random bytes from libsodium's secure source.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    count > 0 ? Sodium.randomBytes(count) : []
}
