import Foundation
import Testing
import TalonContracts
import TalonProtocol
@testable import TalonLedger

/// The audit queries on a ledger built through real operations under the markup-cap
/// contract, rejected attempts included.
@Suite struct LedgerAuditTests {
    /// Who is who in `build`.
    struct Cast {
        let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
        let north = SigningKey.generate(), south = SigningKey.generate()
    }

    /// Event E1 under markup-cap-royalty (110 %, 5 % royalty), tickets T1–T4 (face 4500) for
    /// alice; three resales, a listing over the cap, a buy at the wrong price, and T1 redeemed
    /// at North then presented again at South.
    @discardableResult
    static func build(_ f: LedgerFixture, _ c: Cast) throws -> [String] {
        var results: [String] = []
        func run(_ op: LedgerOperation, _ key: SigningKey) throws { results.append(try f.run(op, by: key)) }
        let source = try LedgerContractTests.shipped("markup-cap-royalty.lua")
        try f.createEvent()
        try run(.deployContract(DeployContract(source: source)), f.issuer)
        try run(.bindContract(BindContract(eventID: "E1", contract: LedgerContractTests.id(source),
                                           params: #"{"max_price_pct": 110, "royalty_pct": 5}"#)), f.issuer)
        try f.issue(ids: ["T1", "T2", "T3", "T4"], to: c.alice.publicKey)
        try run(.registerGate(RegisterGate(eventID: "E1", gate: c.north.publicKey, name: "North", sections: [])), f.issuer)
        try run(.registerGate(RegisterGate(eventID: "E1", gate: c.south.publicKey, name: "South", sections: [])), f.issuer)
        try run(.listResale(ListResale(ticketID: "T1", price: 4951, fees: 0)), c.alice)          // contract_denied: over 110 %
        try run(.listResale(ListResale(ticketID: "T1", price: 4900, fees: 50)), c.alice)
        try run(.buyResale(BuyResale(ticketID: "T1", price: 4900, fees: 50)), c.bob)             // +10 %, royalty 245
        try run(.listResale(ListResale(ticketID: "T1", price: 4500, fees: 0)), c.bob)
        try run(.buyResale(BuyResale(ticketID: "T1", price: 4500, fees: 0)), c.carol)            // bob flips it, +0 %
        try run(.listResale(ListResale(ticketID: "T2", price: 4000, fees: 0)), c.alice)
        try run(.buyResale(BuyResale(ticketID: "T2", price: 3999, fees: 0)), c.carol)            // price_mismatch
        try run(.buyResale(BuyResale(ticketID: "T2", price: 4000, fees: 0)), c.carol)            // -11.11 %
        try run(.buyResale(BuyResale(ticketID: "T9", price: 1, fees: 0)), c.carol)               // unknown_ticket: no row
        try run(.redeem(Redeem(ticketID: "T1", sequence: 2, scannedAt: 1_900_000_000_000)), c.north)
        try run(.redeem(Redeem(ticketID: "T1", sequence: 2, scannedAt: 1_900_000_060_000)), c.south) // already_redeemed
        return results
    }

    let f: LedgerFixture
    let c = Cast()

    init() throws {
        f = try LedgerFixture()
        let results = try Self.build(f, c)
        #expect(results == ["ok", "ok", "ok", "ok", "contract_denied", "ok", "ok", "ok", "ok", "ok", "price_mismatch", "ok",
                            "unknown_ticket", "ok", "already_redeemed"])
    }

    @Test func provenanceFollowsTheTicketFromIssueToTheSecondScan() throws {
        let p = try #require(try f.ledger.provenance(ticket: "T1"))
        #expect(p.head == (try f.ledger.head()))
        #expect(p.steps.map(\.kind) == ["issue", "list_resale", "list_resale", "buy_resale", "list_resale", "buy_resale", "redeem", "redeem"])
        #expect(p.steps.map(\.result) == ["ok", "contract_denied", "ok", "ok", "ok", "ok", "ok", "already_redeemed"])
        let (a, b, cc) = (c.alice.publicKey, c.bob.publicKey, c.carol.publicKey)
        #expect(p.steps[0].to == a && p.steps[0].price == 4500)
        #expect(p.steps[1].reason?.isEmpty == false, "the contract's words for the denied listing")
        #expect(p.steps[1].markupBasisPoints == 1002, "4951 over 4500 is +10.02 %")
        let firstSale = p.steps[3]
        #expect(firstSale.from == a && firstSale.to == b && firstSale.price == 4900 && firstSale.fees == 50)
        #expect(firstSale.markupBasisPoints == 1000 && firstSale.royalty == 245)
        #expect(p.steps[5].from == b && p.steps[5].to == cc && p.steps[5].markupBasisPoints == 0 && p.steps[5].royalty == 225)
        #expect(p.steps[6].gate == c.north.publicKey && p.steps[6].from == cc && p.steps[6].scannedAt == 1_900_000_000_000)
        #expect(p.steps[7].gate == c.south.publicKey)
        #expect(p.steps.map(\.timestamp) == p.steps.map(\.timestamp).sorted() && Set(p.steps.map(\.timestamp)).count == 8)
        #expect(p.steps.allSatisfy { $0.proof == nil })
        #expect(try f.ledger.provenance(ticket: "T9") == nil)
        #expect(try f.ledger.provenance(ticket: "T1", limit: 3)?.truncated == true)
    }

    @Test func provenanceProofsVerifyAgainstTheHead() throws {
        let p = try #require(try f.ledger.provenance(ticket: "T2", prove: true))
        for step in p.steps {
            let proof = try #require(step.proof)
            #expect(proof.envelope.hash == step.envelopeHash)
            #expect(MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(proof.envelope.bytes), index: step.leaf,
                                                   size: p.head.treeSize, proof: proof.path, root: p.head.treeRoot))
        }
    }

    /// Without proofs an issue is read as the one ticket's spec and its hash comes from the
    /// block's entry; the answer must be the proven answer without the proofs, wherever the
    /// ticket and the issue sit in their envelope and block.
    @Test func provenanceWithoutProofsReadsTheIssueInPlace() throws {
        let dave = SigningKey.generate(), erin = SigningKey.generate()
        let others = (0..<50).map { TicketSpec(ticketID: "B\($0)", section: "A", seat: "\($0)", faceValue: 4500, holder: erin.publicKey) }
        let mine = TicketSpec(ticketID: "B-mine", section: "Z", seat: "7", faceValue: 6000, holder: dave.publicKey)
        let filler = (0..<5).map { f.sign(.transfer(Transfer(ticketID: "T\($0 + 1)", to: erin.publicKey)), by: c.carol) }
        let issue = f.sign(.issue(IssueTickets(eventID: "E1", tickets: Array(others[..<20]) + [mine] + Array(others[20...]))), by: f.issuer)
        #expect(try f.apply(filler + [issue]).last == "ok")
        #expect(try f.run(.transfer(Transfer(ticketID: "B-mine", to: erin.publicKey)), by: dave) == "ok")
        let plain = try #require(try f.ledger.provenance(ticket: "B-mine"))
        let proven = try #require(try f.ledger.provenance(ticket: "B-mine", prove: true))
        #expect(plain.steps.count == 2)
        #expect(plain.steps[0].envelopeHash == issue.hash && plain.steps[0].to == dave.publicKey && plain.steps[0].price == 6000)
        #expect(plain.steps[0].leaf == (try f.ledger.head()).treeSize - 2, "the issue is the last of a six-envelope block")
        #expect(plain.steps == proven.steps.map { var s = $0; s.proof = nil; return s })
        #expect(try f.ledger.provenance(ticket: "B7")?.steps.map(\.to) == [erin.publicKey])
    }

    @Test func resaleReportTotalsDistributionAndRejections() throws {
        let r = try #require(try f.ledger.resaleReport(event: "E1"))
        #expect(r.capPct == 110 && r.capSource == "contract")
        let t = r.totals
        #expect(t.resales == 3 && t.volume == 13_400 && t.fees == 50 && t.faceValue == 13_500)
        #expect(t.royalties == 245 + 225 + 200)
        #expect(t.averageMarkupBasisPoints == -37 && t.medianMarkupBasisPoints == 0 && t.maxMarkupBasisPoints == 1000)
        #expect(t.overCap == 0 && t.overCapShareBasisPoints == 0)
        #expect(t.listings == 3 && t.rejectedListings == 1 && t.rejectedBuys == 1 && t.rejectedOverCap == 1)
        let counts = Dictionary(uniqueKeysWithValues: r.distribution.map { ($0.fromPct ?? -1, $0.count) })
        #expect(counts[-1] == 1 && counts[0] == 1 && counts[10] == 1 && r.distribution.map(\.count).reduce(0, +) == 3)
        #expect(r.distribution.count == 22 && r.distribution.first?.toPct == 0 && r.distribution.last?.fromPct == 200)
        #expect(r.rejected.map(\.result) == ["contract_denied", "price_mismatch"])
        #expect(r.rejected.map(\.overCap) == [true, false] && r.rejected[0].kind == "list_resale" && r.rejected[0].reason != nil)
        #expect(r.resales.map(\.ticketID) == ["T1", "T1", "T2"])
        #expect(r.resales.map(\.seller) == [c.alice.publicKey, c.bob.publicKey, c.alice.publicKey])
        #expect(r.resales.map(\.markupBasisPoints) == [1000, 0, -1111])
        #expect(r.next == nil)
    }

    @Test func resaleReportJudgesByAnAskedCapAndPages() throws {
        let r = try #require(try f.ledger.resaleReport(event: "E1", capPct: 105, limit: 2))
        #expect(r.capSource == "query" && r.totals.overCap == 1 && r.totals.overCapShareBasisPoints == 3333)
        #expect(r.resales.count == 2)
        let next = try #require(r.next)
        let rest = try #require(try f.ledger.resaleReport(event: "E1", after: next, limit: 2))
        #expect(rest.resales.map(\.ticketID) == ["T2"] && rest.next == nil)
        #expect(try f.ledger.resaleReport(event: "NOPE") == nil)
    }

    @Test func holderReportRanksSellersAndFlagsFlipsAndLimits() throws {
        let r = try #require(try f.ledger.holderReport(event: "E1", flipWindowMs: 2000, maxPerBuyer: 1))
        #expect(r.holders.map(\.key) == [c.alice.publicKey, c.bob.publicKey, c.carol.publicKey])
        let (alice, bob, carol) = (r.holders[0], r.holders[1], r.holders[2])
        #expect(alice.sold == 2 && alice.flips == 0 && alice.acquired == 4 && alice.held == 2 && alice.proceeds == 8900)
        #expect(alice.averageMarkupBasisPoints == (1000 - 1111) / 2 && alice.overLimit == true)
        #expect(bob.bought == 1 && bob.sold == 1 && bob.flips == 1 && bob.held == 0 && bob.overLimit == false)
        #expect(carol.bought == 2 && carol.sold == 0 && carol.held == 2 && carol.overLimit == true)
        #expect(r.totals.holders == 3 && r.totals.sellers == 2 && r.totals.buyers == 2 && r.totals.flips == 1 && r.totals.overLimit == 2)
        let wide = try #require(try f.ledger.holderReport(event: "E1"))
        #expect(wide.maxPerBuyer == nil && wide.holders.allSatisfy { $0.overLimit == nil } && wide.totals.flips == 3)
    }

    @Test func entryReportListsTheTicketPresentedTwice() throws {
        let r = try #require(try f.ledger.entryReport(event: "E1", prove: true))
        #expect(r.totals == .init(attempts: 2, redeemed: 1, repeatedTickets: 1, repeatAttempts: 1))
        #expect(r.tickets.map(\.ticketID) == ["T1"])
        let attempts = r.tickets[0].attempts
        #expect(attempts.map(\.gateName) == ["North", "South"] && attempts.map(\.result) == ["ok", "already_redeemed"])
        #expect(attempts.map(\.scannedAt) == [1_900_000_000_000, 1_900_000_060_000])
        #expect(attempts.allSatisfy { $0.proof?.envelope.hash == $0.envelopeHash })
    }
}
