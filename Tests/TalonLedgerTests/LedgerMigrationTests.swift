import Foundation
import Testing
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// A store written before contracts (schema 1) has no holdings; opening it rebuilds them
/// exactly as applying the same envelopes counts them live.
@Suite struct LedgerMigrationTests {
    /// Every row of the holdings table, in key order.
    static func holdings(_ ledger: Ledger) throws -> [[UInt8]: [UInt8]] {
        var rows: [[UInt8]: [UInt8]] = [:]
        try ledger.read { txn in
            try txn.scan(ledger.tables.holdings) { key, value in rows[Array(key)] = Array(value); return true }
        }
        return rows
    }

    @Test func holdingsOfASchemaOneStoreAreRebuiltAsLiveApplyCountsThem() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
        try f.createEvent()
        try f.issue(ids: ["T1", "T2", "T3", "T4"], to: alice.publicKey)
        try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
        try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: bob)
        try f.run(.transfer(Transfer(ticketID: "T9", to: carol.publicKey)), by: bob)          // rejected: no such ticket
        try f.run(.listResale(ListResale(ticketID: "T2", price: 100, fees: 0)), by: alice)
        try f.run(.buyResale(BuyResale(ticketID: "T2", price: 100)), by: bob)
        try f.run(.void(VoidTicket(ticketID: "T3", reason: "")), by: f.issuer)
        let live = try Self.holdings(f.ledger)
        #expect(live.count == 3, "alice, bob and carol hold or held tickets of E1")

        // Make it look like a schema-1 store: no holdings, version 1.
        try Ledger.store {
            try f.ledger.env.write { txn in
                for key in live.keys { _ = try txn.delete(f.ledger.tables.holdings, key) }
                try txn.put(f.ledger.tables.meta, Schema.MetaKey.schemaVersion, [1])
            }
        }
        #expect(try Self.holdings(f.ledger).isEmpty)
        let reopened = try Ledger(path: f.dir, genesis: f.genesisFile)
        #expect(try Self.holdings(reopened) == live)
        let version = try reopened.read { txn in try txn.get(reopened.tables.meta, Schema.MetaKey.schemaVersion) }
        #expect(version == [Schema.schemaVersion])
    }

    @Test func aStoreWhoseBlocksDoNotReplayIsNotMigrated() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent()
        try f.issue(ids: ["T1"], to: alice.publicKey)
        #expect(try f.run(.transfer(Transfer(ticketID: "T9", to: bob.publicKey)), by: alice) == "unknown_ticket")
        // Block 3 now claims the rejected transfer went through (its hash and every later
        // prev recomputed), and the store says schema 3.
        try Ledger.store {
            try f.ledger.env.write { txn in
                guard var block = try f.ledger.tables.blocks.get(txn, 3) else { throw TalonError(.storeCorrupt) }
                block.entries[0].result = "ok"
                try f.ledger.tables.blocks.put(txn, 3, block)
                try txn.put(f.ledger.tables.meta, Schema.MetaKey.schemaVersion, [3])
            }
        }
        #expect(throws: TalonError(.storeCorrupt)) { try Ledger(path: f.dir, genesis: f.genesisFile) }
        let version = try f.ledger.read { txn in try txn.get(f.ledger.tables.meta, Schema.MetaKey.schemaVersion) }
        #expect(version == [3], "a refused migration leaves the store as it was")
    }

    /// Every row of `table`, by key.
    static func rows(_ ledger: Ledger, _ table: Table) throws -> [[UInt8]: [UInt8]] {
        var rows: [[UInt8]: [UInt8]] = [:]
        try ledger.read { txn in
            try txn.scan(table) { key, value in rows[Array(key)] = Array(value); return true }
        }
        return rows
    }

    /// Schema 1 had no holdings and no audit rows; schema 2 keyed holdings by holder first and
    /// had no audit rows; schema 3 had no event_tickets index. Each is rebuilt, byte for byte,
    /// as live apply wrote them.
    @Test(arguments: [UInt8(1), 2, 3]) func derivedTablesAreRebuiltFromAnOlderSchema(version: UInt8) throws {
        let f = try LedgerFixture()
        try LedgerAuditTests.build(f, .init())
        let holdings = try Self.holdings(f.ledger), audit = try Self.rows(f.ledger, f.ledger.tables.audit)
        let eventTickets = try Self.rows(f.ledger, f.ledger.tables.eventTickets)
        #expect(holdings.count == 3 && audit.count == 10, "3 holders; 4 listings, 4 buys and 2 redeems of existing tickets")
        #expect(eventTickets.count == 4, "T1–T4 of E1")
        try Ledger.store {
            try f.ledger.env.write { txn in
                try txn.removeAll(f.ledger.tables.eventTickets)
                try txn.removeAll(f.ledger.tables.audit)
                try txn.removeAll(f.ledger.tables.holdings)
                // Schema 2 kept holdings under key + event: a leftover row in that layout must go.
                if version == 2 { try txn.put(f.ledger.tables.holdings, Array(repeating: 7, count: 32) + Schema.id("E1"), [0, 0, 0, 1, 0, 0, 0, 1]) }
                try txn.put(f.ledger.tables.meta, Schema.MetaKey.schemaVersion, [version])
            }
        }
        let reopened = try Ledger(path: f.dir, genesis: f.genesisFile)
        #expect(try Self.holdings(reopened) == holdings)
        #expect(try Self.rows(reopened, reopened.tables.audit) == audit)
        #expect(try Self.rows(reopened, reopened.tables.eventTickets) == eventTickets)
    }

    /// Schema 4 keyed Merkle nodes by level, then index; 5 by post-order position; 7 stopped
    /// storing the leaves. The nodes are rebuilt under the new keys, leaves dropped, and
    /// proofs and the head check out after.
    @Test func merkleNodesOfASchemaFourStoreAreRekeyed() throws {
        let f = try LedgerFixture()
        try LedgerAuditTests.build(f, .init())
        let nodes = try Self.rows(f.ledger, f.ledger.tables.merkle)
        let head = try f.ledger.head()
        #expect(nodes.count == Int(head.treeSize) - head.treeSize.nonzeroBitCount, "every completed node above the leaves, once")
        try Ledger.store {
            try f.ledger.env.write { txn in
                try txn.removeAll(f.ledger.tables.merkle)
                for (key, hash) in nodes {
                    // Back to schema 4's key: u8 level, u64 index (found by looking the key up).
                    guard let (level, index) = Self.levelAndIndex(of: key, treeSize: head.treeSize) else { throw TalonError(.storeCorrupt) }
                    try txn.put(f.ledger.tables.merkle, [UInt8(level)] + Schema.u64(index), hash)
                }
                // Schema 4 stored the leaves too.
                for leaf in 0..<head.treeSize {
                    guard let envelope = try txn.get(f.ledger.tables.envelopes.table, Schema.u64(leaf)) else { throw TalonError(.storeCorrupt) }
                    try txn.put(f.ledger.tables.merkle, [0] + Schema.u64(leaf), MerkleHash.leaf(envelope).bytes)
                }
                try txn.put(f.ledger.tables.meta, Schema.MetaKey.schemaVersion, [4])
            }
        }
        let reopened = try Ledger(path: f.dir, genesis: f.genesisFile)
        #expect(try Self.rows(reopened, reopened.tables.merkle) == nodes)
        #expect(try reopened.verify().ok)
    }

    /// Every member of `set`, by key.
    static func members(_ ledger: Ledger, _ set: SetTable) throws -> [[UInt8]: [UInt64]] {
        var members: [[UInt8]: [UInt64]] = [:]
        try ledger.read { txn in
            try txn.scan(set) { key, member in members[key, default: []].append(member); return true }
        }
        return members
    }

    /// Schema 5 kept nonces and holder histories as entries of `accounts`, ticket histories
    /// as one entry per leaf after the ticket's state in `tickets`, event histories in
    /// `event_records` and envelope hashes whole in `envelope_index`. Opening such a store
    /// fills the set tables and the ticket history runs as live apply does, and drops the old
    /// tables.
    @Test func historiesAndNoncesOfASchemaFiveStoreAreRepacked() throws {
        let f = try LedgerFixture()
        try LedgerAuditTests.build(f, .init())
        let t = f.ledger.tables
        let sets = [t.keySets, t.eventHistory, t.envelopeHashes]
        let live = try sets.map { try Self.members(f.ledger, $0) }
        let pending = try Self.rows(f.ledger, t.pendingHolders)
        let tickets = try Self.rows(f.ledger, t.tickets)
        // Split `tickets` into states and history runs (u8 len, id, 0x00, u32 run -> leaves).
        var runs: [[UInt8]: [UInt64]] = [:]
        for (key, value) in tickets where key.count > Int(key[0]) + 1 {
            let ticket = Array(key.prefix(Int(key[0]) + 1))
            runs[ticket, default: []] += stride(from: 0, to: value.count, by: 8).compactMap { Schema.u64(value[$0..<$0 + 8]) }
        }
        // Envelope hashes and holder histories reach `envelope_hashes` and `key_sets` in bulk
        // (RecentLeafKeys): a store this small keeps them in memory and its holders in
        // `pending_holders`, and the lookups below check them.
        #expect(live[0].isEmpty && !live[1].isEmpty && live[2].isEmpty && !pending.isEmpty)
        #expect(tickets.count - runs.count == 4, "4 states")
        let holders = try Set(pending.values.flatMap { try #require(Schema.holders($0)) })
        let histories = try holders.map { try f.ledger.history(holder: $0) }
        #expect(histories.allSatisfy { !$0.isEmpty })
        #expect(runs[Schema.ticketKey("T9")] != nil, "a rejected attempt on a ticket that does not exist is in its history")
        let t1 = try f.ledger.history(ticket: "T1"), e1 = try f.ledger.records(event: "E1")
        #expect(t1.count >= 3 && e1.count > t1.count)
        #expect(t1.map(\.receipt.leaf) == runs[Schema.ticketKey("T1")])
        // Back to schema 5's layout.
        let old = try Environment(path: f.dir, tables: Schema.retired + ["envelopes"])
        try Ledger.store {
            try old.write { txn in
                let accounts = old.table("accounts"), events = old.table("event_records"), index = old.table("envelope_index")
                for leaf in 0..<(try f.ledger.head().treeSize) {
                    guard let envelope = try txn.get(old.table("envelopes"), Schema.u64(leaf)) else { throw TalonError(.storeCorrupt) }
                    try txn.put(index, SHA256.hash(envelope).bytes, Schema.u64(leaf))
                }
                // `accounts` keyed a holder's history by key, kind 1 and leaf.
                for (leaf, keys) in pending {
                    for holder in try #require(Schema.holders(keys)) {
                        try txn.put(accounts, holder.bytes + [1] + leaf, Array("T1".utf8))
                    }
                }
                for (event, leaves) in live[1] {
                    for leaf in leaves { try txn.put(events, event + Schema.u64(leaf), []) }
                }
            }
            try f.ledger.env.write { txn in
                for set in sets { try txn.removeAll(set) }
                try txn.removeAll(t.pendingHolders)
                for (key, _) in tickets where key.count > Int(key[0]) + 1 { try txn.delete(t.tickets, key) }
                for (ticket, leaves) in runs {
                    for leaf in leaves { try txn.put(t.tickets, ticket + Schema.u64(leaf), []) }
                }
                try txn.put(t.meta, Schema.MetaKey.schemaVersion, [5])
            }
        }
        let reopened = try Ledger(path: f.dir, genesis: f.genesisFile)
        #expect(try sets.map { try Self.members(reopened, $0) } == live)
        #expect(try Self.rows(reopened, reopened.tables.tickets) == tickets)
        #expect(try Self.rows(reopened, reopened.tables.pendingHolders) == pending)
        #expect(try holders.map { try reopened.history(holder: $0) } == histories)
        #expect(try reopened.history(ticket: "T1") == t1)
        #expect(try reopened.records(event: "E1") == e1)
        #expect(try e1.allSatisfy { try reopened.record(hash: $0.envelope.hash) == $0 })
        let dropped = try Ledger.store {
            try reopened.env.write { txn in try Schema.retired.map { try txn.dropTable(named: $0) } }
        }
        #expect(dropped.count == Schema.retired.count && !dropped.contains(true), "the old tables are gone")
        #expect(try reopened.verify().ok)
    }

    /// `key_sets` holds a key's holder history (key, 1): a transfer adds its leaf to both
    /// holders' (in bulk: here every block is flushed). Since schema 11 no key has a nonce set
    /// (key, 0) there: a spent nonce is found through `envelope_hashes`, by the envelope that
    /// spent it.
    @Test func keySetsHoldHolderHistoriesAndNoNonces() throws {
        let f = try LedgerFixture(hashFlushEnvelopes: 1)
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent("E1")
        try f.issue("E1", ids: ["T1"], to: alice.publicKey)
        let sale = f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice)
        #expect(try f.apply([sale]) == ["ok"])
        let sets = try Self.members(f.ledger, f.ledger.tables.keySets)
        #expect(sets[alice.publicKey.bytes + [1]] == [1, 2], "the issue to her (leaf 1), her sale (leaf 2)")
        #expect(sets[bob.publicKey.bytes + [1]] == [2])
        #expect(!sets.keys.contains { $0.last == 0 }, "no nonce sets: \(sets.keys)")
        #expect(try f.ledger.nonceUsed(alice.publicKey, sale.nonce) && !f.ledger.nonceUsed(bob.publicKey, sale.nonce))
        #expect(try f.ledger.nonceUsed(f.issuer.publicKey, sale.nonce - 1) && !f.ledger.nonceUsed(alice.publicKey, sale.nonce + 1))
        #expect(try f.ledger.history(holder: alice.publicKey).map(\.receipt.leaf) == [1, 2])
        #expect(try Self.rows(f.ledger, f.ledger.tables.pendingHolders).isEmpty, "a flush leaves no holder pending")
    }

    /// A ticket's history is kept in runs of `leavesPerRun` leaves; one moved more often than
    /// that spans several runs, read back in order and page by page.
    @Test func aLongTicketHistorySpansRuns() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent()
        try f.issue(ids: ["T1"], to: alice.publicKey)
        let moves = TicketHistory.leavesPerRun * 2 + 3
        for i in 0..<moves {
            let (from, to) = i % 2 == 0 ? (alice, bob) : (bob, alice)
            #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: to.publicKey)), by: from) == "ok")
        }
        let all = try f.ledger.history(ticket: "T1", limit: 10_000)
        #expect(all.count == moves + 1, "the issue and every transfer")
        #expect(all.map(\.receipt.leaf) == all.map(\.receipt.leaf).sorted())
        let runs = try Self.rows(f.ledger, f.ledger.tables.tickets).keys.filter { $0.count > Schema.ticketKey("T1").count }
        #expect(runs.count == 3)
        let middle = all[TicketHistory.leavesPerRun - 2].receipt.leaf
        let page = try f.ledger.history(ticket: "T1", after: middle, limit: 5)
        #expect(page == Array(all[(TicketHistory.leavesPerRun - 1)..<(TicketHistory.leavesPerRun + 4)]))
        #expect(try f.ledger.provenance(ticket: "T1")?.steps.count == moves + 1)
    }

    /// A ticket named before it exists (the attempt is rejected, and recorded) keeps that
    /// leaf first in its history once it is issued and moved past a run's worth of leaves.
    @Test func leavesFromBeforeATicketExistedComeFirst() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent()
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "unknown_ticket")
        try f.issue(ids: ["T1"], to: alice.publicKey)
        let moves = TicketHistory.leavesPerRun + 6
        for i in 0..<moves {
            let (from, to) = i % 2 == 0 ? (alice, bob) : (bob, alice)
            #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: to.publicKey)), by: from) == "ok")
        }
        let all = try f.ledger.history(ticket: "T1", limit: 10_000)
        #expect(all.count == moves + 2 && all.first?.receipt.result == "unknown_ticket")
        #expect(all.map(\.receipt.leaf) == all.map(\.receipt.leaf).sorted())
        let page = try f.ledger.history(ticket: "T1", after: all[0].receipt.leaf, limit: 3)
        #expect(page == Array(all[1..<4]))
        #expect(try f.ledger.provenance(ticket: "T1")?.steps.count == moves + 2)
    }

    /// Within one block: an attempt on a ticket that does not exist yet, its issue, then a
    /// transfer of it and a second issue — each sees the ticket as the one before left it,
    /// whatever the block read earlier, and its history holds every leaf in order.
    @Test func aTicketNamedIssuedAndMovedInOneBlock() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent()
        let spec = { (id: String) in TicketSpec(ticketID: id, section: "A", seat: "1", faceValue: 100, holder: alice.publicKey) }
        let results = try f.apply([
            f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice),
            f.sign(.issue(IssueTickets(eventID: "E1", tickets: [spec("T1"), spec("T2")])), by: f.issuer),
            f.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice),
            f.sign(.transfer(Transfer(ticketID: "T1", to: alice.publicKey)), by: alice),
            f.sign(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), by: alice),
            f.sign(.issue(IssueTickets(eventID: "E1", tickets: [spec("T1")])), by: f.issuer),
        ])
        #expect(results == ["unknown_ticket", "ok", "ok", "not_holder", "ok", "ticket_exists"])
        #expect(try f.ledger.ticket("T1")?.holder == bob.publicKey && f.ledger.ticket("T2")?.holder == bob.publicKey)
        let t1 = try f.ledger.history(ticket: "T1").map(\.receipt.position)
        #expect(t1 == [0, 1, 2, 3, 5], "every envelope naming T1, in order")
        #expect(try f.ledger.history(ticket: "T2").map(\.receipt.position) == [1, 4])
        #expect(try f.ledger.verify(replay: true).ok)
    }

    /// The (level, index) whose post-order key is `key`, in a tree of `treeSize` leaves.
    static func levelAndIndex(of key: [UInt8], treeSize: UInt64) -> (Int, UInt64)? {
        for level in 0..<64 {
            let count = treeSize >> UInt64(level)
            if count == 0 { break }
            for index in 0..<count where Schema.merkleKey(level: level, index: index) == key { return (level, index) }
        }
        return nil
    }

    @Test func aStoreFromANewerSchemaIsRefused() throws {
        let f = try LedgerFixture()
        try Ledger.store {
            try f.ledger.env.write { txn in try txn.put(f.ledger.tables.meta, Schema.MetaKey.schemaVersion, [Schema.schemaVersion + 1]) }
        }
        #expect(throws: TalonError(.storeCorrupt)) { try Ledger(path: f.dir, genesis: f.genesisFile) }
    }
}
