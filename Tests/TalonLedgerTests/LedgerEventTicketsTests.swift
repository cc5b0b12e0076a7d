import Testing
import TalonProtocol
@testable import TalonLedger

/// `Ledger.tickets(event:)`: every ticket of one event, paged, and none of another's.
@Suite struct LedgerEventTicketsTests {
    @Test func anEventsTicketsArePagedInIndexOrder() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent("E1")
        try f.createEvent("E2")
        #expect(try f.issue("E1", ids: ["T-3", "T-1", "T-10", "T-2"], to: alice.publicKey) == "ok")
        #expect(try f.issue("E2", ids: ["U-1"], to: alice.publicKey) == "ok")
        #expect(try f.issue("E1", ids: ["T-1"], to: alice.publicKey) == "ticket_exists")
        #expect(try f.run(.transfer(Transfer(ticketID: "T-2", to: bob.publicKey)), by: alice) == "ok")

        let all = try f.ledger.tickets(event: "E1")
        #expect(all.tickets.map(\.ticketID) == ["T-1", "T-2", "T-3", "T-10"], "shorter ids first, then bytewise")
        #expect(all.tickets[1].holder == bob.publicKey && all.tickets[1].sequence == 1, "current state, not the issue's")
        #expect(all.head == (try f.ledger.head()))
        let first = try f.ledger.tickets(event: "E1", limit: 2).tickets.map(\.ticketID)
        let rest = try f.ledger.tickets(event: "E1", after: first.last, limit: 2).tickets.map(\.ticketID)
        #expect(first + rest == all.tickets.map(\.ticketID))
        #expect(try f.ledger.tickets(event: "E1", after: "T-10").tickets.isEmpty)
        #expect(try f.ledger.tickets(event: "E2").tickets.map(\.ticketID) == ["U-1"])
        #expect(try f.ledger.tickets(event: "E3").tickets.isEmpty)
    }
}
