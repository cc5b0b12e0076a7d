import Testing
import TalonProtocol

/// The Noise building blocks against published data: RFC 4231 for HMAC-SHA-256, RFC 8439 for
/// ChaCha20-Poly1305, RFC 7748 for X25519, and the cacophony test vector of
/// Noise_NN_25519_ChaChaPoly_SHA256 (the one shipped with noise-c and snow), which checks
/// MixHash, MixKey, HKDF, EncryptAndHash, Split and transport nonces byte for byte.
@Suite struct NoiseTests {
    static func hex(_ text: String) -> [UInt8] { Hex.decode(text) ?? [] }

    @Test func hmacSHA256MatchesRFC4231() {
        // Test case 2.
        let mac = hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(Hex.encode(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block size.
        let long = hmacSHA256(key: [UInt8](repeating: 0xaa, count: 131),
                              Array("Test Using Larger Than Block-Size Key - ".utf8), Array("Hash Key First".utf8))
        #expect(Hex.encode(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func chaChaPolyMatchesRFC8439() throws {
        // Section 2.8.2.
        let key = try #require(ChaChaPolyKey(Self.hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")))
        let nonce = Self.hex("070000004041424344454647")
        let ad = Self.hex("50515253c0c1c2c3c4c5c6c7")
        let plaintext = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let sealed = key.seal(nonce: nonce, ad: ad, plaintext)
        #expect(Hex.encode(sealed.suffix(16)) == "1ae10b594f09e26a7e902ecbd0600691")
        #expect(Hex.encode(sealed.prefix(16)) == "d31a8d34648e60db7b86afbc53ef7ec2")
        #expect(key.open(nonce: nonce, ad: ad, sealed) == plaintext)
        var flipped = sealed
        flipped[5] ^= 1
        #expect(key.open(nonce: nonce, ad: ad, flipped) == nil)
        #expect(key.open(nonce: nonce, ad: [UInt8](), sealed) == nil)
        #expect(key.open(nonce: Self.hex("080000004041424344454647"), ad: ad, sealed) == nil)
        #expect(key.open(nonce: nonce, ad: ad, Array(sealed.prefix(15))) == nil)
    }

    @Test func x25519MatchesRFC7748AndRefusesLowOrderPoints() throws {
        // Section 6.1.
        let alice = try #require(X25519KeyPair(privateKey: Self.hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")))
        let bob = try #require(X25519KeyPair(privateKey: Self.hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")))
        #expect(Hex.encode(alice.publicKey) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(alice.sharedSecret(with: bob.publicKey).map(Hex.encode) == shared)
        #expect(bob.sharedSecret(with: alice.publicKey).map(Hex.encode) == shared)
        // The zero point and the point of order 8 give an all-zero secret: refused.
        #expect(alice.sharedSecret(with: [UInt8](repeating: 0, count: 32)) == nil)
        #expect(alice.sharedSecret(with: Self.hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")) == nil)
        #expect(alice.sharedSecret(with: [UInt8](repeating: 9, count: 31)) == nil)
    }

    @Test func nnHandshakeMatchesTheCacophonyVector() throws {
        let prologue = Self.hex("4a6f686e2047616c74")
        let initiatorE = try #require(X25519KeyPair(privateKey: Self.hex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a")))
        let responderE = try #require(X25519KeyPair(privateKey: Self.hex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b")))
        let payloads = ["4c756477696720766f6e204d69736573", "4d757272617920526f746862617264", "462e20412e20486179656b",
                        "4361726c204d656e676572", "4a65616e2d426170746973746520536179", "457567656e2042f6686d20766f6e2042617765726b"].map(Self.hex)
        let expected = [
            "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573",
            "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f144808843a0ff96bdf86b579ef7dbf94e812a7470b903c20a85a87e3a1fe863264ae547",
            "eb1a3e3d80c1792b1bb9cb0e1382f8d8322bfb1ca7c4c8517bb686",
            "c781b198d2a974eb1da2c7d518c000cf6396de87ca540963c03713",
            "c77048eb6919fdfe8fe45842bfc5b8d1ff50d1e20c717453ccdfe6176d805b996d",
            "61834d7069dcfb7a1adf8d5ac910f83fa04c73a67789895c6f5f995c5db2ce88e49b124178",
        ]
        var i = Noise.SymmetricState(protocolName: "Noise_NN_25519_ChaChaPoly_SHA256")
        var r = Noise.SymmetricState(protocolName: "Noise_NN_25519_ChaChaPoly_SHA256")
        i.mixHash(prologue)
        r.mixHash(prologue)

        // -> e
        i.mixHash(initiatorE.publicKey)
        let m1 = initiatorE.publicKey + (try i.encryptAndHash(payloads[0]))
        #expect(Hex.encode(m1) == expected[0])
        r.mixHash(Array(m1.prefix(32)))
        #expect(try r.decryptAndHash(Array(m1.dropFirst(32))) == payloads[0])

        // <- e, ee
        r.mixHash(responderE.publicKey)
        r.mixKey(try #require(responderE.sharedSecret(with: initiatorE.publicKey)))
        let m2 = responderE.publicKey + (try r.encryptAndHash(payloads[1]))
        #expect(Hex.encode(m2) == expected[1])
        i.mixHash(Array(m2.prefix(32)))
        i.mixKey(try #require(initiatorE.sharedSecret(with: Array(m2.prefix(32)))))
        #expect(try i.decryptAndHash(Array(m2.dropFirst(32))) == payloads[1])
        #expect(i.handshakeHash == r.handshakeHash)

        // Transport: initiator to responder on the first cipher, back on the second.
        var (iSend, iReceive) = i.split()
        var (rReceive, rSend) = r.split()
        for n in 2..<6 {
            let fromInitiator = n % 2 == 0
            let sealed = fromInitiator ? try iSend.encrypt(ad: [UInt8](), payloads[n]) : try rSend.encrypt(ad: [UInt8](), payloads[n])
            #expect(Hex.encode(sealed) == expected[n], "message \(n + 1)")
            let opened = fromInitiator ? try rReceive.decrypt(ad: [UInt8](), sealed) : try iReceive.decrypt(ad: [UInt8](), sealed)
            #expect(opened == payloads[n])
        }
    }

    /// A failed decryption leaves the nonce where it was, so the genuine next message still opens.
    @Test func aFailedDecryptionDoesNotAdvanceTheNonce() throws {
        var s = Noise.SymmetricState(protocolName: "Noise_NN_25519_ChaChaPoly_SHA256")
        s.mixKey([UInt8](repeating: 3, count: 32))
        var send = s.split().initiatorToResponder, receive = s.split().initiatorToResponder
        let first = try send.encrypt(ad: [UInt8](), [1, 2, 3])
        var forged = first
        forged[0] ^= 0x80
        #expect(throws: TalonError(.decryptionFailed)) { try receive.decrypt(ad: [UInt8](), forged) }
        #expect(receive.nonce == 0)
        #expect(try receive.decrypt(ad: [UInt8](), first) == [1, 2, 3])
        #expect(throws: TalonError(.decryptionFailed)) { try receive.decrypt(ad: [UInt8](), first) }
    }
}
