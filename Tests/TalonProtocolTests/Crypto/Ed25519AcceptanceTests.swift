import Testing
import TalonProtocol

/// The Ed25519 acceptance rules of docs/format.md ("Signatures"), one concrete vector each.
/// The expected outcomes follow from those rules; where a vector's signature satisfies the
/// verification equation, only the rule named can be what refuses it.
///
/// Vectors 0–11 are the edge cases of "Taming the many EdDSAs" (Chalkias, Garillot,
/// Nikolaenko, SSR 2020), github.com/novifinancial/ed25519-speccheck `cases.json`, whose
/// results table gives LibSodium the same column (only case 3 accepted).
@Suite struct Ed25519AcceptanceTests {
    struct Case: CustomStringConvertible {
        let index: Int
        let message: String, key: String, signature: String
        var description: String { "speccheck case \(index)" }

        func verifies() throws -> Bool {
            let keyBytes = try #require(Hex.decode(key)), messageBytes = try #require(Hex.decode(message))
            let publicKey = try #require(PublicKey(bytes: keyBytes))
            let signature = try #require(Signature(hex: signature))
            return publicKey.verify(signature, for: messageBytes)
        }
    }

    static let speccheck: [Case] = [
        Case(index: 0, message: "8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6",
             key: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
             signature: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000"),
        Case(index: 1, message: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
             key: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
             signature: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
        Case(index: 2, message: "aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab",
             key: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
             signature: "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e"),
        Case(index: 3, message: "9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79",
             key: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
             signature: "9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009"),
        Case(index: 4, message: "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
             key: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
             signature: "160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09"),
        Case(index: 5, message: "e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c",
             key: "cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d",
             signature: "21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405"),
        Case(index: 6, message: "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
             key: "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
             signature: "e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514"),
        Case(index: 7, message: "85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40",
             key: "442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623",
             signature: "8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22"),
        Case(index: 8, message: "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
             key: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
             signature: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f"),
        Case(index: 9, message: "9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41",
             key: "f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43",
             signature: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908"),
        Case(index: 10, message: "e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b",
             key: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
             signature: "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
        Case(index: 11, message: "39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f",
             key: "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
             signature: "a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04"),
    ]

    /// The Ed25519 group order L = 2^252 + 27742317777372353535851937790883648493, little-endian.
    static let order: [UInt8] = [0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                                 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]

    /// The base point B, the canonical encoding of y = 4/5.
    static let basePoint = "58" + String(repeating: "66", count: 31)

    // Rule 1: S must be below L.

    @Test func sOfLOrMoreIsRefused() throws {
        // RFC 8032 §7.1 TEST 1 verifies; the same signature with S + L satisfies the same
        // equation ([S + L]B = [S]B) and is refused.
        let key = try #require(PublicKey(bytes: Hex.decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")!))
        let signature = Hex.decode("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b")!
        #expect(key.verify(try #require(Signature(bytes: signature)), for: [UInt8]()))
        var plusL = signature
        var carry = 0
        for i in 0..<32 {
            let s = Int(plusL[32 + i]) + Int(Self.order[i]) + carry
            plusL[32 + i] = UInt8(s & 0xff)
            carry = s >> 8
        }
        #expect(carry == 0)
        #expect(!key.verify(try #require(Signature(bytes: plusL)), for: [UInt8]()))
        // Cases 6 and 7: S > L and S far above L, both satisfying the equation.
        for c in Self.speccheck where [6, 7].contains(c.index) { #expect(try !c.verifies(), "\(c)") }
    }

    // Rules 2 and 4: R and A must not be of small order.

    @Test func aSmallOrderPublicKeyIsRefused() throws {
        // The identity as public key: [S]B − [k]·identity = [S]B, so R = B with S = 1 satisfies
        // the equation for every message. Refused, with the sign bit clear or set.
        let s1 = "01" + String(repeating: "00", count: 31)
        for identity in ["01" + String(repeating: "00", count: 31), "01" + String(repeating: "00", count: 30) + "80"] {
            let key = try #require(PublicKey(bytes: Hex.decode(identity)!))
            let signature = try #require(Signature(hex: Self.basePoint + s1))
            #expect(!key.verify(signature, for: Array("any message".utf8)), "\(identity)")
        }
        // Cases 0 (S = 0, small A and small R) and 1 (small A, mixed R).
        for c in Self.speccheck where [0, 1].contains(c.index) { #expect(try !c.verifies(), "\(c)") }
        // Cases 10 and 11: A = p − 1 with the sign bit set, the point (0, −1) of order 2
        // written with a sign x cannot have; the small-order test ignores the sign bit.
        for c in Self.speccheck where [10, 11].contains(c.index) { #expect(try !c.verifies(), "\(c)") }
    }

    @Test func aSmallOrderRIsRefused() throws {
        // Case 2: R of order 8 with a key of mixed order, satisfying the equation.
        // Cases 8 and 9: R = p − 1 with the sign bit set (order 2, non-canonical), with S
        // chosen so that the equation holds with R's hash input reduced (8) or not (9).
        for c in Self.speccheck where [2, 8, 9].contains(c.index) { #expect(try !c.verifies(), "\(c)") }
    }

    // Rule 3: A must be a canonical encoding.

    @Test func aPublicKeyWithYOfPOrMoreIsRefused() throws {
        // y = p + 3 = 2^255 − 16 encodes the curve point with y = 3 ((9 − 1)/(9d + 1) is a
        // square mod p) non-canonically. No one can sign for it (its discrete log is unknown),
        // so this shows the refusal the rule demands, not that only this rule refuses it.
        let nonCanonical = try #require(PublicKey(bytes: Hex.decode("f0" + String(repeating: "ff", count: 30) + "7f")!))
        let signature = SigningKey.generate().sign(Array("m".utf8))
        #expect(!nonCanonical.verify(signature, for: Array("m".utf8)))
        #expect(!nonCanonical.isValidPoint)
    }

    // Rule 5: the cofactorless equation, R compared byte for byte; no subgroup check on A.

    @Test func theEquationIsCofactorlessAndMixedOrderKeysVerify() throws {
        // Case 3: A and R of mixed order (a component of order 8), satisfying [S]B = R + [k]A:
        // accepted, although Talon never lets such a key receive a role or a ticket.
        let mixed = try #require(Self.speccheck.first { $0.index == 3 })
        #expect(try mixed.verifies())
        let mixedKey = try #require(PublicKey(bytes: Hex.decode(mixed.key)!))
        #expect(!mixedKey.isValidPoint)
        // Cases 4 and 5 satisfy only the cofactored equation [8][S]B = [8]R + [8][k]A: refused.
        for c in Self.speccheck where [4, 5].contains(c.index) { #expect(try !c.verifies(), "\(c)") }
    }
}

/// Talon's own rule for keys that receive a role or a ticket (docs/format.md, "Signatures"):
/// a canonical encoding of a point of the prime-order subgroup that is not of small order.
@Suite struct PublicKeyValidityTests {
    @Test func keysOutsideThePrimeOrderSubgroupAreNotValidPoints() throws {
        #expect(SigningKey.generate().publicKey.isValidPoint)
        // A point with a component of order 8 (speccheck case 3's key, which verifies a signature).
        let order8 = try #require(PublicKey(bytes: Hex.decode("cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d")!))
        #expect(!order8.isValidPoint)
        // A point with a component of order 2, libsodium's own regression vector: accepted by
        // crypto_core_ed25519_is_valid_point before the fix for CVE-2025-69277 (upstream
        // ad3004ec, Debian 1.0.18-1+deb12u1). Failing here means the installed libsodium lacks it.
        let order2 = try #require(PublicKey(bytes: [0x95] + [UInt8](repeating: 0x99, count: 31)))
        #expect(!order2.isValidPoint, "libsodium without the fix for CVE-2025-69277: upgrade libsodium23")
        // Small order, and not canonical (y = p + 3).
        #expect(!PublicKey(bytes: Hex.decode("01" + String(repeating: "00", count: 31))!)!.isValidPoint)
        #expect(!PublicKey(bytes: Hex.decode("f0" + String(repeating: "ff", count: 30) + "7f")!)!.isValidPoint)
    }
}
