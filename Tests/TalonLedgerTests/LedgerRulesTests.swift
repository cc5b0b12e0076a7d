import Testing
import TalonProtocol
import TalonLedger

@Suite struct LedgerRulesTests {
    @Test func registerIssuerNeedsAnAdmin() throws {
        let f = try LedgerFixture()
        let newIssuer = SigningKey.generate()
        let op = LedgerOperation.registerIssuer(RegisterIssuer(issuer: newIssuer.publicKey, name: "Promoter"))
        #expect(try f.run(op, by: f.issuer) == "not_authorized")
        #expect(try f.ledger.issuer(newIssuer.publicKey) == nil, "a rejected envelope changes no state")
        #expect(try f.run(op, by: f.admin) == "ok")
        #expect(try f.ledger.issuer(newIssuer.publicKey)?.name == "Promoter")
        #expect(try f.run(op, by: f.admin) == "already_exists")
        // The new issuer can now create events.
        #expect(try f.createEvent("NEW", by: newIssuer) == "ok")
    }

    @Test func createEventNeedsARegisteredIssuerAndAFreshId() throws {
        let f = try LedgerFixture()
        #expect(try f.createEvent(by: SigningKey.generate()) == "not_authorized")
        #expect(try f.createEvent() == "ok")
        #expect(try f.createEvent() == "already_exists")
        let e = try #require(try f.ledger.event("E1"))
        #expect(e.issuer == f.issuer.publicKey && e.capacity == 100 && e.issued == 0 && e.currency == "EUR")
    }

    @Test func gatesAreRegisteredByTheEventsIssuer() throws {
        let f = try LedgerFixture()
        let other = SigningKey.generate()
        try f.run(.registerIssuer(RegisterIssuer(issuer: other.publicKey, name: "Other")), by: f.admin)
        #expect(try f.createEvent() == "ok")
        let gate = SigningKey.generate().publicKey
        let op = LedgerOperation.registerGate(RegisterGate(eventID: "E1", gate: gate, name: "North", sections: ["A"]))
        #expect(try f.run(op, by: other) == "not_authorized")
        #expect(try f.run(.registerGate(RegisterGate(eventID: "NOPE", gate: gate, name: "N", sections: [])), by: f.issuer) == "unknown_event")
        #expect(try f.run(op, by: f.issuer) == "ok")
        #expect(try f.run(op, by: f.issuer) == "already_exists")
        #expect(try f.ledger.gates(event: "E1").map(\.key) == [gate])
    }

    @Test func issueIsAllOrNothing() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate().publicKey
        #expect(try f.issue(ids: ["T1"], to: alice) == "unknown_event")
        #expect(try f.createEvent(capacity: 4) == "ok")
        #expect(try f.issue(ids: ["T1", "T2"], to: alice) == "ok")
        // T3 is new but T2 exists: nothing of the batch is issued.
        #expect(try f.issue(ids: ["T3", "T2"], to: alice) == "ticket_exists")
        #expect(try f.ledger.ticket("T3") == nil)
        #expect(try f.ledger.event("E1")?.issued == 2)
        #expect(try f.issue(ids: ["T3", "T4", "T5"], to: alice) == "over_capacity")
        #expect(try f.ledger.ticket("T3") == nil)
        #expect(try f.issue(ids: ["T3"], to: alice, by: SigningKey.generate()) == "not_authorized")
        #expect(try f.issue(ids: ["T3"], to: alice) == "ok")
        #expect(try f.ledger.event("E1")?.issued == 3)
        let t = try #require(try f.ledger.ticket("T3"))
        #expect(t.holder == alice && t.sequence == 0 && t.status == .active && t.faceValue == 4500 && t.eventID == "E1")
    }

    @Test func onlyTheHolderTransfers() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1"], to: alice.publicKey) == "ok")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: bob) == "not_holder")
        #expect(try f.run(.transfer(Transfer(ticketID: "NOPE", to: carol.publicKey)), by: alice) == "unknown_ticket")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: alice.publicKey)), by: alice) == "invalid_field")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "ok")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: alice) == "not_holder", "alice no longer holds it")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: bob) == "ok")
        let t = try #require(try f.ledger.ticket("T1"))
        #expect(t.holder == carol.publicKey && t.sequence == 2)
    }

    @Test func redeemRules() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        let gateA = SigningKey.generate(), gateB = SigningKey.generate(), stranger = SigningKey.generate()
        try f.createEvent("E1")
        try f.createEvent("E2")
        #expect(try f.issue(ids: ["T1", "T2"], to: alice.publicKey, section: "A") == "ok")
        try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gateA.publicKey, name: "A only", sections: ["A"])), by: f.issuer)
        try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gateB.publicKey, name: "B only", sections: ["B"])), by: f.issuer)
        let otherEventGate = SigningKey.generate()
        try f.run(.registerGate(RegisterGate(eventID: "E2", gate: otherEventGate.publicKey, name: "E2", sections: [])), by: f.issuer)
        func redeem(_ ticket: String, _ seq: UInt64, by gate: SigningKey) throws -> String {
            try f.run(.redeem(Redeem(ticketID: ticket, sequence: seq, scannedAt: 1_900_000_000_000)), by: gate)
        }
        #expect(try redeem("T1", 0, by: stranger) == "not_authorized")
        #expect(try redeem("T1", 0, by: otherEventGate) == "not_authorized", "a gate of another event")
        #expect(try redeem("T1", 0, by: gateB) == "wrong_zone")
        #expect(try redeem("NOPE", 0, by: gateA) == "unknown_ticket")
        try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
        #expect(try redeem("T1", 0, by: gateA) == "superseded", "the pass predates the transfer")
        #expect(try redeem("T1", 1, by: gateA) == "ok")
        #expect(try redeem("T1", 1, by: gateA) == "already_redeemed")
        let t = try #require(try f.ledger.ticket("T1"))
        #expect(t.status == .redeemed && t.redeemedBy == gateA.publicKey && t.redeemedAt == 1_900_000_000_000)
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: alice.publicKey)), by: bob) == "already_redeemed")
    }

    @Test func voidStopsEverything() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), gate = SigningKey.generate()
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1"], to: alice.publicKey) == "ok")
        try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "G", sections: [])), by: f.issuer)
        #expect(try f.run(.void(VoidTicket(ticketID: "T1", reason: "fraud")), by: alice) == "not_authorized")
        #expect(try f.run(.void(VoidTicket(ticketID: "T1", reason: "fraud")), by: f.issuer) == "ok")
        #expect(try f.run(.void(VoidTicket(ticketID: "T1", reason: "again")), by: f.issuer) == "ticket_void")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: gate.publicKey)), by: alice) == "ticket_void")
        #expect(try f.run(.redeem(Redeem(ticketID: "T1", sequence: 0, scannedAt: 0)), by: gate) == "ticket_void")
        #expect(try f.ledger.ticket("T1")?.status == .void)
    }

    @Test func noncesAreSpentOnceEvenByRejectedEnvelopes() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1", "T2"], to: alice.publicKey) == "ok")
        let transfer = f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice, nonce: 7)
        // The same envelope twice in one block, then again in a later block.
        #expect(try f.apply([transfer, transfer]) == ["ok", "nonce_reused"])
        #expect(try f.apply([transfer]) == ["nonce_reused"])
        // Another operation with a spent nonce.
        #expect(try f.apply([f.sign(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), by: alice, nonce: 7)]) == ["nonce_reused"])
        // A rejected envelope spends its nonce: it cannot be replayed once it would pass.
        let early = f.sign(.transfer(Transfer(ticketID: "T1", to: alice.publicKey)), by: bob, nonce: 100)
        #expect(try f.apply([f.sign(.transfer(Transfer(ticketID: "T1", to: SigningKey.generate().publicKey)), by: alice, nonce: 100)]) == ["not_holder"])
        #expect(try f.ledger.nonceUsed(alice.publicKey, 100))
        #expect(try f.apply([early]) == ["ok"], "nonces are per signer")
        #expect(try f.ledger.ticket("T1")?.sequence == 2)
        // The envelope index keeps the first appearance.
        let first = try #require(try f.ledger.record(hash: transfer.hash))
        #expect(first.receipt.result == "ok")
    }

    @Test func wrongChainInABatchIsRecordedNotApplied() throws {
        let f = try LedgerFixture()
        let foreign = Envelope(chainID: "other-chain", nonce: 1, operation: .registerIssuer(RegisterIssuer(issuer: f.issuer.publicKey, name: "x")), signedBy: f.admin)
        #expect(throws: TalonError(.wrongChain)) { try f.ledger.admit(foreign) }
        // A batch that skipped admission still cannot apply it.
        #expect(try f.ledger.apply([foreign], timestamp: 5).receipts.map(\.result) == ["wrong_chain"])
        #expect(try f.ledger.nonceUsed(f.admin.publicKey, 1) == false)
    }
}
