import Foundation
import Testing
import TalonProtocol

@Suite struct SHA256Tests {
    // FIPS 180-2 examples.
    @Test func knownDigests() {
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    // FIPS 180-2's third example, one million "a", fed in uneven pieces across block edges.
    @Test func millionAInUnevenPieces() {
        var h = SHA256Hasher()
        var left = 1_000_000
        var piece = 1
        while left > 0 {
            let n = min(piece, left)
            h.update([UInt8](repeating: UInt8(ascii: "a"), count: n))
            left -= n
            piece = piece % 130 + 7
        }
        #expect(h.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    // Lengths around the padding edges (55, 56, 63, 64 bytes) hash the same one byte at a time.
    @Test func paddingEdgesByteAtATime() {
        for length in [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            var h = SHA256Hasher()
            for b in bytes { h.update(byte: b) }
            #expect(h.finalize() == SHA256.hash(bytes), "length \(length)")
        }
        #expect(SHA256.hash([UInt8](repeating: 0x61, count: 56)).hex
            == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
    }

    @Test func incrementalEqualsOneShot() {
        var h = SHA256Hasher()
        h.update(Array("ab".utf8))
        h.update(byte: UInt8(ascii: "c"))
        #expect(h.finalize() == SHA256.hash(Array("abc".utf8)))
        #expect(SHA256.hash(parts: [Array("a".utf8), Array("bc".utf8)]) == SHA256.hash(Array("abc".utf8)))
    }

    @Test func digestHexRoundTripAndRejects() {
        let d = SHA256.hash(Array("abc".utf8))
        #expect(Digest(hex: d.hex) == d)
        #expect(Digest(hex: d.hex.uppercased()) == nil, "only lowercase is canonical")
        #expect(Digest(hex: String(d.hex.dropLast())) == nil)
        #expect(Digest(hex: d.hex + "00") == nil)
    }
}

@Suite struct Ed25519Tests {
    // RFC 8032 §7.1, TEST 1 and TEST 2.
    @Test func rfc8032Vectors() throws {
        let key1 = try #require(SigningKey(seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!))
        #expect(key1.publicKey.text == "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(key1.sign([UInt8]()).hex == "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")

        let key2 = try #require(SigningKey(seed: Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")!))
        #expect(key2.publicKey.text == "ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
        let sig = key2.sign([0x72])
        #expect(sig.hex == "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00")
        #expect(key2.publicKey.verify(sig, for: [0x72] as [UInt8]))
    }

    @Test func verifyRejectsTamperingAndOtherKeys() {
        let a = SigningKey.generate(), b = SigningKey.generate()
        let msg = Array("ticket 42".utf8)
        let sig = a.sign(msg)
        #expect(a.publicKey.verify(sig, for: msg))
        #expect(!b.publicKey.verify(sig, for: msg))
        #expect(!a.publicKey.verify(sig, for: Array("ticket 43".utf8)))
        var bytes = sig.bytes
        bytes[10] ^= 1
        #expect(!a.publicKey.verify(Signature(bytes: bytes)!, for: msg))
    }

    @Test func nonCanonicalSignatureIsRejected() {
        // S + L (the group order) verifies on lax implementations; libsodium refuses it.
        let key = SigningKey.generate()
        let msg = Array("m".utf8)
        var sig = key.sign(msg).bytes
        let order: [UInt8] = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]
        var carry = 0
        for i in 0..<32 {
            let s = Int(sig[32 + i]) + Int(order[i]) + carry
            sig[32 + i] = UInt8(s & 0xff)
            carry = s >> 8
        }
        #expect(!key.publicKey.verify(Signature(bytes: sig)!, for: msg))
    }

    @Test func publicKeyTextForm() throws {
        let key = SigningKey.generate().publicKey
        #expect(try PublicKey(text: key.text) == key)
        #expect(key.text.hasPrefix("ed25519:") && key.text.count == 72)
        for bad in ["", "ed25519:", "ed25519:zz", String(key.text.dropFirst(8)), key.text.uppercased(), key.text + "0",
                    "ed448:" + key.text.dropFirst(8)] {
            #expect(throws: TalonError(.invalidKeyText)) { try PublicKey(text: bad) }
        }
        let json = try JSONEncoder().encode([key])
        #expect(try JSONDecoder().decode([PublicKey].self, from: json) == [key])
    }
}

@Suite struct KeyFileTests {
    private func tempPath() -> String { NSTemporaryDirectory() + "talon-key-" + UUID().uuidString }

    @Test func writeThenLoad() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let key = SigningKey.generate()
        try key.write(to: path)
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attrs[.posixPermissions] as? Int) == 0o600)
        let loaded = try SigningKey.load(from: path)
        #expect(loaded.publicKey == key.publicKey)
        #expect(loaded.sign([1, 2, 3]) == key.sign([1, 2, 3]))
    }

    @Test func refusesToOverwrite() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SigningKey.generate().write(to: path)
        #expect(throws: TalonError(.keyFileExists)) { try SigningKey.generate().write(to: path) }
    }

    @Test func worldOrGroupReadableKeyIsRefused() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SigningKey.generate().write(to: path)
        for mode in [0o644, 0o640, 0o604, 0o660] {
            chmod(path, mode_t(mode))
            #expect(throws: TalonError(.keyFilePermissions)) { try SigningKey.load(from: path) }
        }
        chmod(path, 0o400)
        _ = try SigningKey.load(from: path)
    }

    @Test func malformedAndMissingFiles() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: TalonError(.keyFileIO)) { try SigningKey.load(from: path) }
        let key = SigningKey.generate()
        let other = SigningKey.generate()
        for text in ["", "garbage\n", "talon-secret-key-v1\npublic x\nseed y\n",
                     // a public line that does not belong to the seed
                     "talon-secret-key-v1\npublic \(other.publicKey.text)\nseed \(String(repeating: "ab", count: 32))\n"] {
            try? FileManager.default.removeItem(atPath: path)
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            #expect(throws: TalonError(.keyFileMalformed)) { try SigningKey.load(from: path) }
        }
        _ = key
    }
}

/// Keys and digests hold their 32 bytes inline: equality, hashing and order must still be
/// those of the bytes.
@Suite struct InlineBytesTests {
    /// 32 bytes that differ from `base` at `index` only (or equal it for a nil index).
    static func variant(of base: [UInt8], at index: Int?, to value: UInt8) -> [UInt8] {
        var b = base
        if let index { b[index] = value }
        return b
    }

    @Test func orderEqualityAndHashFollowTheBytes() throws {
        // Deterministic cases: the bytes are SHA-256 of the case number, so a failure replays.
        for i in 0..<2000 as Range<UInt32> {
            let base = SHA256.hash(withUnsafeBytes(of: i.bigEndian) { Array($0) }).bytes
            let pick = SHA256.hash(base).bytes
            // Mostly near-equal pairs, so every word and byte position decides some comparisons.
            let at: Int? = pick[0] & 1 == 0 ? Int(pick[1] % 32) : nil
            let other = Self.variant(of: base, at: at, to: pick[2])
            let a = try #require(PublicKey(bytes: base)), b = try #require(PublicKey(bytes: other))
            let da = try #require(Digest(bytes: base)), db = try #require(Digest(bytes: other))
            #expect((a < b) == base.lexicographicallyPrecedes(other))
            #expect((da < db) == base.lexicographicallyPrecedes(other))
            #expect((a == b) == (base == other) && (da == db) == (base == other))
            if base == other { #expect(a.hashValue == b.hashValue && da.hashValue == db.hashValue) }
            #expect(a.bytes == base && da.bytes == base)
            #expect(a.withUnsafeBytes { Array($0) } == base && db.withUnsafeBytes { Array($0) } == other)
        }
        #expect(PublicKey(bytes: [UInt8](repeating: 1, count: 31)) == nil && Digest(bytes: [UInt8](repeating: 1, count: 33)) == nil)
        #expect(Digest.zero.bytes == [UInt8](repeating: 0, count: 32))
        let keys = (0..<50).map { _ in SigningKey.generate().publicKey }
        #expect(Set(keys).count == 50 && keys.sorted().map(\.bytes) == keys.map(\.bytes).sorted { $0.lexicographicallyPrecedes($1) })
    }
}
