/// An X25519 key pair for one Diffie-Hellman exchange (an ephemeral key of a handshake).
/// The private scalar is wiped from memory when the last reference goes.
public final class X25519KeyPair: Sendable {
    /// The public point, 32 bytes.
    public let publicKey: [UInt8]
    // Immutable after init; read by `sharedSecret` and zeroed in deinit, when no other reference exists.
    private nonisolated(unsafe) var secret: [UInt8]

    /// A fresh key pair from the system's secure random source.
    public init() {
        (publicKey, secret) = Sodium.x25519Keypair()
    }

    /// The key pair of a given 32-byte private scalar (for test vectors); nil for another length.
    public init?(privateKey: [UInt8]) {
        guard privateKey.count == 32 else { return nil }
        secret = privateKey
        publicKey = Sodium.x25519Base(privateKey)
    }

    deinit { Sodium.memzero(&secret) }

    /// X25519 of this private key and `peer`'s public point; nil when `peer` is not 32 bytes
    /// or the result is all zeros (a low-order point, which would make the secret public).
    public func sharedSecret(with peer: some ContiguousBytes) -> [UInt8]? {
        Sodium.x25519(secret, peer)
    }
}

/// HMAC-SHA-256 (RFC 2104) under `key` of the concatenation of `parts`.
public func hmacSHA256(key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
    Sodium.hmacSHA256(key: key, parts)
}

/// A 256-bit ChaCha20-Poly1305 key (RFC 8439, the IETF construction with a 96-bit nonce).
public struct ChaChaPolyKey: Sendable {
    private let key: [UInt8]

    /// The key of 32 bytes; nil for another length.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        key = bytes
    }

    /// `plaintext` encrypted and authenticated with `ad`: the ciphertext followed by a 16-byte tag.
    public func seal(nonce: [UInt8], ad: some ContiguousBytes, _ plaintext: some ContiguousBytes) -> [UInt8] {
        Sodium.aeadSeal(key: key, nonce: nonce, ad: ad, plaintext: plaintext)
    }

    /// The plaintext, or nil when the tag does not verify for this key, nonce and `ad`.
    public func open(nonce: [UInt8], ad: some ContiguousBytes, _ ciphertext: some ContiguousBytes) -> [UInt8]? {
        Sodium.aeadOpen(key: key, nonce: nonce, ad: ad, ciphertext: ciphertext)
    }
}
