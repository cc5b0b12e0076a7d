import PropertyBased
import TalonProtocol
import TalonLedger
import Testing

/// The envelope signature is Ed25519 over "TALON-ENVELOPE-V1" || 0x00 || the envelope bytes
/// without the last 64 (docs/format.md), checked here with `PublicKey.verify` directly.
@Suite struct EncodingSigningDomainTests {
    /// Written out from docs/format.md: 17 ASCII bytes and a zero byte.
    static let domain: [UInt8] = [0x54, 0x41, 0x4C, 0x4F, 0x4E, 0x2D, 0x45, 0x4E, 0x56, 0x45, 0x4C, 0x4F, 0x50, 0x45, 0x2D, 0x56, 0x31, 0x00]

    @Test func domainPrefix() {
        #expect(Self.domain == Array("TALON-ENVELOPE-V1".utf8) + [0])
        #expect(Envelope.signingDomain == Self.domain)
        #expect(Envelope.signingDomain.count == 18)
    }

    @Test func signatureCoversDomainAndBody() async {
        await propertyCheck(count: 150, input: EnvelopeGen.anyEnvelopes()) { s in
            let e = s.envelope
            let body = Array(e.bytes.prefix(e.bytes.count - 64))
            let message = Self.domain + body
            #expect(e.signedMessage == message)
            #expect(e.signature.bytes == Array(e.bytes.suffix(64)))
            #expect(e.signer.verify(e.signature, for: message))
            // Ed25519 is deterministic: the key signs the same message to the same signature.
            #expect(s.key.sign(message) == e.signature)
            // Not a signature over the body alone, nor over the whole envelope.
            #expect(!e.signer.verify(e.signature, for: body))
            #expect(!e.signer.verify(e.signature, for: Self.domain + e.bytes))
        }
    }

    /// A genuine signature by the signer over the body WITHOUT the domain prefix (or under
    /// another domain) does not verify as an envelope signature.
    @Test func signaturesOutsideTheDomainAreRefused() async {
        await propertyCheck(count: 60, input: EnvelopeGen.envelopes(valid: true)) { s in
            let e = s.envelope
            let body = Array(e.bytes.dropLast(64))
            let wrongMessages: [(String, [UInt8])] = [
                ("no domain", body),
                ("domain without its zero byte", Array("TALON-ENVELOPE-V1".utf8) + body),
                ("version 2 domain", Array("TALON-ENVELOPE-V2".utf8) + [0] + body),
                ("block domain", Array("TALON-BLOCK-V1".utf8) + [0] + body),
                ("lower-case domain", Array("talon-envelope-v1".utf8) + [0] + body),
                ("two zero bytes", Self.domain + [0] + body),
                ("domain as a suffix", body + Self.domain),
            ]
            for (label, message) in wrongMessages {
                let signature = s.key.sign(message)
                #expect(e.signer.verify(signature, for: message), "the signature itself is genuine")
                let forged = Envelope(chainID: e.chainID, signer: e.signer, nonce: e.nonce, operation: e.operation, signature: signature)
                #expect(forged.bytes.dropLast(64).elementsEqual(body))
                #expect(!forged.hasValidSignature, "\(label)")
                #expect(throws: TalonError(.badSignature), "\(label)") { try forged.admit(chainID: e.chainID) }
                let decoded = try Envelope(bytes: forged.bytes)
                #expect(throws: TalonError(.badSignature), "\(label)") { try decoded.admit(chainID: e.chainID) }
            }
        }
    }
}
