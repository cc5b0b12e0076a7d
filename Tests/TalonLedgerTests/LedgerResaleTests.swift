import Foundation
import Testing
import TalonContracts
import TalonProtocol
import TalonLedger

/// Listing, buying and refunding through real ledger operations, decided by the shipped
/// contracts: face-value cap, markup cap with royalty, no resale, transfer limits across
/// orders, refund windows and cancellation.
@Suite struct LedgerResaleTests {
    let f: LedgerFixture
    let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()

    init() throws { f = try LedgerFixture() }

    /// Creates event `id` starting at `startsAt`, binds the shipped contract `name` with
    /// `params` (none when nil), and issues `tickets` to alice at face value 4500.
    func event(_ id: String = "E1", contract name: String?, params: String = "{}", startsAt: Int64 = 1_900_000_000_000,
               tickets: [String] = ["T1", "T2", "T3"]) throws {
        #expect(try f.run(.createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: startsAt,
                                                   doorsOpenAt: startsAt - 3_600_000, capacity: 100, currency: "EUR")), by: f.issuer) == "ok")
        if let name {
            let source = try LedgerContractTests.shipped(name)
            let deployed = try f.run(.deployContract(DeployContract(source: source)), by: f.issuer)
            #expect(deployed == "ok" || deployed == "already_exists")
            #expect(try f.run(.bindContract(BindContract(eventID: id, contract: LedgerContractTests.id(source), params: params)), by: f.issuer) == "ok")
        }
        #expect(try f.issue(id, ids: tickets, to: alice.publicKey) == "ok")
    }

    func list(_ ticket: String, _ price: UInt64, fees: UInt64 = 0, by key: SigningKey? = nil) throws -> String {
        try f.run(.listResale(ListResale(ticketID: ticket, price: price, fees: fees)), by: key ?? alice)
    }
    func buy(_ ticket: String, _ price: UInt64, fees: UInt64 = 0, by key: SigningKey? = nil) throws -> String {
        try f.run(.buyResale(BuyResale(ticketID: ticket, price: price, fees: fees)), by: key ?? bob)
    }
    func refund(_ ticket: String, by key: SigningKey? = nil) throws -> String {
        try f.run(.requestRefund(RequestRefund(ticketID: ticket)), by: key ?? alice)
    }

    @Test func faceValueCapCountsFeesAndABuyMovesTheTicket() throws {
        try event(contract: "face-value-cap.lua")
        #expect(try list("T1", 4501) == "contract_denied", "above face value")
        #expect(try list("T1", 4400, fees: 101) == "contract_denied", "fees count: 4400 + 101 > 4500")
        #expect(try list("T1", 4400, fees: 100) == "ok", "exactly the face value")
        #expect(try list("T1", 4400, by: bob) == "not_holder")
        #expect(try buy("T1", 4300, fees: 100) == "price_mismatch")
        #expect(try buy("T1", 4400) == "price_mismatch", "the fees are part of the terms")
        #expect(try buy("T1", 4400, fees: 100, by: alice) == "invalid_field", "the seller cannot buy its own listing")
        #expect(try buy("T1", 4400, fees: 100) == "ok")
        let t1 = try #require(try f.ledger.ticket("T1"))
        #expect(t1.holder == bob.publicKey && t1.sequence == 1 && t1.resales == 1 && t1.transfers == 1 && t1.paid == 4500)
        #expect(try buy("T1", 4400, fees: 100, by: carol) == "not_listed", "a sold listing is gone")
        #expect(try f.run(.cancelListing(CancelListing(ticketID: "T1")), by: alice) == "not_listed")
    }

    @Test func markupCapAllowsTenPercentAndRecordsTheRoyalty() throws {
        try event(contract: "markup-cap-royalty.lua", params: #"{"max_price_pct": 110, "royalty_pct": 5}"#)
        #expect(try list("T1", 4951) == "contract_denied", "one cent over 110% of 4500")
        #expect(try list("T1", 4900, fees: 50) == "ok", "4950 is exactly 110%")
        let purchase = f.sign(.buyResale(BuyResale(ticketID: "T1", price: 4900, fees: 50)), by: bob)
        #expect(try f.apply([purchase]) == ["ok"])
        let decision = try #require(try f.ledger.record(hash: purchase.hash)?.decision)
        #expect(decision.hook == .onBuy && decision.decision.allowed)
        #expect(decision.decision.royalty == 4900 * 5 / 100, "5% of the price, fees excluded, rounded down")
        #expect(try f.ledger.ticket("T1")?.paid == 4950)
    }

    @Test func noResaleRefusesListingsButAllowsGifts() throws {
        try event(contract: "no-resale.lua")
        #expect(try list("T1", 100) == "contract_denied")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "ok")
    }

    @Test func aPerBuyerLimitHoldsAcrossOrdersAndGifts() throws {
        try event(contract: "transfer-limit.lua", params: #"{"max_transfers": 5, "max_per_buyer": 2}"#)
        for t in ["T1", "T2", "T3"] { #expect(try list(t, 1000) == "ok") }
        #expect(try buy("T1", 1000) == "ok")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: bob) == "ok", "bob passes one on")
        #expect(try buy("T2", 1000) == "ok", "second acquisition")
        #expect(try buy("T3", 1000) == "contract_denied", "a third, in a third order, is over the limit")
        #expect(try f.ledger.ticket("T3")?.holder == alice.publicKey)
    }

    @Test func aListingDiesWithItsHolder() throws {
        try event(contract: nil)
        #expect(try list("T1", 1000) == "ok")
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: alice) == "ok")
        #expect(try buy("T1", 1000) == "not_listed", "carol never listed it")
        #expect(try list("T2", 1000) == "ok")
        #expect(try f.run(.cancelListing(CancelListing(ticketID: "T2")), by: bob) == "not_authorized")
        #expect(try f.run(.cancelListing(CancelListing(ticketID: "T2")), by: alice) == "ok")
        #expect(try buy("T2", 1000) == "not_listed")
    }

    @Test func refundWindowGivesFullThenPartialThenNone() throws {
        let hour: Int64 = 3_600_000
        // The fixture's clock advances one second per block from 1.8e12.
        try event("SOON", contract: "refund-window.lua", params: #"{"full_refund_hours": 48, "partial_pct": 33}"#,
                  startsAt: f.clock + 10 * hour, tickets: ["S1"])
        try event("LATER", contract: "refund-window.lua", startsAt: f.clock + 100 * hour, tickets: ["L1"])
        try event("PAST", contract: "refund-window.lua", startsAt: f.clock + 5000, tickets: ["P1"])

        #expect(try refund("L1") == "ok")
        #expect(try f.ledger.ticket("L1")?.refund == 4500 && f.ledger.ticket("L1")?.status == .refunded, "more than 48 h ahead: full")
        #expect(try refund("S1") == "ok")
        #expect(try f.ledger.ticket("S1")?.refund == (4500 * 33 + 99) / 100, "within 48 h: 33%, rounded up")
        #expect(try refund("P1") == "contract_denied", "the event has started")
        #expect(try f.ledger.ticket("P1")?.status == .active)

        // A refunded ticket is finished.
        #expect(try f.run(.transfer(Transfer(ticketID: "L1", to: bob.publicKey)), by: alice) == "ticket_refunded")
        #expect(try refund("L1") == "ticket_refunded")
    }

    @Test func cancellingAnEventRefundsInFullAndFreezesItsTickets() throws {
        try event(contract: "refund-window.lua", params: #"{"full_refund_hours": 0, "partial_pct": 0}"#)
        try event("BARE", contract: nil, tickets: ["B1", "B2"])
        #expect(try list("T1", 3000) == "ok")
        #expect(try buy("T1", 3000) == "ok")
        #expect(try refund("B1") == "not_refundable", "no contract, not cancelled")
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "E1", reason: "storm")), by: alice) == "not_authorized")
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "E1", reason: "storm")), by: f.issuer) == "ok")
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "E1", reason: "again")), by: f.issuer) == "event_cancelled")
        #expect(try f.ledger.event("E1")?.cancelled == true)

        #expect(try f.run(.transfer(Transfer(ticketID: "T2", to: carol.publicKey)), by: alice) == "event_cancelled")
        #expect(try list("T2", 100) == "event_cancelled")
        let bobsRefund = f.sign(.requestRefund(RequestRefund(ticketID: "T1")), by: bob)
        #expect(try f.apply([bobsRefund]) == ["ok"])
        #expect(try f.ledger.record(hash: bobsRefund.hash)?.decision?.hook == .onCancel)
        #expect(try f.ledger.ticket("T1")?.refund == 3000, "bob gets what he paid on resale")
        #expect(try refund("T2") == "ok")
        #expect(try f.ledger.ticket("T2")?.refund == 4500)

        // Without a contract, cancellation alone refunds what was paid.
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "BARE", reason: "")), by: f.issuer) == "ok")
        #expect(try refund("B1") == "ok")
        #expect(try f.ledger.ticket("B1")?.refund == 4500)
    }

    @Test func twoLedgersAgreeOnEveryResaleDecision() throws {
        let b = try LedgerFixture(admin: f.admin, issuer: f.issuer, genesis: f.genesisFile)
        let markup = try LedgerContractTests.shipped("markup-cap-royalty.lua")
        var envelopes: [Envelope] = []
        func add(_ op: LedgerOperation, _ key: SigningKey) { envelopes.append(f.sign(op, by: key)) }
        add(.createEvent(CreateEvent(eventID: "E1", name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                     doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), f.issuer)
        add(.deployContract(DeployContract(source: markup)), f.issuer)
        add(.bindContract(BindContract(eventID: "E1", contract: LedgerContractTests.id(markup), params: #"{"royalty_pct": 7}"#)), f.issuer)
        add(.issue(IssueTickets(eventID: "E1", tickets: (1...4).map {
            TicketSpec(ticketID: "T\($0)", section: "A", seat: "\($0)", faceValue: 1999, holder: alice.publicKey)
        })), f.issuer)
        for (t, price) in [("T1", 2100), ("T2", 2199), ("T3", 2190), ("T4", 999)] {
            add(.listResale(ListResale(ticketID: t, price: UInt64(price), fees: 0)), alice)
            add(.buyResale(BuyResale(ticketID: t, price: UInt64(price))), bob)
        }
        add(.cancelEvent(CancelEvent(eventID: "E1", reason: "")), f.issuer)
        add(.requestRefund(RequestRefund(ticketID: "T1")), bob)
        for ledger in [f.ledger, b.ledger] {
            for (i, start) in stride(from: 0, to: envelopes.count, by: 4).enumerated() {
                try ledger.apply(Array(envelopes[start..<min(envelopes.count, start + 4)]), timestamp: 1_800_000_000_000 + Int64(i))
            }
        }
        #expect(try f.ledger.head() == b.ledger.head())
        let mine = try envelopes.map { try f.ledger.record(hash: $0.hash) }
        let theirs = try envelopes.map { try b.ledger.record(hash: $0.hash) }
        #expect(mine == theirs)
        // 110% of 1999 is 2198.9: 2199 is over the cap, 2190 is not.
        #expect(mine.map { $0?.receipt.result } == ["ok", "ok", "ok", "ok", "ok", "ok", "contract_denied", "not_listed",
                                                   "ok", "ok", "ok", "ok", "ok", "ok"])
        let royalty = try #require(mine[5]?.decision?.decision.royalty)
        #expect(royalty == 2100 * 7 / 100, "7% of the first sale, rounded down")
    }

    @Test func aCancelledEventTakesNoNewTicketsGatesContractsOrVoids() throws {
        try event(contract: nil)
        let gate = SigningKey.generate()
        let source = try LedgerContractTests.shipped("refund-window.lua")
        #expect(try f.run(.deployContract(DeployContract(source: source)), by: f.issuer) == "ok")
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "E1", reason: "")), by: alice) == "not_authorized")
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "E1", reason: "")), by: f.issuer) == "ok")
        #expect(try f.run(.cancelEvent(CancelEvent(eventID: "E1", reason: "")), by: alice) == "not_authorized",
                "who may cancel is checked before whether it already is")
        #expect(try f.issue(ids: ["T9"], to: alice.publicKey) == "event_cancelled")
        #expect(try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "Door", sections: [])), by: f.issuer) == "event_cancelled")
        #expect(try f.run(.bindContract(BindContract(eventID: "E1", contract: LedgerContractTests.id(source), params: "{}")), by: f.issuer)
                == "event_cancelled", "a contract bound now could take the refunds away")
        #expect(try f.run(.void(VoidTicket(ticketID: "T1", reason: "")), by: f.issuer) == "event_cancelled", "voiding would too")
        #expect(try refund("T1") == "ok")
        #expect(try f.ledger.ticket("T1")?.refund == 4500)
    }

    @Test func ticketsIssuedWithoutAContractNeverGetOne() throws {
        try event(contract: nil)
        let source = try LedgerContractTests.shipped("refund-window.lua")
        #expect(try f.run(.deployContract(DeployContract(source: source)), by: f.issuer) == "ok")
        #expect(try f.run(.bindContract(BindContract(eventID: "E1", contract: LedgerContractTests.id(source), params: "{}")), by: f.issuer)
                == "contract_locked")
    }

    @Test func aBuyAgreesToTheFeesToo() throws {
        try event(contract: nil)
        #expect(try list("T1", 1000, fees: 50) == "ok")
        #expect(try list("T1", 1000, fees: 900) == "ok", "the seller relists with higher fees")
        #expect(try f.run(.buyResale(BuyResale(ticketID: "T1", price: 1000, fees: 50)), by: bob) == "price_mismatch")
        #expect(try f.run(.buyResale(BuyResale(ticketID: "T1", price: 1000, fees: 900)), by: bob) == "ok")
        #expect(try f.ledger.ticket("T1")?.paid == 1900)
    }

    @Test func redeemVoidAndRefundEndAListing() throws {
        let gate = SigningKey.generate()
        try event(contract: nil)
        #expect(try f.run(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "Door", sections: [])), by: f.issuer) == "ok")
        for t in ["T1", "T2"] { #expect(try list(t, 1000) == "ok") }
        #expect(try f.run(.redeem(Redeem(ticketID: "T1", sequence: 0, scannedAt: 1)), by: gate) == "ok")
        #expect(try f.run(.void(VoidTicket(ticketID: "T2", reason: "")), by: f.issuer) == "ok")
        #expect(try buy("T1", 1000) == "already_redeemed")
        #expect(try buy("T2", 1000) == "ticket_void")
        #expect(try f.run(.cancelListing(CancelListing(ticketID: "T1")), by: alice) == "not_listed", "the redeem ended it")
    }
}
