import Foundation
import Testing
import TalonProtocol
import TalonLedger
import TalonStore

/// A replicated log's entries are applied exactly once: the entry's index is committed with
/// its block, and an entry handed out again after a restart changes nothing.
@Suite struct LedgerLogIndexTests {
    func event(_ f: LedgerFixture, _ id: String) -> Envelope {
        f.sign(.createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                        doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: f.issuer)
    }

    @Test func anEntryIsAppliedOnceAndItsIndexKept() throws {
        let f = try LedgerFixture()
        #expect(try f.ledger.appliedLogIndex() == 0)
        let e1 = event(f, "E1"), e2 = event(f, "E2")
        #expect(try f.ledger.markApplied(logIndex: 1), "the leader's no-op")
        let first = try #require(try f.ledger.apply([e1], timestamp: 1000, logIndex: 2))
        #expect(first.block?.block.height == 1)
        #expect(try f.ledger.appliedLogIndex() == 2)

        // The same entry again (a restart hands it out once more): nothing happens.
        #expect(try f.ledger.apply([e1], timestamp: 1000, logIndex: 2) == nil)
        #expect(try f.ledger.apply([e2], timestamp: 2000, logIndex: 1) == nil, "an older entry")
        #expect(try !f.ledger.markApplied(logIndex: 2))
        #expect(try f.ledger.head().height == 1)

        let second = try #require(try f.ledger.apply([e2], timestamp: 2000, logIndex: 5))
        #expect(second.block?.block.height == 2)
        #expect(try f.ledger.appliedLogIndex() == 5)
        #expect(try f.ledger.verify().ok)
    }

    /// A resubmitted envelope (same bytes, later entry) is not appended twice: it gets the
    /// receipt of its first appearance, and a duplicate within one batch shares its receipt.
    @Test func anEnvelopeAlreadyInTheLedgerIsNotAppendedAgain() throws {
        let f = try LedgerFixture()
        let e1 = event(f, "E1"), e2 = event(f, "E2")
        let first = try #require(try f.ledger.apply([e1], timestamp: 1000, logIndex: 1))
        let firstReceipt = try #require(first.receipts.first)
        #expect(firstReceipt.result == "ok")

        let again = try #require(try f.ledger.apply([e1], timestamp: 2000, logIndex: 2))
        #expect(again.block == nil, "nothing new: no block")
        #expect(again.receipts == [firstReceipt])
        #expect(try f.ledger.head().height == 1)
        #expect(try f.ledger.appliedLogIndex() == 2, "the entry still counts as applied")

        let mixed = try #require(try f.ledger.apply([e2, e1, e2], timestamp: 3000, logIndex: 3))
        let block = try #require(mixed.block)
        #expect(block.block.entries.count == 1, "only e2 is new, once")
        #expect(mixed.receipts.count == 3)
        #expect(mixed.receipts[0] == mixed.receipts[2])
        #expect(mixed.receipts[0].height == 2 && mixed.receipts[0].result == "ok")
        #expect(mixed.receipts[1] == firstReceipt)
        #expect(try f.ledger.verify().ok)
    }

    @Test func theIndexSurvivesReopening() throws {
        let f = try LedgerFixture()
        try f.ledger.apply([event(f, "E1")], timestamp: 1000, logIndex: 7)
        let reopened = try Ledger(existingAt: f.dir)
        #expect(try reopened.appliedLogIndex() == 7)
        #expect(try reopened.head().height == 1)
    }

    /// The node keeps its Raft log in tables of the ledger's own environment.
    @Test func extraTablesShareTheEnvironment() throws {
        let dir = NSTemporaryDirectory() + "talon-extra-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let f = try LedgerFixture()
        let ledger = try Ledger(path: dir, genesis: f.genesisFile, extraTables: ["raft_log"])
        let table = ledger.environment.table("raft_log")
        try ledger.environment.write { txn in try txn.put(table, [1], [2]) }
        #expect(try ledger.environment.read { txn in try txn.get(table, [1]) } == [2])
        #expect(throws: TalonError(.storeCorrupt)) { try Ledger(path: dir + "-2", genesis: f.genesisFile, extraTables: ["meta"]) }
    }
}
