// The one file that touches libsodium. Everything else in the kernel calls these
// wrappers, which take and return Swift values and never let a pointer escape.
import CSodium

enum Sodium {
    /// `sodium_init` is idempotent and thread-safe; a Swift lazy global runs it once.
    static let ready: Bool = sodium_init() >= 0

    static func seedKeypair(seed: [UInt8]) -> (publicKey: [UInt8], secretKey: [UInt8]) {
        precondition(ready, "libsodium failed to initialise")
        precondition(seed.count == 32)
        var pk = [UInt8](repeating: 0, count: 32)
        var sk = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_seed_keypair(&pk, &sk, seed)
        return (pk, sk)
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, count) }
        return out
    }

    static func sign(_ message: UnsafeRawBufferPointer, secretKey: [UInt8]) -> [UInt8] {
        var sig = [UInt8](repeating: 0, count: 64)
        _ = crypto_sign_detached(&sig, nil, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count), secretKey)
        return sig
    }

    static func verify(_ signature: [UInt8], _ message: UnsafeRawBufferPointer, publicKey: UnsafeRawBufferPointer) -> Bool {
        precondition(ready, "libsodium failed to initialise")
        guard signature.count == 64, publicKey.count == 32, let key = publicKey.baseAddress else { return false }
        return crypto_sign_verify_detached(signature, message.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                                           key.assumingMemoryBound(to: UInt8.self)) == 0
    }

    /// True when `point` is 32 bytes encoding a canonical Ed25519 point of the main subgroup
    /// that is not of small order (libsodium's `crypto_core_ed25519_is_valid_point`).
    static func isValidEd25519Point(_ point: UnsafeRawBufferPointer) -> Bool {
        precondition(ready, "libsodium failed to initialise")
        guard point.count == 32, let p = point.baseAddress else { return false }
        return crypto_core_ed25519_is_valid_point(p.assumingMemoryBound(to: UInt8.self)) == 1
    }

    /// A fresh X25519 key pair: 32 random bytes as the private scalar, its public point.
    static func x25519Keypair() -> (publicKey: [UInt8], secretKey: [UInt8]) {
        let sk = randomBytes(32)
        return (x25519Base(sk), sk)
    }

    /// The X25519 public point of private scalar `secretKey` (32 bytes).
    static func x25519Base(_ secretKey: [UInt8]) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        precondition(secretKey.count == 32)
        var pk = [UInt8](repeating: 0, count: 32)
        _ = crypto_scalarmult_base(&pk, secretKey)
        return pk
    }

    /// X25519(secretKey, publicKey); nil when the result is all zeros (a low-order point).
    static func x25519(_ secretKey: [UInt8], _ publicKey: some ContiguousBytes) -> [UInt8]? {
        precondition(ready, "libsodium failed to initialise")
        precondition(secretKey.count == 32)
        var out = [UInt8](repeating: 0, count: 32)
        let rc = publicKey.withUnsafeBytes { pk -> Int32 in
            guard pk.count == 32, let base = pk.baseAddress else { return -1 }
            return crypto_scalarmult(&out, secretKey, base.assumingMemoryBound(to: UInt8.self))
        }
        return rc == 0 ? out : nil
    }

    /// HMAC-SHA-256 of the concatenation of `parts` under `key` (any length).
    static func hmacSHA256(key: some ContiguousBytes, _ parts: [[UInt8]]) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var state = crypto_auth_hmacsha256_state()
        key.withUnsafeBytes { k in
            var none: UInt8 = 0  // an empty key still needs an address
            _ = crypto_auth_hmacsha256_init(&state, k.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? withUnsafePointer(to: &none) { $0 }, k.count)
        }
        for part in parts {
            part.withUnsafeBytes { p in
                _ = crypto_auth_hmacsha256_update(&state, p.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(p.count))
            }
        }
        var out = [UInt8](repeating: 0, count: 32)
        _ = crypto_auth_hmacsha256_final(&state, &out)
        return out
    }

    /// ChaCha20-Poly1305 (IETF, 96-bit nonce) encryption of `plaintext`: ciphertext then 16-byte tag.
    static func aeadSeal(key: [UInt8], nonce: [UInt8], ad: some ContiguousBytes, plaintext: some ContiguousBytes) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        precondition(key.count == 32 && nonce.count == 12)
        return plaintext.withUnsafeBytes { pt in
            ad.withUnsafeBytes { a in
                [UInt8](unsafeUninitializedCapacity: pt.count + 16) { out, written in
                    var length: UInt64 = 0
                    guard let c = out.baseAddress else { return }  // never nil: at least the 16-byte tag
                    _ = crypto_aead_chacha20poly1305_ietf_encrypt(
                        c, &length, pt.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(pt.count),
                        a.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(a.count), nil, nonce, key)
                    written = Int(length)
                }
            }
        }
    }

    /// Checks the tag and decrypts; nil when the ciphertext, nonce, key or `ad` do not match.
    static func aeadOpen(key: [UInt8], nonce: [UInt8], ad: some ContiguousBytes, ciphertext: some ContiguousBytes) -> [UInt8]? {
        precondition(ready, "libsodium failed to initialise")
        precondition(key.count == 32 && nonce.count == 12)
        return ciphertext.withUnsafeBytes { ct -> [UInt8]? in
            guard ct.count >= 16, let c = ct.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return nil }
            return ad.withUnsafeBytes { a -> [UInt8]? in
                var ok = false
                let out = [UInt8](unsafeUninitializedCapacity: ct.count - 16) { out, written in
                    var length: UInt64 = 0
                    ok = crypto_aead_chacha20poly1305_ietf_decrypt(
                        out.baseAddress, &length, nil, c, UInt64(ct.count),
                        a.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(a.count), nonce, key) == 0
                    written = ok ? Int(length) : 0
                }
                return ok ? out : nil
            }
        }
    }

    static func memzero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) }
    }
}
