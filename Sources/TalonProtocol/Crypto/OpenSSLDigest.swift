// The one file that touches libcrypto: OpenSSL's SHA-256, which runs on the CPU's SHA
// extensions where it has them and is bit-for-bit the same function as any other SHA-256.
import CCrypto

/// SHA-256 over the hashes of the ledger, the Merkle trees and the Noise handshake.
public enum SHA256 {
    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some ContiguousBytes) -> Digest {
        var h = SHA256Hasher()
        h.update(bytes)
        return h.finalize()
    }

    /// The SHA-256 digest of the concatenation of `parts`.
    public static func hash(parts: [any ContiguousBytes]) -> Digest {
        var h = SHA256Hasher()
        for p in parts { h.update(p) }
        return h.finalize()
    }
}

/// An incremental SHA-256 computation; feed bytes with `update`, then `finalize` once.
public struct SHA256Hasher: ~Copyable {
    private var context = SHA256_CTX()

    /// Starts an empty hash.
    public init() {
        _ = SHA256_Init(&context)  // always 1: it only sets the initial state
    }

    /// Appends bytes to the hashed message.
    public mutating func update(_ bytes: some ContiguousBytes) {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, raw.count > 0 else { return }
            _ = SHA256_Update(&context, base, raw.count)
        }
    }

    /// Appends one byte to the hashed message.
    public mutating func update(byte: UInt8) {
        var b = byte
        _ = SHA256_Update(&context, &b, 1)
    }

    /// Returns the digest of everything fed so far and consumes the hasher.
    public consuming func finalize() -> Digest {
        Digest(Bytes32 { out in
            out.withMemoryRebound(to: UInt8.self) { o in
                guard let o = o.baseAddress else { return }  // never nil: the buffer is 32 bytes
                _ = SHA256_Final(o, &context)
            }
        })
    }
}
