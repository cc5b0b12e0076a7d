import Testing
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// Envelope hashes reach `envelope_hashes` in bulk (RecentLeafKeys): the newest are
/// found in memory, or by hashing stored envelopes, so every lookup by hash — repeats at
/// admission and apply, `record(hash:)` — answers as if each were indexed when applied.
@Suite struct LedgerEnvelopeIndexTests {
    /// `count` transfers of one ticket back and forth, applied `perBlock` to a block.
    static func moves(_ f: LedgerFixture, _ count: Int, perBlock: Int = 3) throws -> [Envelope] {
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1"], to: alice.publicKey)
        var all: [Envelope] = []
        for start in stride(from: 0, to: count, by: perBlock) {
            let block = (start..<min(count, start + perBlock)).map { i in
                let (from, to) = i % 2 == 0 ? (alice, bob) : (bob, alice)
                return f.sign(.transfer(Transfer(ticketID: "T1", to: to.publicKey)), by: from)
            }
            #expect(try f.apply(block).allSatisfy { $0 == "ok" })
            all += block
        }
        return all
    }

    static func mark(_ ledger: Ledger) throws -> UInt64? {
        try ledger.read { txn in try ledger.indexedThrough(txn) }
    }

    static func indexedLeaves(_ ledger: Ledger) throws -> [UInt64] {
        try LedgerMigrationTests.members(ledger, ledger.tables.envelopeHashes).values.flatMap { $0 }.sorted()
    }

    /// Past several flushes, every envelope is found at its leaf; the index holds exactly the
    /// leaves below the mark (each twice: under its hash and under its signer and nonce),
    /// which moves a flush at a time; resubmitting any of them (in an
    /// entry of the write path, next to a new one) appends nothing new for it.
    @Test func everyEnvelopeIsFoundAcrossFlushes() throws {
        // Flushes at the blocks that cross a multiple of 7 (sizes 8, 14, 23 and 29 of 32).
        let f = try LedgerFixture(hashFlushEnvelopes: 7)
        let moves = try Self.moves(f, 30)
        let size = try f.ledger.head().treeSize
        #expect(size == 32)
        let mark = try #require(try Self.mark(f.ledger))
        #expect(mark > 0 && mark < size && size - mark < 7 + 3, "flushed in blocks of 3 every 7: \(mark)")
        #expect(try Self.indexedLeaves(f.ledger) == Array(0..<mark).flatMap { [$0, $0] })
        // Memory holds the leaves above the mark and the generation before it, no more.
        let held = f.ledger.recentKeys.range
        #expect(held.upperBound == size && held.lowerBound < mark && held.count <= 2 * (7 + 3), "\(held)")
        for (i, envelope) in moves.enumerated() {
            #expect(try f.ledger.record(hash: envelope.hash)?.receipt.leaf == UInt64(i) + 2)
        }
        let fresh = f.sign(.createEvent(CreateEvent(eventID: "E2", name: "Two", venue: "Arena", startsAt: 1_900_000_000_000,
                                                    doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: f.issuer)
        let again = [moves[0], moves[17], fresh, moves[29]]
        #expect(try f.ledger.admit(again, for: .forward).map { if case .known = $0 { true } else { false } } == [true, true, false, true])
        let applied = try #require(try f.ledger.apply(again, timestamp: f.clock + 1000, logIndex: 1))
        #expect(applied.receipts.map(\.leaf) == [2, 19, size, 31], "only the new envelope took a leaf")
    }

    /// A ledger opened again, or a second one open on the same store while the first applies,
    /// finds the envelopes the index does not hold yet (read back from the store on open, or
    /// hashed from it when another writer added them).
    @Test func aReopenedOrSecondLedgerFindsUnindexedEnvelopes() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1_000)
        let first = try Self.moves(f, 10)
        #expect(try Self.indexedLeaves(f.ledger).isEmpty)
        let second = try Ledger(existingAt: f.dir)
        for envelope in first { #expect(try second.record(hash: envelope.hash) == f.ledger.record(hash: envelope.hash)) }
        let bob = SigningKey.generate()
        try f.issue("E1", ids: ["T2"], to: bob.publicKey)
        let later = f.sign(.transfer(Transfer(ticketID: "T2", to: SigningKey.generate().publicKey)), by: bob)
        #expect(try f.apply([later]) == ["ok"])
        #expect(try second.record(hash: later.hash)?.receipt.leaf == f.ledger.head().treeSize - 1)
        #expect(try second.admit([later], for: .forward).first.map { if case .known = $0 { true } else { false } } == true)
    }

    /// A transaction that applied a block and then failed leaves no trace in memory: the
    /// leaves it used go to the next block's envelopes, and only those are found there.
    @Test func anAbortedBlockLeavesNoHashBehind() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1_000)
        _ = try Self.moves(f, 4)
        let size = try f.ledger.head().treeSize
        let carol = SigningKey.generate()
        try f.issue("E1", ids: ["T3"], to: carol.publicKey)
        let lost = f.sign(.transfer(Transfer(ticketID: "T3", to: SigningKey.generate().publicKey)), by: carol)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try f.ledger.env.write { txn in
                _ = try f.ledger.applyBlock(txn, [lost], f.clock + 1000)
                throw Abort()
            }
        }
        #expect(try f.ledger.record(hash: lost.hash) == nil)
        let kept = f.sign(.transfer(Transfer(ticketID: "T3", to: SigningKey.generate().publicKey)), by: carol)
        #expect(try f.apply([kept]) == ["ok"])
        #expect(try f.ledger.record(hash: kept.hash)?.receipt.leaf == size + 1)
        #expect(try f.ledger.record(hash: lost.hash) == nil)
        #expect(try f.ledger.admit([lost], for: .forward).first.map { if case .known = $0 { true } else { false } } == false)
    }

    /// Several entries applied in one write group (a node's turn) see each other's
    /// envelopes: a repeat in the second of an envelope the first appended is known.
    @Test func entriesOfOneGroupSeeEachOthersEnvelopes() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4)
        let alice = SigningKey.generate()
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1", "T2"], to: alice.publicKey)
        let one = f.sign(.transfer(Transfer(ticketID: "T1", to: SigningKey.generate().publicKey)), by: alice)
        let two = f.sign(.transfer(Transfer(ticketID: "T2", to: SigningKey.generate().publicKey)), by: alice)
        let (a, b) = try f.ledger.environment.group {
            let a = try f.ledger.apply([one], timestamp: f.clock + 1000, logIndex: 1)
            let b = try f.ledger.apply([two, one], timestamp: f.clock + 2000, logIndex: 2)
            return (a, b)
        }
        let first = try #require(a?.receipts.first)
        #expect(b?.receipts.map(\.leaf) == [first.leaf + 1, first.leaf])
        #expect(try f.ledger.record(hash: one.hash)?.receipt == first)
    }
}

extension LedgerEnvelopeIndexTests {
    /// A damaged mark (past the tree, or not 8 bytes) is `store_corrupt` — on open, at
    /// lookups and at apply — never a crash, and nothing is written.
    @Test(arguments: [[UInt8](repeating: 0xff, count: 8), [1, 2, 3]])
    func aDamagedMarkIsStoreCorrupt(mark: [UInt8]) throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1_000)
        let moves = try Self.moves(f, 3)
        try Ledger.store { try f.ledger.env.write { txn in try txn.put(f.ledger.tables.meta, Schema.MetaKey.indexedThrough, mark) } }
        let height = try f.ledger.head().height
        #expect(throws: TalonError.self) { _ = try Ledger(existingAt: f.dir) }
        do {
            _ = try f.ledger.record(hash: moves[0].hash)
            Issue.record("a lookup read a damaged mark")
        } catch { #expect(error.code == .storeCorrupt, "\(error)") }
        do {
            try f.apply([moves[0]])
            Issue.record("apply read a damaged mark")
        } catch let error as TalonError { #expect(error.code == .storeCorrupt, "\(error)") }
        #expect(try f.ledger.head().height == height)
    }
}

/// A signer's spent nonces are found through `envelope_hashes` (schema 11): each leaf is filed
/// there under its signer and nonce too, in bulk with its hash, so a nonce spent by any leaf —
/// in the index, in memory, earlier in the same block — refuses the next envelope that uses it.
extension LedgerEnvelopeIndexTests {
    /// An envelope by `key` with `nonce`: a transfer of `ticket` to a stranger.
    static func reuse(_ f: LedgerFixture, _ key: SigningKey, nonce: UInt64, ticket: String = "T1") -> Envelope {
        Envelope(chainID: f.chainID, nonce: nonce, operation: .transfer(Transfer(ticketID: ticket, to: SigningKey.generate().publicKey)),
                 signedBy: key)
    }

    @Test func aSpentNonceIsRefusedWhereverItsLeafIsIndexed() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 7)
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1"], to: alice.publicKey)
        var moves: [Envelope] = []
        for start in stride(from: 0, to: 30, by: 3) {
            let block = (start..<start + 3).map { i in
                i % 2 == 0 ? f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
                           : f.sign(.transfer(Transfer(ticketID: "T1", to: alice.publicKey)), by: bob)
            }
            #expect(try f.apply(block).allSatisfy { $0 == "ok" })
            moves += block
        }
        let mark = try #require(try Self.mark(f.ledger))
        let size = try f.ledger.head().treeSize
        // Leaf 2 (moves[0], alice's) is in the table, leaf 31 (moves[29], bob's) in memory.
        #expect(2 < mark && 31 >= mark && size == 32, "mark \(mark), size \(size)")
        for ledger in [f.ledger, try Ledger(existingAt: f.dir)] {
            for e in moves { #expect(try ledger.nonceUsed(e.signer, e.nonce), "nonce \(e.nonce)") }
            #expect(try !ledger.nonceUsed(alice.publicKey, 1_000_000))
            #expect(try !ledger.nonceUsed(bob.publicKey, moves[0].nonce), "alice's nonce, not bob's")
        }
        // The nonce is checked before the rules: a reuse is refused whoever holds the ticket.
        #expect(try f.apply([Self.reuse(f, alice, nonce: moves[0].nonce), Self.reuse(f, bob, nonce: moves[29].nonce),
                             Self.reuse(f, alice, nonce: moves[14].nonce)]) == ["nonce_reused", "nonce_reused", "nonce_reused"])
        #expect(try f.apply([Self.reuse(f, alice, nonce: 1_000_000)]) == ["ok"])
        #expect(try f.ledger.head().treeSize == size + 4)
    }

    @Test func aNonceSpentEarlierInTheSameBlockOrGroupIsRefused() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4)
        let alice = SigningKey.generate()
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1", "T2", "T3"], to: alice.publicKey)
        let first = Self.reuse(f, alice, nonce: 77, ticket: "T1"), second = Self.reuse(f, alice, nonce: 77, ticket: "T2")
        #expect(try f.apply([first, second]) == ["ok", "nonce_reused"])
        let third = Self.reuse(f, alice, nonce: 78, ticket: "T3"), fourth = Self.reuse(f, alice, nonce: 78, ticket: "T2")
        let (a, b) = try f.ledger.environment.group {
            (try f.ledger.apply([third], timestamp: f.clock + 1000, logIndex: 1), try f.ledger.apply([fourth], timestamp: f.clock + 2000, logIndex: 2))
        }
        #expect(a?.receipts.map(\.result) == ["ok"] && b?.receipts.map(\.result) == ["nonce_reused"])
    }

    /// An envelope of another chain (`wrong_chain`) spends no nonce, in memory or in the index;
    /// nor does a block whose transaction was thrown away.
    @Test func wrongChainAndAbortedBlocksSpendNothing() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4)
        let alice = SigningKey.generate()
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1", "T2"], to: alice.publicKey)
        let foreign = Envelope(chainID: "another-chain", nonce: 5, operation: .transfer(Transfer(ticketID: "T1", to: alice.publicKey)),
                               signedBy: alice)
        #expect(try f.ledger.apply([foreign], timestamp: f.clock + 1000).receipts.map(\.result) == ["wrong_chain"])
        #expect(try !f.ledger.nonceUsed(alice.publicKey, 5))
        struct Abort: Error {}
        let lost = Self.reuse(f, alice, nonce: 6, ticket: "T1")
        #expect(throws: Abort.self) {
            try f.ledger.env.write { txn in
                _ = try f.ledger.applyBlock(txn, [lost], f.clock + 2000)
                throw Abort()
            }
        }
        #expect(try !f.ledger.nonceUsed(alice.publicKey, 6))
        // Past a flush: the foreign leaf is in the index now.
        for i in 0..<6 { try f.issue("E1", ids: ["X\(i)"], to: alice.publicKey) }
        let foreignLeaf = try #require(try f.ledger.record(hash: foreign.hash)?.receipt.leaf)
        #expect(try Self.mark(f.ledger).map { $0 > foreignLeaf } == true)
        #expect(try !f.ledger.nonceUsed(alice.publicKey, 5))
        #expect(try f.apply([Self.reuse(f, alice, nonce: 5, ticket: "T2"), Self.reuse(f, alice, nonce: 5, ticket: "X0"),
                             Self.reuse(f, alice, nonce: 6, ticket: "T1")]) == ["ok", "nonce_reused", "ok"])
    }
}
