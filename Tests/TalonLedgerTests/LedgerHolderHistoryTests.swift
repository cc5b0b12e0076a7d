import Testing
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// Holder histories reach `key_sets` in bulk, with the envelope hashes (RecentLeafKeys): the
/// newest leaves' holders wait in `pending_holders` and in memory, and `history(holder:)`
/// answers as if each leaf were filed when applied — across flushes, pages, reopening, a
/// second ledger on the same store and an aborted block.
@Suite struct LedgerHolderHistoryTests {
    /// One ticket passed around three holders `count` times, `perBlock` transfers a block;
    /// returns the holders and, for each, the leaves naming them (computed from the moves:
    /// the issue is leaf 1, the i-th move leaf i + 2).
    static func rounds(_ f: LedgerFixture, _ count: Int, perBlock: Int = 3) throws -> (keys: [SigningKey], expected: [[UInt64]]) {
        let keys = [SigningKey.generate(), SigningKey.generate(), SigningKey.generate()]
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1"], to: keys[0].publicKey)
        var expected: [[UInt64]] = [[1], [], []]
        for start in stride(from: 0, to: count, by: perBlock) {
            let block = (start..<min(count, start + perBlock)).map { i in
                f.sign(.transfer(Transfer(ticketID: "T1", to: keys[(i + 1) % 3].publicKey)), by: keys[i % 3])
            }
            #expect(try f.apply(block).allSatisfy { $0 == "ok" })
            for i in start..<min(count, start + perBlock) {
                expected[i % 3].append(UInt64(i) + 2)
                expected[(i + 1) % 3].append(UInt64(i) + 2)
            }
        }
        return (keys, expected)
    }

    static func history(_ ledger: Ledger, _ key: SigningKey, after: UInt64? = nil, limit: Int = 1000) throws -> [UInt64] {
        try ledger.history(holder: key.publicKey, after: after, limit: limit).map(\.receipt.leaf)
    }

    /// Every page of `limit`, walked with `after`, joined.
    static func paged(_ ledger: Ledger, _ key: SigningKey, limit: Int) throws -> [UInt64] {
        var out: [UInt64] = []
        while true {
            let page = try history(ledger, key, after: out.last, limit: limit)
            out += page
            if page.count < limit { return out }
        }
    }

    /// Past several flushes each holder's history is whole and in order, read at once or
    /// page by page across the mark; `key_sets` holds exactly the leaves below the mark and
    /// `pending_holders` exactly those from it up.
    @Test func historiesAreWholeAcrossFlushes() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 8)
        let (keys, expected) = try Self.rounds(f, 40)
        let mark = try #require(try LedgerEnvelopeIndexTests.mark(f.ledger))
        let size = try f.ledger.head().treeSize
        #expect(mark > 8 && mark < size, "\(mark) of \(size)")
        for (key, leaves) in zip(keys, expected) {
            #expect(try Self.history(f.ledger, key) == leaves)
            for limit in [1, 2, 5] { #expect(try Self.paged(f.ledger, key, limit: limit) == leaves) }
            #expect(try Self.history(f.ledger, key, after: mark - 1, limit: 2) == Array(leaves.filter { $0 >= mark }.prefix(2)))
        }
        let sets = try LedgerMigrationTests.members(f.ledger, f.ledger.tables.keySets)
        #expect(Set(sets.values.flatMap { $0 }) == Set((1..<mark).map { $0 }), "the issue and every move below the mark")
        for (key, leaves) in zip(keys, expected) {
            #expect(sets[key.publicKey.bytes + [1]] == leaves.filter { $0 < mark })
        }
        let pending = try LedgerMigrationTests.rows(f.ledger, f.ledger.tables.pendingHolders)
        #expect(Set(pending.keys) == Set((mark..<size).map { Schema.u64($0) }))
    }

    /// A ledger opened again reads the pending holders back; a second one open on the same
    /// store while the first applies finds the leaves its memory lacks in `pending_holders`.
    @Test func aReopenedOrSecondLedgerFindsPendingHolders() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1_000)
        let (keys, expected) = try Self.rounds(f, 10)
        let second = try Ledger(existingAt: f.dir)
        for (key, leaves) in zip(keys, expected) { #expect(try Self.history(second, key) == leaves) }
        let size = try f.ledger.head().treeSize
        let newcomer = SigningKey.generate()
        // keys[10 % 3] holds the ticket after ten moves.
        let gift = f.sign(.transfer(Transfer(ticketID: "T1", to: newcomer.publicKey)), by: keys[1])
        #expect(try f.apply([gift]) == ["ok"])
        #expect(second.recentKeys.range.upperBound == size, "the second ledger's memory ends where it was opened")
        #expect(try Self.history(second, newcomer) == [size])
        #expect(try Self.history(second, keys[1]) == expected[1] + [size])
        #expect(try Self.history(second, keys[1], after: expected[1].last, limit: 5) == [size])
    }

    /// A transaction that applied a block and then failed leaves no holder behind: the leaf it
    /// used goes to the next block's envelope, filed under that envelope's holders only.
    @Test func anAbortedBlockLeavesNoHolderBehind() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1_000)
        let (keys, _) = try Self.rounds(f, 4)
        let size = try f.ledger.head().treeSize
        let lost = SigningKey.generate(), kept = SigningKey.generate()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try f.ledger.env.write { txn in
                _ = try f.ledger.applyBlock(txn, [f.sign(.transfer(Transfer(ticketID: "T1", to: lost.publicKey)), by: keys[1])], f.clock + 1000)
                throw Abort()
            }
        }
        #expect(try Self.history(f.ledger, lost).isEmpty)
        #expect(try f.apply([f.sign(.transfer(Transfer(ticketID: "T1", to: kept.publicKey)), by: keys[1])]) == ["ok"])
        #expect(try Self.history(f.ledger, kept) == [size])
        #expect(try Self.history(f.ledger, lost).isEmpty)
        #expect(try Self.history(try Ledger(existingAt: f.dir), lost).isEmpty)
    }

    /// A damaged `pending_holders` entry is `store_corrupt` — on open and at a query that
    /// reads it — never a crash or a wrong history.
    @Test func aDamagedPendingEntryIsStoreCorrupt() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1_000)
        let (keys, _) = try Self.rounds(f, 3)
        // Opened before the next leaf: its memory lacks it, so its queries read the table.
        let second = try Ledger(existingAt: f.dir)
        let size = try f.ledger.head().treeSize
        #expect(try f.apply([f.sign(.transfer(Transfer(ticketID: "T1", to: keys[1].publicKey)), by: keys[0])]) == ["ok"])
        try Ledger.store {
            try f.ledger.env.write { txn in try txn.put(f.ledger.tables.pendingHolders, Schema.u64(size), [1, 2, 3]) }
        }
        #expect(throws: TalonError.self) { _ = try Ledger(existingAt: f.dir) }
        do {
            _ = try second.history(holder: keys[0].publicKey)
            Issue.record("a query read a damaged pending entry")
        } catch { #expect(error.code == .storeCorrupt, "\(error)") }
    }

    /// Memory forgets a flushed generation whole and keeps the next: after `drop(below:)`
    /// every held leaf is still found under each of its holders (a reader whose snapshot
    /// predates the flush asks for them), and none below.
    @Test func memoryDropsAGenerationAndKeepsTheNext() {
        let memory = RecentLeafKeys(flushEnvelopes: 8)
        let keys = (0..<3).map { _ in SigningKey.generate().publicKey }
        let holders: [[PublicKey]] = (0..<40).map { (i: Int) -> [PublicKey] in i % 5 == 4 ? [] : [keys[i % 3], keys[(i + 1) % 3]] }
        for (i, h) in holders.enumerated() {
            memory.append(leaf: 100 + UInt64(i), keys: .init(hash: UInt64(i), nonce: 1_000 + UInt64(i), holders: h))
        }
        memory.drop(below: 117)
        #expect(memory.range == 117..<140)
        for key in keys {
            let expected = (17..<40).filter { holders[$0].contains(key) }.map { 100 + UInt64($0) }
            let found = memory.leaves(holder: key, in: 0..<200)
            #expect(found.leaves == expected && found.held == 117..<140)
        }
        #expect(memory.leaves(16, in: 0..<200).leaves.isEmpty && memory.leaves(17, in: 0..<200).leaves == [117])
        #expect(memory.keys(in: 117..<119)?.map(\.holders) == [holders[17], holders[18]] && memory.keys(in: 116..<118) == nil)
    }

    /// Memory keeps a generation per flush: a flush that aborts leaves one run of leaves
    /// (its new generation gone with the leaves cut off), and a drop takes whole generations,
    /// keeping everything after them findable.
    @Test func memoryGenerationsFollowFlushesAndAborts() {
        let memory = RecentLeafKeys(flushEnvelopes: 8)
        let holder = SigningKey.generate().publicKey
        func keys(_ leaf: UInt64) -> RecentLeafKeys.Keys { .init(hash: leaf, nonce: 1_000 + leaf, holders: [holder]) }
        for leaf in UInt64(0)..<10 { memory.append(leaf: leaf, keys: keys(leaf)) }
        memory.startGeneration(at: 10)
        for leaf in UInt64(10)..<20 { memory.append(leaf: leaf, keys: keys(leaf)) }
        // A flush at 20 whose transaction aborts after two more leaves; the store holds 18.
        memory.startGeneration(at: 20)
        for leaf in UInt64(20)..<22 { memory.append(leaf: leaf, keys: keys(leaf)) }
        memory.align(indexed: 10, size: 18) { _ in [] }
        #expect(memory.range == 0..<18)
        #expect(memory.leaves(holder: holder, in: 0..<30).leaves == Array(0..<18))
        memory.append(leaf: 18, keys: keys(18))
        #expect(memory.keys(in: 9..<19)?.map(\.holders).count == 10)
        #expect(memory.keys(in: 17..<19).map { RecentLeafKeys.entries($0, from: 17).map(\.leaf) } == [17, 17, 18, 18])
        memory.drop(below: 10)
        #expect(memory.range == 10..<19)
        #expect(memory.leaves(holder: holder, in: 0..<30).leaves == Array(10..<19))
        #expect(memory.leaves(5, in: 0..<30).leaves.isEmpty && memory.leaves(1_015, in: 0..<30).leaves == [15])
        memory.drop(below: 30)
        #expect(memory.range == 19..<19)
        memory.append(leaf: 19, keys: keys(19))
        #expect(memory.leaves(holder: holder, in: 0..<30).leaves == [19])
    }
}
