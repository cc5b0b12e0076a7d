// The one file that touches libsodium. Everything else in TalonCrypto calls these
// wrappers, which take and return Swift values and never let a pointer escape.
import CSodium

enum Sodium {
    /// `sodium_init` is idempotent and thread-safe; a Swift lazy global runs it once.
    static let ready: Bool = sodium_init() >= 0

    static func sha256(_ bytes: UnsafeRawBufferPointer) -> Digest {
        precondition(ready, "libsodium failed to initialise")
        return Digest(Bytes32 { out in
            out.withMemoryRebound(to: UInt8.self) { o in
                guard let o = o.baseAddress else { return }  // never nil: the buffer is 32 bytes
                _ = crypto_hash_sha256(o, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(bytes.count))
            }
        })
    }

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

    static func memzero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { sodium_memzero($0.baseAddress, $0.count) }
    }
}

/// An incremental SHA-256 computation; feed bytes with `update`, then `finalize` once.
public struct SHA256Hasher: ~Copyable {
    private var state = crypto_hash_sha256_state()

    /// Starts an empty hash.
    public init() {
        precondition(Sodium.ready, "libsodium failed to initialise")
        _ = crypto_hash_sha256_init(&state)
    }

    /// Appends bytes to the hashed message.
    public mutating func update(_ bytes: some ContiguousBytes) {
        bytes.withUnsafeBytes { raw in
            _ = crypto_hash_sha256_update(&state, raw.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(raw.count))
        }
    }

    /// Appends one byte to the hashed message.
    public mutating func update(byte: UInt8) {
        var b = byte
        _ = crypto_hash_sha256_update(&state, &b, 1)
    }

    /// Returns the digest of everything fed so far and consumes the hasher.
    public consuming func finalize() -> Digest {
        Digest(Bytes32 { out in
            out.withMemoryRebound(to: UInt8.self) { o in
                guard let o = o.baseAddress else { return }  // never nil: the buffer is 32 bytes
                _ = crypto_hash_sha256_final(&state, o)
            }
        })
    }
}
