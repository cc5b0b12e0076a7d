import TalonContracts
import TalonProtocol
import TalonLedger
import TalonTestSupport
import Testing

/// A ledger holding all fourteen kinds of operation, submitted one envelope per request
/// through the API, so that envelope `i` (from 0) sits at leaf `i` in block `i + 1`:
/// an issuer registered; EV under the markup-cap-royalty contract (110 %, 5 %) with gate
/// North and T-1 … T-4 issued to alice (T-1 given to bob, redeemed, presented again; T-2
/// listed over the cap, listed again and bought by bob; T-3 listed and withdrawn, then
/// taken by bob, who does not hold it; T-4 voided); EVR under the refund-window contract
/// with R-1 refunded, then EVR cancelled and R-2 refunded.
struct Scenario: Sendable {
    /// One submission: its name, the envelope in the JSON form, and the result the ledger
    /// must give it by docs/format.md's rules.
    struct Step: Sendable {
        let name: String
        let line: String
        let result: String
    }

    let alice: SigningKey, bob: SigningKey, gate: SigningKey, organizer: SigningKey
    let steps: [Step]

    /// The envelope of step `name` in the JSON form.
    func line(_ name: String) throws -> String { try #require(steps.first { $0.name == name }).line }
    /// The leaf of step `name`: its place among the steps.
    func leaf(_ name: String) throws -> Int64 { Int64(try #require(steps.firstIndex { $0.name == name })) }
    /// The envelope hash of step `name`, computed from its JSON by the tests' format model.
    func hash(_ name: String) throws -> String { try FormatModel.envelopeHash(line: try line(name)) }

    static let faceValue: UInt64 = 4500
    static let startsAt: Int64 = 1_900_000_000_000

    init(_ n: SoloNode) {
        let alice = SigningKey.generate(), bob = SigningKey.generate(), gate = SigningKey.generate(), organizer = SigningKey.generate()
        (self.alice, self.bob, self.gate, self.organizer) = (alice, bob, gate, organizer)
        let markup = ShippedContracts.markupCapRoyalty, refund = ShippedContracts.refundWindow
        func event(_ id: String, _ name: String) -> LedgerOperation {
            .createEvent(CreateEvent(eventID: id, name: name, venue: "Hall", startsAt: Self.startsAt, doorsOpenAt: Self.startsAt - 3_600_000,
                                     capacity: 10, currency: "EUR"))
        }
        func tickets(_ prefix: String, _ count: Int, face: UInt64) -> [TicketSpec] {
            (1...count).map { TicketSpec(ticketID: "\(prefix)-\($0)", section: "A", seat: "\($0)", faceValue: face, holder: alice.publicKey) }
        }
        func contract(_ source: String) -> Digest { SHA256.hash(Array(source.utf8)) }
        let plan: [(String, LedgerOperation, SigningKey, String)] = [
            ("registerIssuer", .registerIssuer(RegisterIssuer(issuer: organizer.publicKey, name: "Second organizer")), n.admin, "ok"),
            ("event", event("EV", "Show"), n.issuer, "ok"),
            ("deploy", .deployContract(DeployContract(source: markup)), n.issuer, "ok"),
            ("bind", .bindContract(BindContract(eventID: "EV", contract: contract(markup), params: #"{"max_price_pct": 110, "royalty_pct": 5}"#)),
             n.issuer, "ok"),
            ("gate", .registerGate(RegisterGate(eventID: "EV", gate: gate.publicKey, name: "North", sections: [])), n.issuer, "ok"),
            ("issue", .issue(IssueTickets(eventID: "EV", tickets: tickets("T", 4, face: Self.faceValue))), n.issuer, "ok"),
            ("transfer", .transfer(Transfer(ticketID: "T-1", to: bob.publicKey)), alice, "ok"),
            ("redeem", .redeem(Redeem(ticketID: "T-1", sequence: 1, scannedAt: Self.startsAt - 600_000)), gate, "ok"),
            ("redeemAgain", .redeem(Redeem(ticketID: "T-1", sequence: 1, scannedAt: Self.startsAt - 500_000)), gate, "already_redeemed"),
            ("overCap", .listResale(ListResale(ticketID: "T-2", price: 5000, fees: 0)), alice, "contract_denied"),
            ("list", .listResale(ListResale(ticketID: "T-2", price: 4900, fees: 0)), alice, "ok"),
            ("buy", .buyResale(BuyResale(ticketID: "T-2", price: 4900, fees: 0)), bob, "ok"),
            ("listT3", .listResale(ListResale(ticketID: "T-3", price: 4600, fees: 0)), alice, "ok"),
            ("cancelListing", .cancelListing(CancelListing(ticketID: "T-3")), alice, "ok"),
            ("stolen", .transfer(Transfer(ticketID: "T-3", to: bob.publicKey)), bob, "not_holder"),
            ("void", .void(VoidTicket(ticketID: "T-4", reason: "lost")), n.issuer, "ok"),
            ("eventR", event("EVR", "Rained off"), n.issuer, "ok"),
            ("deployR", .deployContract(DeployContract(source: refund)), n.issuer, "ok"),
            ("bindR", .bindContract(BindContract(eventID: "EVR", contract: contract(refund), params: #"{"full_refund_hours": 48, "partial_pct": 50}"#)),
             n.issuer, "ok"),
            ("issueR", .issue(IssueTickets(eventID: "EVR", tickets: tickets("R", 2, face: 3000))), n.issuer, "ok"),
            ("refund", .requestRefund(RequestRefund(ticketID: "R-1")), alice, "ok"),
            ("cancelEvent", .cancelEvent(CancelEvent(eventID: "EVR", reason: "storm")), n.issuer, "ok"),
            ("refundAfter", .requestRefund(RequestRefund(ticketID: "R-2")), alice, "ok"),
        ]
        steps = plan.map { name, op, key, result in
            Step(name: name, line: String(decoding: JSONForm.encode(n.sign(op, by: key)), as: UTF8.self), result: result)
        }
    }

    /// Submits every step, one per request, and checks each receipt: the hash the format
    /// model computes, the result above, leaf `i` at position 0 of block `i + 1`.
    static func populate(_ api: InProcessAPI, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Scenario {
        let s = Scenario(api.solo)
        for (i, step) in s.steps.enumerated() {
            let r = try await api.call("POST", "/v1/envelopes", body: step.line, expect: 200, sourceLocation: sourceLocation)
            #expect(r["hash"]?.string == (try FormatModel.envelopeHash(line: step.line)), "\(step.name)", sourceLocation: sourceLocation)
            #expect(r["result"]?.string == step.result, "\(step.name): \(r.reply)", sourceLocation: sourceLocation)
            #expect(r["leaf"]?.int == Int64(i) && r["height"]?.int == Int64(i + 1) && r["position"]?.int == 0, "\(step.name): \(r.reply)",
                    sourceLocation: sourceLocation)
        }
        return s
    }
}
