import Testing
import TalonProtocol
@testable import TalonLedger
import TalonStore

/// What apply may record as an envelope's result: `ok` or a code of `Code.results`, never
/// another code (docs/openapi.yaml's `ReasonCode` lists the same codes; TalonCLITests
/// holds the document to the registry).
@Suite struct LedgerResultCodesTests {
    /// One envelope for each rule that rejects, on a ledger with an event, tickets, a gate
    /// and a contract: every result is a result code, and together they are most of them.
    @Test func rejectionsAreResultCodes() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate(), gate = SigningKey.generate()
        try f.createEvent("E1", capacity: 3)
        try f.issue(ids: ["T1", "T2"], to: alice.publicKey)
        try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "Door", sections: ["B"])), by: f.issuer)
        let results = try f.apply([
            f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: bob),                            // not_holder
            f.sign(.transfer(Transfer(ticketID: "NOPE", to: bob.publicKey)), by: alice),                        // unknown_ticket
            f.sign(.issue(IssueTickets(eventID: "E9", tickets: [spec("T9", alice)])), by: f.issuer),                             // unknown_event
            f.sign(.issue(IssueTickets(eventID: "E1", tickets: [spec("T1", alice)])), by: f.issuer),            // ticket_exists
            f.sign(.issue(IssueTickets(eventID: "E1", tickets: [spec("T3", alice), spec("T4", alice)])), by: f.issuer),  // over_capacity
            f.sign(.issue(IssueTickets(eventID: "E1", tickets: [spec("T5", alice)])), by: bob),                 // not_authorized
            f.sign(.redeem(Redeem(ticketID: "T2", sequence: 0, scannedAt: f.clock)), by: gate),                                     // wrong_zone
            f.sign(.void(VoidTicket(ticketID: "T2", reason: "lost")), by: f.issuer),                           // ok
            f.sign(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), by: alice),                          // ticket_void
            f.sign(.bindContract(BindContract(eventID: "E1", contract: SHA256.hash([1]), params: "{}")), by: f.issuer),  // unknown_contract
        ])
        #expect(results == ["not_holder", "unknown_ticket", "unknown_event", "ticket_exists", "over_capacity", "not_authorized",
                            "wrong_zone", "ok", "ticket_void", "unknown_contract"])
        let again = f.sign(.void(VoidTicket(ticketID: "T1", reason: "twice")), by: f.issuer)
        #expect(try f.apply([again, again]) == ["ok", "nonce_reused"])
    }

    /// A stored record that does not decode is not a verdict on the envelope that met it:
    /// recording its decoding code (`truncated`) would give this node's block a result no
    /// block may hold. The block aborts as on any damaged store, and nothing is written.
    @Test func aStoredRecordThatDoesNotDecodeAbortsTheBlock() throws {
        let f = try LedgerFixture()
        try f.createEvent("E1")
        let height = try f.ledger.head().height
        try f.ledger.env.write { txn in try txn.put(f.ledger.tables.events, Array("E1".utf8), [1]) }
        let issue = f.sign(.issue(IssueTickets(eventID: "E1", tickets: [spec("T1", f.issuer)])), by: f.issuer)
        try issue.admit(chainID: f.ledger.chainID)
        #expect(throws: TalonError(.storeCorrupt)) { try f.ledger.apply([issue], timestamp: f.clock + 1000) }
        #expect(try f.ledger.head().height == height, "no block")
    }

    private func spec(_ id: String, _ holder: SigningKey) -> TicketSpec {
        TicketSpec(ticketID: id, section: "A", seat: id, faceValue: 100, holder: holder.publicKey)
    }
}
