import Testing
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// `envelope_hashes` files each flushed leaf under its epoch, then its prefix (schema 13,
/// `EnvelopeHashIndex`), and a filter per era of epochs says which may hold a prefix. Every
/// lookup by hash or by signer and nonce answers as if the table were one, in whichever epoch
/// the leaf sits, from the ledger that flushed it, one opened after, or one opened before.
@Suite struct LedgerHashEpochTests {
    @Test func erasDoubleInEpochs() throws {
        #expect((0..<16).map { EnvelopeHashIndex.era(of: UInt64($0)) } == [0, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4])
        #expect((0..<5).map { EnvelopeHashIndex.firstEpoch(era: $0) } == [0, 1, 3, 7, 15])
        #expect(Schema.hashIndexKey(epoch: 2, prefix: 0x0102_0304_0506_0708) == [0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8], "the epoch, then the prefix")
        let parts = try #require(Schema.hashIndexKeyParts([0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(parts.epoch == 2 && parts.prefix == 0x0102_0304_0506_0708 && Schema.hashIndexKeyParts([1, 2]) == nil)
    }

    /// Never "no" for a key inserted; "maybe" for under 1.5 % of others at capacity (12 bits a
    /// key gives about 0.5 %), whatever the keys look like: counting numbers here, not random ones.
    @Test func theFilterNeverForgetsAndRarelyGuesses() {
        var filter = PrefixFilter(capacity: 50_000)
        for key in UInt64(0)..<50_000 { filter.insert(key) }
        #expect((UInt64(0)..<50_000).allSatisfy { filter.mayContain($0) })
        let wrong = (UInt64(1_000_000)..<1_100_000).count { filter.mayContain($0) }
        #expect(wrong < 1_500, "\(wrong) of 100,000 keys never inserted")
    }

    /// 62 leaves in epochs of 4 (16 epochs, eras 0–4), flushed every 4: every envelope is
    /// found by hash, every nonce spent, by this ledger and one opened after; each entry sits
    /// under its leaf's epoch; and a prefix never filed reads almost no epoch.
    @Test func everyLeafIsFoundInWhicheverEpochItSits() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4, hashEpochLeaves: 4)
        let moves = try LedgerEnvelopeIndexTests.moves(f, 60)
        let mark = try #require(try LedgerEnvelopeIndexTests.mark(f.ledger))
        #expect(mark >= 56, "flushed to within a block and a flush of the 62 leaves: \(mark)")
        let table = try LedgerMigrationTests.members(f.ledger, f.ledger.tables.envelopeHashes)
        for (key, leaves) in table {
            let epoch = try #require(Schema.hashIndexKeyParts(key)).epoch
            #expect(key.count == 12 && leaves.allSatisfy { $0 / 4 == epoch }, "\(key) holds \(leaves)")
        }
        #expect(table.values.flatMap { $0 }.sorted() == Array(0..<mark).flatMap { [$0, $0] })
        for ledger in [f.ledger, try Ledger(existingAt: f.dir)] {
            for (i, envelope) in moves.enumerated() {
                #expect(try ledger.record(hash: envelope.hash)?.receipt.leaf == UInt64(i) + 2)
                #expect(try ledger.nonceUsed(envelope.signer, envelope.nonce))
            }
            #expect(try !ledger.nonceUsed(moves[0].signer, 1_000_000))
        }
        // Without the filters each of these would read all 15 epochs below the mark.
        var rng = SystemRandomNumberGenerator()
        let read = (0..<1_000).reduce(0) { sum, _ in sum + f.ledger.hashIndex.epochs(rng.next(), below: mark).count }
        #expect(read < 1_000, "\(read) epochs read for 1,000 prefixes never filed")
    }

    /// A ledger opened before another one flushes more leaves (another process, a reader) has
    /// filters that do not cover them: it reads their epochs directly and finds them all.
    @Test func aLedgerOpenedBeforeLaterFlushesFindsTheirLeaves() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4, hashEpochLeaves: 4)
        let early = try LedgerEnvelopeIndexTests.moves(f, 9)
        let reader = try Ledger(existingAt: f.dir)
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.issue("E1", ids: ["T2"], to: alice.publicKey)
        var later: [Envelope] = []
        for i in 0..<30 {
            let (from, to) = i % 2 == 0 ? (alice, bob) : (bob, alice)
            let move = f.sign(.transfer(Transfer(ticketID: "T2", to: to.publicKey)), by: from)
            #expect(try f.apply([move]) == ["ok"])
            later.append(move)
        }
        let mark = try #require(try LedgerEnvelopeIndexTests.mark(f.ledger))
        #expect(mark > 30, "the later moves are flushed: \(mark)")
        for envelope in early + later {
            #expect(try reader.record(hash: envelope.hash) == f.ledger.record(hash: envelope.hash))
            #expect(try reader.nonceUsed(envelope.signer, envelope.nonce))
        }
        #expect(try !reader.nonceUsed(alice.publicKey, 1_000_000))
    }

    /// A flush whose transaction aborts leaves its keys in the filters but covers nothing:
    /// when another ledger on the store (another writer) then files those leaves' places with
    /// other envelopes, this one still finds them, reading their epochs directly.
    @Test func anAbortedFlushCoversNothing() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4, hashEpochLeaves: 4)
        _ = try LedgerEnvelopeIndexTests.moves(f, 9)
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.issue("E1", ids: (0..<16).map { "X\($0)" }, to: alice.publicKey)
        func block(_ range: Range<Int>) -> [Envelope] {
            range.map { f.sign(.transfer(Transfer(ticketID: "X\($0)", to: bob.publicKey)), by: alice) }
        }
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try f.ledger.env.write { txn in
                _ = try f.ledger.applyBlock(txn, block(0..<8), f.clock + 1_000)
                throw Abort()
            }
        }
        let other = try Ledger(path: f.dir, genesis: f.genesisFile, hashFlushEnvelopes: 4)
        let filed = block(8..<16)
        #expect(try other.apply(filed, timestamp: f.clock + 2_000).receipts.allSatisfy { $0.result == "ok" })
        let mark = try #require(try LedgerEnvelopeIndexTests.mark(f.ledger))
        #expect(try mark == f.ledger.head().treeSize, "the other ledger flushed them all")
        for envelope in filed {
            #expect(try f.ledger.record(hash: envelope.hash) == other.record(hash: envelope.hash))
            #expect(try f.ledger.nonceUsed(envelope.signer, envelope.nonce))
        }
    }

    /// A schema-12 store (`envelope_hashes` keyed by prefix alone) is re-keyed by epoch when
    /// opened, and every lookup still answers.
    @Test func aSchemaTwelveStoreIsRekeyedByEpoch() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4)
        let moves = try LedgerEnvelopeIndexTests.moves(f, 20)
        let t = f.ledger.tables
        let table = try LedgerMigrationTests.members(f.ledger, t.envelopeHashes)
        #expect(!table.isEmpty)
        try Ledger.store {
            try f.ledger.env.write { txn in
                try txn.removeAll(t.envelopeHashes)
                var old: [[UInt8]: [UInt64]] = [:]
                for (key, leaves) in table { old[Array(key.suffix(8)), default: []] += leaves }
                for (key, leaves) in old.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    for leaf in leaves.sorted() { try txn.append(t.envelopeHashes, key, leaf) }
                }
                try txn.put(t.meta, Schema.MetaKey.schemaVersion, [12])
            }
        }
        // Rebuilt by a replay that flushes at the default size: a store this small is then
        // all in memory, which the lookups read; the table holds the leaves below the mark.
        let reopened = try Ledger(path: f.dir, genesis: f.genesisFile)
        let rekeyed = try LedgerMigrationTests.members(reopened, reopened.tables.envelopeHashes)
        let mark = try LedgerEnvelopeIndexTests.mark(reopened) ?? 0
        #expect(rekeyed.keys.allSatisfy { $0.count == 12 } && rekeyed.values.flatMap { $0 }.sorted() == Array(0..<mark).flatMap { [$0, $0] })
        for (i, envelope) in moves.enumerated() {
            #expect(try reopened.record(hash: envelope.hash)?.receipt.leaf == UInt64(i) + 2)
            #expect(try reopened.nonceUsed(envelope.signer, envelope.nonce))
        }
    }

    /// A key in `envelope_hashes` that is not an epoch and a prefix, or whose epoch lies past
    /// the mark (the last possible one: a filter sized for it would not fit in memory), or an
    /// epoch size in meta that is missing, zero, too large or not 8 bytes, is `store_corrupt`
    /// on open, never a crash.
    @Test(arguments: [nil, [0xff], [], Schema.u64(0), Schema.u64(1 << 40), [1, 2, 3]] as [[UInt8]?])
    func aDamagedIndexIsStoreCorrupt(epochLeaves: [UInt8]?) throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 4)
        _ = try LedgerEnvelopeIndexTests.moves(f, 6)
        try Ledger.store {
            try f.ledger.env.write { txn in
                switch epochLeaves {
                case nil: try txn.append(f.ledger.tables.envelopeHashes, [1, 2, 3], 0)
                case [0xff]?: try txn.append(f.ledger.tables.envelopeHashes, Schema.hashIndexKey(epoch: UInt64(UInt32.max), prefix: 7), 0)
                case []?: _ = try txn.delete(f.ledger.tables.meta, Schema.MetaKey.hashEpochLeaves)
                case let bytes?: try txn.put(f.ledger.tables.meta, Schema.MetaKey.hashEpochLeaves, bytes)
                }
            }
        }
        do {
            _ = try Ledger(existingAt: f.dir)
            Issue.record("opened a store with a damaged hash index")
        } catch { #expect(error.code == .storeCorrupt, "\(error)") }
    }
}
