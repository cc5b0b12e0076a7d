import Testing
import TalonProtocol
import TalonLedger

/// Admission refuses what apply would certainly reject as `not_authorized` for want of
/// standing, so a key with no role and no ticket cannot make every node store its envelopes.
@Suite struct LedgerStandingTests {
    /// A fixture with event E1 of the genesis issuer, tickets T1 (alice) and T2 (bob), and a gate.
    static func fixture() throws -> (LedgerFixture, alice: SigningKey, bob: SigningKey, gate: SigningKey) {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate(), gate = SigningKey.generate()
        try f.createEvent()
        try f.issue(ids: ["T1"], to: alice.publicKey)
        try f.issue(ids: ["T2"], to: bob.publicKey)
        #expect(try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "Door", sections: ["A"])), by: f.issuer) == "ok")
        return (f, alice, bob, gate)
    }

    static func refused(_ f: LedgerFixture, _ op: LedgerOperation, by key: SigningKey, _ note: Comment? = nil) {
        #expect(throws: TalonError(.notAuthorized), note) { try f.ledger.admit(f.sign(op, by: key)) }
    }

    static func admitted(_ f: LedgerFixture, _ op: LedgerOperation, by key: SigningKey, _ note: Comment? = nil) {
        #expect(throws: Never.self, note) { try f.ledger.admit(f.sign(op, by: key)) }
    }

    /// The spam of issue 15: large contracts from a fresh key. None is admitted.
    @Test func aKeyWithNoRoleCannotDeployContracts() throws {
        let (f, _, _, _) = try Self.fixture()
        let stranger = SigningKey.generate()
        let source = "-- " + String(repeating: "x", count: 60_000) + "\nreturn {}"
        let results = try f.ledger.admit((0..<20).map { _ in f.sign(.deployContract(DeployContract(source: source)), by: stranger) }, for: .propose)
        #expect(results.allSatisfy { if case .refused(let e) = $0 { e == TalonError(.notAuthorized) } else { false } })
        Self.admitted(f, .deployContract(DeployContract(source: "return {}")), by: f.issuer)
    }

    @Test func rolesAreCheckedPerOperation() throws {
        let (f, alice, bob, gate) = try Self.fixture()
        let stranger = SigningKey.generate()
        let newcomer = SigningKey.generate().publicKey
        // Issuers are registered by an admin only.
        Self.refused(f, .registerIssuer(RegisterIssuer(issuer: newcomer, name: "X")), by: f.issuer)
        Self.admitted(f, .registerIssuer(RegisterIssuer(issuer: newcomer, name: "X")), by: f.admin)
        // Issuer operations need a registered issuer; one acting on another's event stays on the record.
        let issuerOps: [LedgerOperation] = [
            .createEvent(CreateEvent(eventID: "E9", name: "S", venue: "V", startsAt: 1_900_000_000_000,
                                     doorsOpenAt: 1_899_990_000_000, capacity: 5, currency: "EUR")),
            .registerGate(RegisterGate(eventID: "E1", gate: newcomer, name: "G", sections: [])),
            .issue(IssueTickets(eventID: "E1", tickets: [TicketSpec(ticketID: "T9", section: "A", seat: "1", faceValue: 1, holder: newcomer)])),
            .void(VoidTicket(ticketID: "T1", reason: "r")),
            .bindContract(BindContract(eventID: "E1", contract: SHA256.hash([1]), params: "{}")),
            .cancelEvent(CancelEvent(eventID: "E1", reason: "r")),
        ]
        for op in issuerOps {
            Self.refused(f, op, by: stranger, "\(op.kind.name) by a stranger")
            Self.refused(f, op, by: alice, "\(op.kind.name) by a holder")
            Self.admitted(f, op, by: f.issuer, "\(op.kind.name) by the issuer")
        }
        let otherIssuer = SigningKey.generate()
        #expect(try f.run(.registerIssuer(RegisterIssuer(issuer: otherIssuer.publicKey, name: "O")), by: f.admin) == "ok")
        Self.admitted(f, .void(VoidTicket(ticketID: "T1", reason: "r")), by: otherIssuer, "another issuer's void stays on the record")

        // Redeem: a gate of the ticket's event only; an unknown ticket has no standing.
        let redeem = LedgerOperation.redeem(Redeem(ticketID: "T1", sequence: 0, scannedAt: 1))
        Self.refused(f, redeem, by: stranger)
        Self.refused(f, redeem, by: alice)
        Self.admitted(f, redeem, by: gate)
        Self.refused(f, .redeem(Redeem(ticketID: "NOPE", sequence: 0, scannedAt: 1)), by: gate)

        // Holder operations: any key that holds or once held a ticket of the event.
        let holderOps: [LedgerOperation] = [
            .transfer(Transfer(ticketID: "T1", to: newcomer)),
            .listResale(ListResale(ticketID: "T1", price: 1, fees: 0)),
            .cancelListing(CancelListing(ticketID: "T1")),
            .requestRefund(RequestRefund(ticketID: "T1")),
        ]
        for op in holderOps {
            Self.refused(f, op, by: stranger, "\(op.kind.name) by a stranger")
            Self.refused(f, op, by: gate, "\(op.kind.name) by a gate")
            Self.admitted(f, op, by: alice, "\(op.kind.name) by the holder")
            Self.admitted(f, op, by: bob, "\(op.kind.name) by another holder of the event: not_holder stays on the record")
        }
        Self.refused(f, .transfer(Transfer(ticketID: "NOPE", to: newcomer)), by: alice, "an unknown ticket")
        // A former holder keeps standing: its attempts are on the record for audit.
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "ok")
        Self.admitted(f, .transfer(Transfer(ticketID: "T1", to: newcomer)), by: alice)
        // Buying a resale needs no standing.
        Self.admitted(f, .buyResale(BuyResale(ticketID: "T2", price: 5)), by: stranger)
    }

    /// Earlier envelopes of one submission grant standing to later ones, as apply would.
    @Test func aSubmissionGrantsStandingInOrder() throws {
        let f = try LedgerFixture()
        let promoter = SigningKey.generate(), alice = SigningKey.generate(), bob = SigningKey.generate(), gate = SigningKey.generate()
        let ops: [(LedgerOperation, SigningKey)] = [
            (.registerIssuer(RegisterIssuer(issuer: promoter.publicKey, name: "P")), f.admin),
            (.createEvent(CreateEvent(eventID: "P1", name: "S", venue: "V", startsAt: 1_900_000_000_000,
                                      doorsOpenAt: 1_899_990_000_000, capacity: 5, currency: "EUR")), promoter),
            (.issue(IssueTickets(eventID: "P1", tickets: [TicketSpec(ticketID: "P1-1", section: "A", seat: "1", faceValue: 1, holder: alice.publicKey)])), promoter),
            (.transfer(Transfer(ticketID: "P1-1", to: bob.publicKey)), alice),
            (.listResale(ListResale(ticketID: "P1-1", price: 1, fees: 0)), bob),
            (.registerGate(RegisterGate(eventID: "P1", gate: gate.publicKey, name: "G", sections: [])), promoter),
            (.redeem(Redeem(ticketID: "P1-1", sequence: 1, scannedAt: 1)), gate),
        ]
        let envelopes = ops.map { f.sign($0.0, by: $0.1) }
        let results = try f.ledger.admit(envelopes, for: .propose)
        for (i, r) in results.enumerated() { #expect(r.isAdmitted, "\(i): \(r)") }
        // In the wrong order, or alone, the later ones have no standing.
        let reversed = try f.ledger.admit(envelopes.reversed(), for: .propose)
        #expect(reversed.filter { !$0.isAdmitted }.count == envelopes.count - 1)
        // What applies in one block is what was admitted.
        #expect(try f.ledger.apply(envelopes, timestamp: 1).receipts.map(\.result) == Array(repeating: "ok", count: envelopes.count))
    }

    @Test func aForgedSignatureFailsBeforeStanding() throws {
        let f = try LedgerFixture()
        let e = f.sign(.registerIssuer(RegisterIssuer(issuer: SigningKey.generate().publicKey, name: "X")), by: f.admin)
        let forged = Envelope(chainID: e.chainID, signer: e.signer, nonce: e.nonce, operation: e.operation,
                              signature: try #require(Signature(bytes: [UInt8](repeating: 0, count: 64))))
        #expect(throws: TalonError(.badSignature)) { try f.ledger.admit(forged) }
        #expect(try f.ledger.admit([forged], for: .forward) == [.checked(forged)], "a follower forwards it: the leader verifies")
        #expect(try f.ledger.admit(e).envelope == e)
    }
}

extension AdmissionDecision {
    var isAdmitted: Bool { if case .admitted = self { true } else { false } }
}
