import TalonLedger
import TalonProtocol
import TalonTestSupport
import Testing

/// A history longer than a page (1,000 records) is printed whole, store and node reading
/// alike page after page.
@Suite(.timeLimit(.minutes(5))) struct CLIHistoryPagingTests {
    @Test func aLongTicketHistoryIsPrintedWhole() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let issuer = try SigningKey.load(from: g.issuer)
            let alice = SigningKey.generate(), bob = SigningKey.generate()
            let genesis = try GenesisFile(path: g.genesis)
            let store = s.path("store")
            let ledger = try Ledger(path: store, genesis: genesis)
            var nonces: [PublicKey: UInt64] = [:]
            func envelope(_ op: LedgerOperation, by key: SigningKey) -> Envelope {
                nonces[key.publicKey, default: 0] += 1
                return Envelope(chainID: genesis.genesis.chainID, nonce: nonces[key.publicKey, default: 0], operation: op, signedBy: key)
            }
            var time: Int64 = 1_800_000_000_000
            func apply(_ envelopes: [Envelope]) throws {
                time += 1_000
                let results = try ledger.apply(envelopes, timestamp: time).receipts.map(\.result)
                #expect(results.allSatisfy { $0 == "ok" })
            }
            try apply([envelope(.createEvent(CreateEvent(eventID: "E1", name: "Long", venue: "Hall", startsAt: 1_900_000_000_000,
                                                         doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: issuer)])
            try apply([envelope(.issue(IssueTickets(eventID: "E1", tickets: [
                TicketSpec(ticketID: "T1", section: "A", seat: "1", faceValue: 4500, holder: alice.publicKey)])), by: issuer)])
            // 1,100 changes of hands, 100 to a block: with the issue, 1,101 records of T1.
            for start in stride(from: 0, to: 1_100, by: 100) {
                try apply((start..<start + 100).map { i in
                    let (from, to) = i % 2 == 0 ? (alice, bob) : (bob, alice)
                    return envelope(.transfer(Transfer(ticketID: "T1", to: to.publicKey)), by: from)
                })
            }
            // The issue at leaf 1, the transfers at 2…1,101; one page holds 1,000 of them.
            let expected = Array(UInt64(1)...1_101)
            #expect(try ledger.history(ticket: "T1").count == 1_000)
            let run = try await s.talon("ticket", "history", "--store", store, "T1")
            try #require(run.status == 0, "\(run)")
            let records = try run.lines.map { try decode(RecordJSON.self, $0, context: run) }
            #expect(records.map(\.receipt.leaf) == expected, "\(records.count) records printed")
            let holder = try await s.talon("holder", "history", "--store", store, bob.publicKey.text)
            try #require(holder.status == 0, "\(holder)")
            #expect(holder.lines.count == 1_100, "every transfer names bob as sender or recipient")
            let unknown = try await s.talon("ticket", "history", "--store", store, "T2")
            #expect(unknown.status != 0 && unknown.stderr.hasPrefix("error[unknown_ticket]"), "\(unknown)")
        }
    }
}
