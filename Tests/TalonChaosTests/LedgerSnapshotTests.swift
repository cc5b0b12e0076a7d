import Foundation
import TalonChaos
import TalonLedger
import TalonProtocol
import Testing

/// `LedgerSnapshot.read` on a real store: blocks, leaves, the holders its records give, a
/// passing verify; and the checker over it.
@Suite struct LedgerSnapshotTests {
    @Test func aStoreReadsAsItsBlocksLeavesAndHoldersAndChecks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("talon-chaos-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let issuer = SigningKey.generate(), alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
        let genesis = Genesis(chainID: "snapshot-test", members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2",
                                                                        key: SigningKey.generate().publicKey)],
                              admins: [SigningKey.generate().publicKey], issuers: [.init(key: issuer.publicKey, name: "Issuer")])
        let file = try GenesisFile(bytes: genesis.fileBytes)
        let chain = file.genesis.chainID
        let event = Envelope(chainID: chain, nonce: 1, operation: .createEvent(CreateEvent(
            eventID: "EV", name: "Show", venue: "Hall", startsAt: 4_000_000_000_000, doorsOpenAt: 4_000_000_000_000, capacity: 1,
            currency: "EUR")), signedBy: issuer)
        let issue = Envelope(chainID: chain, nonce: 2, operation: .issue(IssueTickets(eventID: "EV", tickets: [
            TicketSpec(ticketID: "T-1", section: "A", seat: "1", faceValue: 100, holder: alice.publicKey)])), signedBy: issuer)
        let give = Envelope(chainID: chain, nonce: 1, operation: .transfer(Transfer(ticketID: "T-1", to: bob.publicKey)), signedBy: alice)
        let again = Envelope(chainID: chain, nonce: 2, operation: .transfer(Transfer(ticketID: "T-1", to: carol.publicKey)), signedBy: alice)
        do {
            let ledger = try Ledger(path: dir, genesis: file)
            _ = try ledger.apply([event, issue], timestamp: 1_000)
            _ = try ledger.apply([give], timestamp: 2_000)
            _ = try ledger.apply([again], timestamp: 3_000)
            try ledger.sync()
        }

        let snapshot = try LedgerSnapshot.read(node: "n1", store: dir)
        #expect(snapshot.blocks.count == 3)
        #expect(snapshot.leaves == [event, issue, give, again].map(\.hash.hex))
        #expect(snapshot.holdings == [.init(ticket: "T-1", sequence: 0, holder: alice.publicKey.text),
                                      .init(ticket: "T-1", sequence: 1, holder: bob.publicKey.text)],
                "alice's second transfer is on the record, rejected: it moves nothing")
        #expect(snapshot.stateMismatches.isEmpty && snapshot.verifyFailure == nil)

        let acknowledged = Operation(id: 0, client: 0, node: "n1", ticket: "T-1", envelope: give.hash.hex, invoked: 0, completed: 1,
                                     outcome: .acknowledged(leaf: 2, height: 2, result: "ok"))
        #expect(Checker().check([acknowledged], ledgers: [snapshot], recoveredAfter: 0).ok)
        var moved = acknowledged
        moved.outcome = .acknowledged(leaf: 3, height: 3, result: "ok")
        #expect(Checker().check([moved], ledgers: [snapshot], recoveredAfter: 0).anomalies.map(\.kind) == ["wrong_leaf"])
    }

    @Test func resalesAndRedeemsAreVersionsAndASecondRedeemIsNot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("talon-chaos-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let issuer = SigningKey.generate(), alice = SigningKey.generate(), bob = SigningKey.generate()
        let gates = [SigningKey.generate(), SigningKey.generate()]
        let genesis = Genesis(chainID: "snapshot-test", members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2",
                                                                        key: SigningKey.generate().publicKey)],
                              admins: [SigningKey.generate().publicKey], issuers: [.init(key: issuer.publicKey, name: "Issuer")])
        let file = try GenesisFile(bytes: genesis.fileBytes)
        let chain = file.genesis.chainID
        func signed(_ nonce: UInt64, _ op: LedgerOperation, _ key: SigningKey) -> Envelope {
            Envelope(chainID: chain, nonce: nonce, operation: op, signedBy: key)
        }
        let setup = [
            signed(1, .createEvent(CreateEvent(eventID: "EV", name: "Show", venue: "Hall", startsAt: 4_000_000_000_000,
                                              doorsOpenAt: 4_000_000_000_000, capacity: 5, currency: "EUR")), issuer),
            signed(2, .registerGate(RegisterGate(eventID: "EV", gate: gates[0].publicKey, name: "G1", sections: [])), issuer),
            signed(3, .registerGate(RegisterGate(eventID: "EV", gate: gates[1].publicKey, name: "G2", sections: [])), issuer),
            signed(4, .issue(IssueTickets(eventID: "EV", tickets: [
                TicketSpec(ticketID: "T-1", section: "A", seat: "1", faceValue: 100, holder: alice.publicKey)])), issuer),
        ]
        let list = signed(1, .listResale(ListResale(ticketID: "T-1", price: 150, fees: 0)), alice)
        let buy = signed(1, .buyResale(BuyResale(ticketID: "T-1", price: 150, fees: 0)), bob)
        let scans = gates.map { signed(1, .redeem(Redeem(ticketID: "T-1", sequence: 1, scannedAt: 1)), $0) }
        do {
            let ledger = try Ledger(path: dir, genesis: file)
            _ = try ledger.apply(setup, timestamp: 1_000)
            _ = try ledger.apply([list, buy], timestamp: 2_000)
            _ = try ledger.apply(scans, timestamp: 3_000)
            try ledger.sync()
        }

        let snapshot = try LedgerSnapshot.read(node: "n1", store: dir)
        #expect(snapshot.versions.map(\.kind) == ["issue", "buy", "redeem"], "the listing changes no state; the second scan is rejected")
        #expect(snapshot.versions.map(\.envelope) == [setup[3], buy, scans[0]].map(\.hash.hex))
        #expect(snapshot.versions.map(\.value) == [ReadValue(holder: alice.publicKey.text, sequence: 0, status: "active"),
                                                   ReadValue(holder: bob.publicKey.text, sequence: 1, status: "active"),
                                                   ReadValue(holder: bob.publicKey.text, sequence: 1, status: "redeemed")])
        #expect(snapshot.holdings.map(\.sequence) == [0, 1])
        #expect(snapshot.stateMismatches.isEmpty && snapshot.verifyFailure == nil)
    }
}
