import Testing
import TalonProtocol
@testable import TalonLedger

/// A submission admitted again after a ReadIndex barrier names the envelopes whose
/// signatures already verified: those are not verified twice, and nothing else is spared.
@Suite struct LedgerAdmitVerifiedTests {
    @Test func onlyEnvelopesAdmittedBeforeSkipTheSignatureCheck() throws {
        let (f, alice, bob, _) = try LedgerStandingTests.fixture()
        let transfer = f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
        let forged = Envelope(chainID: transfer.chainID, signer: transfer.signer, nonce: transfer.nonce,
                              operation: transfer.operation, signature: try #require(Signature(bytes: [UInt8](repeating: 0, count: 64))))
        let first = try f.ledger.admit([transfer], for: .propose)
        guard case .admitted(let admitted) = first.first else {
            Issue.record("the signed transfer was not admitted: \(first)")
            return
        }
        // The same operation with another signature is another envelope: verified, refused.
        #expect(try f.ledger.admit([forged], for: .propose, verified: [admitted]) == [.refused(TalonError(.badSignature))])
        #expect(try f.ledger.admit([transfer, forged], for: .propose, verified: [admitted])
                == [.admitted(admitted), .refused(TalonError(.badSignature))])

        // Named as verified, an envelope's signature is not checked again (only TalonLedger
        // can make an AdmittedEnvelope; this test makes one of the forged copy to show it)...
        let vouched = AdmittedEnvelope(forged)
        #expect(try f.ledger.admit([forged], for: .propose, verified: [vouched]) == [.admitted(vouched)])
        // ...but its standing (a key holding no ticket of the event) and the stateless checks still are.
        let stranger = SigningKey.generate().publicKey
        let byStranger = Envelope(chainID: transfer.chainID, signer: stranger, nonce: 7,
                                  operation: .transfer(Transfer(ticketID: "T1", to: alice.publicKey)), signature: forged.signature)
        #expect(try f.ledger.admit([byStranger], for: .propose, verified: [AdmittedEnvelope(byStranger)]) == [.refused(TalonError(.notAuthorized))])
        let otherChain = Envelope(chainID: "another-chain", signer: alice.publicKey, nonce: 8,
                                  operation: transfer.operation, signature: forged.signature)
        #expect(try f.ledger.admit([otherChain], for: .propose, verified: [AdmittedEnvelope(otherChain)]) == [.refused(TalonError(.wrongChain))])
    }
}
