import Testing
import TalonProtocol
import TalonLedger

/// What admission refuses one envelope of a submission with is a code of `Code.refusals`
/// (docs/openapi.yaml's `RefusalCode`), whichever check fails.
@Suite struct LedgerRefusalCodesTests {
    @Test func everyAdmissionCheckRefusesWithARefusalCode() throws {
        let f = try LedgerFixture()
        let stranger = SigningKey.generate()
        try f.createEvent("E1")
        var forged = f.sign(.void(VoidTicket(ticketID: "T1", reason: "r")), by: f.issuer)
        forged = Envelope(chainID: forged.chainID, signer: forged.signer, nonce: forged.nonce + 1, operation: forged.operation,
                          signature: forged.signature)
        let seat = String(repeating: "s", count: Limits.textBytes), id = String(repeating: "i", count: Limits.idBytes - 5)
        let huge = IssueTickets(eventID: "E1", tickets: (0..<4000).map {
            TicketSpec(ticketID: "\(id)\($0)", section: seat, seat: seat, faceValue: 1, holder: stranger.publicKey)
        })
        let envelopes = [
            Envelope(chainID: "elsewhere", nonce: 1, operation: .void(VoidTicket(ticketID: "T1", reason: "r")), signedBy: f.issuer),
            f.sign(.void(VoidTicket(ticketID: "", reason: "r")), by: f.issuer),
            forged,
            f.sign(.issue(IssueTickets(eventID: "E1", tickets: [TicketSpec(ticketID: "S1", section: "A", seat: "1", faceValue: 1, holder: stranger.publicKey)])), by: stranger),
            f.sign(.issue(huge), by: f.issuer),
        ]
        let codes = try f.ledger.admit(envelopes, for: .propose).map { admission -> Code? in
            if case .refused(let e) = admission { e.code } else { nil }
        }
        #expect(codes == [.wrongChain, .invalidField, .badSignature, .notAuthorized, .overlongLength])
        #expect(Set(codes.compactMap { $0 }) == Set(Code.refusals), "each refusal code, once")
    }
}
