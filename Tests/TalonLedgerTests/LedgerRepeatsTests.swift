import Testing
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// An envelope is identified by its hash, and the write path has one rule for repeats
/// (`Ledger.firstReceipt`): admission answers one already in the ledger with the receipt of
/// its first leaf, and apply never appends it again.
@Suite struct LedgerRepeatsTests {
    /// A holder who sold their ticket resubmits the transfer that sold it (a retry after a
    /// lost answer, or a replay): it is the same envelope, so it gets its first receipt, at
    /// both stages, and is never proposed again; nothing about it is judged a second time.
    @Test func aResubmissionIsAnsweredWithItsFirstReceipt() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent("E1")
        #expect(try f.issue("E1", ids: ["T1"], to: alice.publicKey) == "ok")
        let sale = f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
        let first = try #require(try f.ledger.apply([sale], timestamp: 1, logIndex: nil))
        let receipt = try #require(first.receipts.first)
        #expect(receipt.result == "ok")

        for stage in [AdmissionStage.forward, .propose] {
            #expect(try f.ledger.admit([sale], for: stage) == [.known(receipt)], "\(stage)")
        }
        // A new envelope is judged now: one from a key that never held a ticket is refused.
        let stranger = SigningKey.generate()
        let grab = f.sign(.transfer(Transfer(ticketID: "T1", to: stranger.publicKey)), by: stranger)
        let outcomes = try f.ledger.admit([sale, grab], for: .propose)
        #expect(outcomes.first == .known(receipt))
        guard case .refused(let error) = outcomes.last else { Issue.record("admitted \(outcomes)"); return }
        #expect(error.code == .notAuthorized || error.code == .notHolder, "\(error)")
    }

    /// Envelope hashes are found by an 8-byte prefix, then checked whole against the stored
    /// envelope: a leaf whose hash merely shares the prefix (forced here; finding one takes
    /// some 2^32 hashes) is never taken for the envelope, which is still judged and applied.
    @Test func aHashSharingOnlyTheEightBytePrefixIsNotARepeat() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1)
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent("E1")
        #expect(try f.issue("E1", ids: ["T1"], to: alice.publicKey) == "ok")
        let sale = f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
        // Leaf 0 (the event, indexed since every block is flushed) now shares the sale's
        // prefix, filed as a flush files it: in the table and the filters.
        try Ledger.store {
            try f.ledger.env.write { txn in
                try f.ledger.hashIndex.write(txn, f.ledger.tables.envelopeHashes, [(Schema.hashPrefixValue(sale.hash), 0)], indexed: 2, size: 2)
            }
        }
        #expect(f.ledger.hashIndex.epochs(Schema.hashPrefixValue(sale.hash), below: 2) == [0], "the lookup reads the leaf")
        #expect(try f.ledger.record(hash: sale.hash) == nil)
        #expect(try f.ledger.admit([sale], for: .propose).first.map { if case .known = $0 { false } else { true } } == true)
        let applied = try #require(try f.ledger.apply([sale], timestamp: 1, logIndex: nil))
        let receipt = try #require(applied.receipts.first)
        #expect(receipt.result == "ok" && receipt.leaf == 2)
        #expect(try f.ledger.record(hash: sale.hash)?.receipt == receipt)
        #expect(try f.ledger.admit([sale], for: .propose) == [.known(receipt)])
    }

    /// The single-process path goes through the same apply: appending the same file twice
    /// adds nothing, and a repeat within one batch shares the first one's receipt.
    @Test func theSingleProcessPathDropsRepeatsLikeTheNodes() throws {
        let f = try LedgerFixture()
        let e1 = f.sign(.createEvent(CreateEvent(eventID: "E1", name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                                 doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: f.issuer)
        let once = try #require(try f.ledger.apply([e1, e1], timestamp: 1, logIndex: nil))
        #expect(once.block?.block.entries.count == 1)
        #expect(once.receipts.count == 2 && once.receipts[0] == once.receipts[1])
        let twice = try #require(try f.ledger.apply([e1], timestamp: 2, logIndex: nil))
        #expect(twice.block == nil && twice.receipts == [once.receipts[0]])
        #expect(try f.ledger.head().height == 1 && f.ledger.appliedLogIndex() == 0, "no log index is recorded")
    }

    /// What makes an envelope fail admission or a block abort is decided by its code alone.
    @Test func rejectOrAbortFollowsTheCode() {
        for code in Code.allCases {
            #expect((code.atApply == .recorded) == code.uses.contains(.result), "\(code)")
            #expect((code.atAdmission == .failsSubmission) == (code.kind == .fault || code.kind == .insufficientStorage), "\(code)")
        }
        #expect(Code.notHolder.atApply == .recorded && Code.storeMapFull.atApply == .aborts)
        #expect(Code.badSignature.atAdmission == .refusesEnvelope && Code.storeCorrupt.atAdmission == .failsSubmission
                && Code.storeFull.atAdmission == .failsSubmission)
    }
}
