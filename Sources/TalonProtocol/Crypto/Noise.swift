/// The symmetric half of the Noise Protocol Framework (revision 34), for the cipher suite
/// `25519_ChaChaPoly_SHA256`: `CipherState`, `SymmetricState` and HKDF exactly as its
/// sections 4.2, 5.1 and 5.2 define them, so a handshake built on them can be checked
/// against any other Noise implementation.
public enum Noise {
    /// HASHLEN of SHA-256.
    public static let hashLength = 32
    /// Bytes of an AEAD tag.
    public static let tagLength = 16

    /// HKDF(chaining key, input key material) with two outputs, as Noise section 4.3 defines it.
    public static func hkdf(_ chainingKey: [UInt8], _ inputKeyMaterial: [UInt8]) -> ([UInt8], [UInt8]) {
        let temp = hmacSHA256(key: chainingKey, inputKeyMaterial)
        let first = hmacSHA256(key: temp, [1])
        let second = hmacSHA256(key: temp, first, [2])
        return (first, second)
    }

    /// A key (or none yet) and the nonce counter of one direction.
    public struct CipherState: Sendable {
        private var key: ChaChaPolyKey?
        /// The nonce the next message uses; each successful encryption or decryption advances it.
        public private(set) var nonce: UInt64 = 0

        /// A state with `key` (32 bytes), or without a key when nil: it then passes bytes through.
        public init(key: [UInt8]?) {
            self.key = key.flatMap(ChaChaPolyKey.init)
        }

        /// True once a key is set.
        public var hasKey: Bool { key != nil }

        /// `ENCRYPT(k, n++, ad, plaintext)`, or the plaintext itself when there is no key.
        /// - Throws: `TalonError(.nonceExhausted)` when the nonce reached 2^64 - 1.
        public mutating func encrypt(ad: some ContiguousBytes, _ plaintext: some ContiguousBytes) throws(TalonError) -> [UInt8] {
            guard let key else { return plaintext.withUnsafeBytes { Array($0) } }
            guard nonce < .max else { throw TalonError(.nonceExhausted) }
            defer { nonce += 1 }
            return key.seal(nonce: Self.nonceBytes(nonce), ad: ad, plaintext)
        }

        /// `DECRYPT(k, n, ad, ciphertext)`, advancing the nonce only when the tag verifies; the
        /// ciphertext itself when there is no key.
        /// - Throws: `TalonError(.decryptionFailed)`, `.nonceExhausted`.
        public mutating func decrypt(ad: some ContiguousBytes, _ ciphertext: some ContiguousBytes) throws(TalonError) -> [UInt8] {
            guard let key else { return ciphertext.withUnsafeBytes { Array($0) } }
            guard nonce < .max else { throw TalonError(.nonceExhausted) }
            guard let plaintext = key.open(nonce: Self.nonceBytes(nonce), ad: ad, ciphertext) else {
                throw TalonError(.decryptionFailed)
            }
            nonce += 1
            return plaintext
        }

        /// ChaChaPoly's 96-bit nonce: 32 bits of zeros, then `n` little-endian.
        static func nonceBytes(_ n: UInt64) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 12)
            for i in 0..<8 { out[4 + i] = UInt8(truncatingIfNeeded: n >> (8 * UInt64(i))) }
            return out
        }
    }

    /// The chaining key, the handshake hash and the cipher state of a handshake in progress.
    public struct SymmetricState: Sendable {
        private var chainingKey: [UInt8]
        /// `h`: the hash of everything the handshake has sent and received so far.
        public private(set) var handshakeHash: [UInt8]
        private var cipher = CipherState(key: nil)

        /// `InitializeSymmetric(protocol_name)`.
        public init(protocolName: String) {
            let name = Array(protocolName.utf8)
            handshakeHash = name.count <= hashLength ? name + [UInt8](repeating: 0, count: hashLength - name.count)
                                                     : SHA256.hash(name).bytes
            chainingKey = handshakeHash
        }

        /// `MixHash(data)`: h = HASH(h || data).
        public mutating func mixHash(_ data: some ContiguousBytes) {
            var hasher = SHA256Hasher()
            hasher.update(handshakeHash)
            hasher.update(data)
            handshakeHash = hasher.finalize().bytes
        }

        /// `MixKey(input_key_material)`: a new chaining key and cipher key from HKDF.
        public mutating func mixKey(_ inputKeyMaterial: [UInt8]) {
            let (ck, key) = Noise.hkdf(chainingKey, inputKeyMaterial)
            chainingKey = ck
            cipher = CipherState(key: key)
        }

        /// `EncryptAndHash(plaintext)`.
        public mutating func encryptAndHash(_ plaintext: some ContiguousBytes) throws(TalonError) -> [UInt8] {
            let ciphertext = try cipher.encrypt(ad: handshakeHash, plaintext)
            mixHash(ciphertext)
            return ciphertext
        }

        /// `DecryptAndHash(ciphertext)`.
        /// - Throws: `TalonError(.decryptionFailed)`.
        public mutating func decryptAndHash(_ ciphertext: some ContiguousBytes) throws(TalonError) -> [UInt8] {
            let plaintext = try cipher.decrypt(ad: handshakeHash, ciphertext)
            mixHash(ciphertext)
            return plaintext
        }

        /// `Split()`: the initiator-to-responder and responder-to-initiator cipher states.
        public func split() -> (initiatorToResponder: CipherState, responderToInitiator: CipherState) {
            let (first, second) = Noise.hkdf(chainingKey, [])
            return (CipherState(key: first), CipherState(key: second))
        }
    }
}
