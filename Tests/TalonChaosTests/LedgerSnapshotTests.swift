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
}
