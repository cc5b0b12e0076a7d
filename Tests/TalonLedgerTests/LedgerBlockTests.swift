import Foundation
import Testing
import TalonProtocol
import TalonLedger

@Suite struct LedgerBlockTests {
    @Test func blocksChainFromTheGenesisHash() throws {
        let f = try LedgerFixture()
        #expect(try f.ledger.head().height == 0)
        #expect(try f.ledger.head().blockHash == f.genesisFile.hash)
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1"], to: SigningKey.generate().publicKey) == "ok")
        let b1 = try #require(try f.ledger.block(height: 1))
        let b2 = try #require(try f.ledger.block(height: 2))
        #expect(b1.prev == f.genesisFile.hash)
        #expect(b1.prev == SHA256.hash(f.genesisFile.bytes), "block 1's prev is the SHA-256 of the genesis file")
        #expect(b2.prev == b1.hash)
        #expect(b2.hash == SHA256.hash(b2.headerBytes))
        #expect(b2.treeSize == 2 && b2.firstLeaf == 1)
        #expect(try f.ledger.head().blockHash == b2.hash)
        #expect(try Block(bytes: b2.bytes) == b2)
        var r = ByteReader(b2.bytes)
        let header = try BlockHeader(from: &r)
        #expect(header == b2.header && header.bytes.count == BlockHeader.size && header.hash == b2.hash)
        let head = try f.ledger.head()
        #expect(header.firstLeaf == b2.firstLeaf && header.head == head)
        #expect(throws: TalonError.self) { var short = ByteReader(Array(b2.bytes.prefix(BlockHeader.size - 1))); _ = try BlockHeader(from: &short) }
    }

    @Test func timestampComesFromTheBatchAndNeverGoesBack() throws {
        let f = try LedgerFixture()
        let e1 = f.sign(.createEvent(CreateEvent(eventID: "E1", name: "n", venue: "v", startsAt: 10, doorsOpenAt: 5, capacity: 1, currency: "EUR")), by: f.issuer)
        let e2 = f.sign(.createEvent(CreateEvent(eventID: "E2", name: "n", venue: "v", startsAt: 10, doorsOpenAt: 5, capacity: 1, currency: "EUR")), by: f.issuer)
        #expect(try f.ledger.apply([e1], timestamp: 5_000).block.timestamp == 5_000)
        #expect(try f.ledger.apply([e2], timestamp: 4_000).block.timestamp == 5_000, "an earlier leader clock is raised to the previous block's")
    }

    @Test func rejectedEnvelopesStayInTheBlockAndHistory() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), mallory = SigningKey.generate()
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1"], to: alice.publicKey) == "ok")
        let steal = f.sign(.transfer(Transfer(ticketID: "T1", to: mallory.publicKey)), by: mallory)
        let applied = try f.ledger.apply([steal], timestamp: 9_999_999_999_999)
        #expect(applied.block.entries == [Block.Entry(envelopeHash: steal.hash, result: "not_holder")])
        let history = try f.ledger.history(ticket: "T1")
        #expect(history.map(\.receipt.result) == ["ok", "not_holder"])
        #expect(history.last?.envelope == steal)
        #expect(try f.ledger.history(holder: mallory.publicKey).map(\.receipt.result) == ["not_holder"])
        #expect(try f.ledger.records(event: "E1").count == 3, "create, issue and the rejected transfer")
        #expect(try f.ledger.ticket("T1")?.holder == alice.publicKey)
    }

    @Test func historyPaginates() throws {
        let f = try LedgerFixture()
        let keys = (0..<6).map { _ in SigningKey.generate() }
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1"], to: keys[0].publicKey) == "ok")
        for i in 0..<5 { try f.run(.transfer(Transfer(ticketID: "T1", to: keys[i + 1].publicKey)), by: keys[i]) }
        let all = try f.ledger.history(ticket: "T1")
        #expect(all.count == 6)
        let page1 = try f.ledger.history(ticket: "T1", limit: 4)
        let page2 = try f.ledger.history(ticket: "T1", after: page1.last?.receipt.leaf, limit: 4)
        #expect(page1 + page2 == all)
        #expect(try f.ledger.history(ticket: "T", limit: 10).isEmpty, "a prefix of an id is another id")
    }

    /// Apply keeps what a block has read (events, bindings, the last ticket): an envelope
    /// must still see every change made by the envelopes before it in the same block.
    @Test func aBlockSeesItsOwnEarlierEnvelopesAsLaterBlocksWould() throws {
        let one = try LedgerFixture()
        let each = try LedgerFixture(admin: one.admin, issuer: one.issuer, genesis: one.genesisFile)
        let alice = SigningKey.generate(), bob = SigningKey.generate(), gate = SigningKey.generate()
        let limit = try LedgerContractTests.shipped("transfer-limit.lua")
        let envelopes = [
            one.sign(.createEvent(CreateEvent(eventID: "E1", name: "Show", venue: "Hall", startsAt: 100, doorsOpenAt: 50, capacity: 3, currency: "EUR")), by: one.issuer),
            one.sign(.issue(IssueTickets(eventID: "E1", tickets: ["T1", "T2"].map { TicketSpec(ticketID: $0, section: "S", seat: $0, faceValue: 1000, holder: alice.publicKey) })), by: one.issuer),
            one.sign(.issue(IssueTickets(eventID: "E1", tickets: ["T3", "T4"].map { TicketSpec(ticketID: $0, section: "S", seat: $0, faceValue: 1000, holder: alice.publicKey) })), by: one.issuer),  // over_capacity: sees 2 issued
            one.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice),
            one.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice),  // not_holder: sees the transfer
            one.sign(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "G", sections: [])), by: one.issuer),
            one.sign(.redeem(Redeem(ticketID: "T2", sequence: 0, scannedAt: 77)), by: gate),
            one.sign(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), by: alice),  // already_redeemed
            one.sign(.cancelEvent(CancelEvent(eventID: "E1", reason: "storm")), by: one.issuer),
            one.sign(.transfer(Transfer(ticketID: "T1", to: alice.publicKey)), by: bob),  // event_cancelled: sees the cancellation
            one.sign(.requestRefund(RequestRefund(ticketID: "T1")), by: bob),
            one.sign(.createEvent(CreateEvent(eventID: "E2", name: "Other", venue: "Hall", startsAt: 100, doorsOpenAt: 50, capacity: 5, currency: "EUR")), by: one.issuer),
            one.sign(.deployContract(DeployContract(source: limit)), by: one.issuer),
            one.sign(.bindContract(BindContract(eventID: "E2", contract: LedgerContractTests.id(limit), params: #"{"max_transfers": 1}"#)), by: one.issuer),
            one.sign(.issue(IssueTickets(eventID: "E2", tickets: [TicketSpec(ticketID: "U1", section: "S", seat: "1", faceValue: 1000, holder: alice.publicKey)])), by: one.issuer),
            one.sign(.transfer(Transfer(ticketID: "U1", to: bob.publicKey)), by: alice),
            one.sign(.transfer(Transfer(ticketID: "U1", to: alice.publicKey)), by: bob),  // contract_denied: sees the binding
        ]
        let together = try one.apply(envelopes)
        let apart = try envelopes.map { try each.apply([$0])[0] }
        #expect(together == apart)
        #expect(together == ["ok", "ok", "over_capacity", "ok", "not_holder", "ok", "ok", "already_redeemed", "ok", "event_cancelled", "ok",
                             "ok", "ok", "ok", "ok", "ok", "contract_denied"])
        for id in ["T1", "T2", "U1"] { #expect(try one.ledger.ticket(id) == each.ledger.ticket(id)?.withHeights(of: one.ledger.ticket(id))) }
        #expect(try one.ledger.ticket("T1")?.status == .refunded && one.ledger.ticket("T3") == nil)
        #expect(try one.ledger.event("E1")?.issued == 2 && one.ledger.event("E1")?.cancelled == true)
    }

    @Test func sameEnvelopesGiveTheSameChainOnEveryStore() throws {
        let a = try LedgerFixture()
        let b = try LedgerFixture(admin: a.admin, issuer: a.issuer, genesis: a.genesisFile)
        let alice = SigningKey.generate(), bob = SigningKey.generate(), gate = SigningKey.generate()
        let batches: [[Envelope]] = [
            [a.sign(.createEvent(CreateEvent(eventID: "E1", name: "Show", venue: "Hall", startsAt: 100, doorsOpenAt: 50, capacity: 10, currency: "GBP")), by: a.issuer),
             a.sign(.issue(IssueTickets(eventID: "E1", tickets: (1...5).map { TicketSpec(ticketID: "T\($0)", section: "S", seat: "\($0)", faceValue: 1000, holder: alice.publicKey) })), by: a.issuer),
             a.sign(.registerGate(RegisterGate(eventID: "E1", gate: gate.publicKey, name: "G", sections: [])), by: a.issuer)],
            [a.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice),
             a.sign(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice),  // not_holder
             a.sign(.redeem(Redeem(ticketID: "T2", sequence: 0, scannedAt: 77)), by: gate)],
            [a.sign(.void(VoidTicket(ticketID: "T3", reason: "")), by: a.issuer),
             a.sign(.redeem(Redeem(ticketID: "T2", sequence: 0, scannedAt: 78)), by: gate)],  // already_redeemed
        ]
        var heads: [[Head]] = [[], []]
        for (i, f) in [a, b].enumerated() {
            for (n, batch) in batches.enumerated() {
                try f.ledger.apply(batch, timestamp: Int64(1000 * n))
                heads[i].append(try f.ledger.head())
            }
        }
        #expect(heads[0] == heads[1])
        for h in 1...3 as ClosedRange<UInt64> {
            #expect(try a.ledger.block(height: h)?.bytes == b.ledger.block(height: h)?.bytes)
        }
        #expect(try a.ledger.block(height: 2)?.entries.map(\.result) == ["ok", "not_holder", "ok"])
    }

    @Test func aStoreRefusesAnotherGenesis() throws {
        let f = try LedgerFixture()
        #expect(try f.createEvent() == "ok")
        let other = try GenesisFile(bytes: Genesis(chainID: "talon-test", members: f.genesisFile.genesis.members,
                                                  admins: [SigningKey.generate().publicKey]).fileBytes)
        #expect(throws: TalonError(.genesisMismatch)) { try Ledger(path: f.dir, genesis: other) }
        // Same genesis reopens, data intact.
        let reopened = try Ledger(path: f.dir, genesis: f.genesisFile)
        #expect(try reopened.head().height == 1)
        #expect(try Ledger(existingAt: f.dir).head().height == 1)
    }

    @Test func proofsFromTheStoreVerifyAgainstHeads() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate()
        #expect(try f.createEvent() == "ok")
        var heads: [Head] = []
        for i in 0..<7 {
            try f.issue(ids: (0..<(i + 1)).map { "B\(i)-\($0)" }, to: alice.publicKey)
            heads.append(try f.ledger.head())
        }
        let last = heads.last!
        for leaf in 0..<last.treeSize {
            let record = try #require(try f.ledger.record(leaf: leaf))
            let proof = try f.ledger.inclusionProof(leaf: leaf, treeSize: last.treeSize)
            #expect(MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(record.envelope.bytes), index: leaf, size: last.treeSize, proof: proof, root: last.treeRoot))
        }
        for old in heads {
            let proof = try f.ledger.consistencyProof(from: old.treeSize, to: last.treeSize)
            #expect(MerkleVerifier.verifyConsistency(oldSize: old.treeSize, newSize: last.treeSize, oldRoot: old.treeRoot, newRoot: last.treeRoot, proof: proof))
            #expect(try f.ledger.treeRoot(size: old.treeSize) == old.treeRoot)
        }
        #expect(throws: TalonError(.proofOutOfRange)) { try f.ledger.inclusionProof(leaf: last.treeSize, treeSize: last.treeSize) }
    }

    @Test func verifyPassesOnAnHonestLedger() throws {
        let f = try LedgerFixture()
        #expect(try f.createEvent() == "ok")
        #expect(try f.issue(ids: ["T1", "T2"], to: SigningKey.generate().publicKey) == "ok")
        try f.run(.void(VoidTicket(ticketID: "T1", reason: "")), by: SigningKey.generate())
        let report = try f.ledger.verify()
        #expect(report.ok)
        #expect(report.blocks == 3 && report.envelopes == 3)
        #expect(report.head == (try f.ledger.head()))
    }
}

extension TicketState {
    /// This state with the block heights of `other`: the same envelopes applied in other
    /// blocks leave the same ticket but for the heights it records.
    func withHeights(of other: TicketState?) -> TicketState {
        var t = self
        if let other { t.issuedAt = other.issuedAt; t.updatedAt = other.updatedAt }
        return t
    }
}
