import Foundation
import Testing
import TalonContracts
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// Contract decisions are under the block hash (block version 2), `verify` checks stored
/// decisions against their entries, and `verify` with replay re-runs every contract, so a
/// store rewritten consistently (every hash recomputed) is still caught.
@Suite struct LedgerDecisionTests {
    let f: LedgerFixture
    let alice = SigningKey.generate(), bob = SigningKey.generate()
    /// The envelopes of the resale flow: a listing, the buy, and a listing over the cap.
    var list = [Envelope](), buy = [Envelope](), denied = [Envelope]()

    init() throws {
        f = try LedgerFixture()
        let source = try LedgerContractTests.shipped("markup-cap-royalty.lua")
        #expect(try f.createEvent() == "ok")
        #expect(try f.run(.deployContract(DeployContract(source: source)), by: f.issuer) == "ok")
        #expect(try f.run(.bindContract(BindContract(eventID: "E1", contract: LedgerContractTests.id(source),
                                                     params: #"{"max_price_pct": 110, "royalty_pct": 10}"#)), by: f.issuer) == "ok")
        #expect(try f.issue(ids: ["T1", "T2"], to: alice.publicKey) == "ok")
        list = [f.sign(.listResale(ListResale(ticketID: "T1", price: 4900, fees: 0)), by: alice)]
        buy = [f.sign(.buyResale(BuyResale(ticketID: "T1", price: 4900, fees: 0)), by: bob)]
        denied = [f.sign(.listResale(ListResale(ticketID: "T2", price: 6000, fees: 0)), by: alice)]
        #expect(try f.apply(list) == ["ok"])
        #expect(try f.apply(buy) == ["ok"])
        #expect(try f.apply(denied) == ["contract_denied"])
    }

    /// The block and its entry for `envelope`.
    func entry(of envelope: Envelope) throws -> (block: Block, position: Int, record: LedgerRecord) {
        let record = try #require(try f.ledger.record(hash: envelope.hash))
        let block = try #require(try f.ledger.block(height: record.receipt.height))
        return (block, Int(record.receipt.position), record)
    }

    @Test func everyDecisionIsNamedByItsEntryAndProvenToTheBlockHeader() throws {
        for (envelope, royalty, allowed) in [(buy[0], Int64(490), true), (denied[0], 0, false), (list[0], 0, true)] {
            let (block, position, record) = try entry(of: envelope)
            let decision = try #require(record.decision)
            #expect(block.version == 2)
            #expect(decision.decision.allowed == allowed && decision.decision.royalty == royalty)
            #expect(block.entries[position].decision == SHA256.hash(decision.bytes))
            // Any one entry is proven to the header's entries_digest with a path.
            let path = try block.entryProof(position: position)
            #expect(MerkleVerifier.verifyInclusion(leafHash: block.entries[position].leafHash, index: UInt64(position),
                                                   size: UInt64(block.entries.count), proof: path, root: block.header.entriesDigest))
        }
        // An envelope no contract looked at names no decision.
        let issue = try #require(try f.ledger.block(height: 4))
        #expect(issue.entries.allSatisfy { $0.decision == nil })
        let report = try f.ledger.verify()
        #expect(report.ok && report.replayed, "\(String(describing: report.failure))")
    }

    @Test func theDecisionBytesAreTheDocumentedOnes() throws {
        let decision = try #require(try entry(of: buy[0]).record.decision)
        // docs/format.md, "Contract decisions": u8 2 · contract id · string hook · allowed ·
        // hook defined · royalty i64 · refund i64 · instructions i64 · string reason.
        var expected: [UInt8] = [2] + decision.contract.bytes + [0, 0, 0, 6] + Array("on_buy".utf8) + [1, 1]
        for v in [Int64(490), 0, decision.decision.instructions] { expected += withUnsafeBytes(of: UInt64(bitPattern: v).bigEndian, Array.init) }
        expected += [0, 0, 0, UInt8(decision.decision.reason.utf8.count)] + Array(decision.decision.reason.utf8)
        #expect(decision.bytes == expected)
        #expect(try RecordedDecision(leaf: 0, bytes: decision.bytes) == decision)
        // The JSON form maps one to one onto those bytes.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(decision)) as? [String: Any])
        #expect(Set(json.keys) == ["contract", "hook", "allowed", "hook_defined", "royalty", "refund", "instructions", "reason"])
        #expect(try JSONDecoder().decode(RecordedDecision.self, from: JSONEncoder().encode(decision)) == decision)
    }

    @Test func anAlteredStoredDecisionFailsVerifyEvenWithoutReplay() throws {
        let leaf = try entry(of: buy[0]).record.receipt.leaf
        try rewriteDecision(leaf: leaf) { $0.decision.royalty = 4900 }
        let report = try f.ledger.verify(replay: false)
        #expect(report.failure?.leaf == leaf)
        #expect(report.failure?.message.contains("does not hash to the block entry") == true, "\(String(describing: report.failure))")
    }

    @Test func aConsistentlyRewrittenStoreIsCaughtOnlyByReplay() throws {
        // The forger changes the royalty and recomputes every hash: decision, entry, block,
        // and every later block's prev. Nothing is left inconsistent but the contract's say.
        let leaf = try entry(of: buy[0]).record.receipt.leaf
        let forged = try rewriteDecision(leaf: leaf) { $0.decision.royalty = 0 }
        try rewriteChain { block in
            for i in block.entries.indices where block.firstLeaf + UInt64(i) == leaf { block.entries[i].decision = forged.hash }
        }
        #expect(try f.ledger.verify(replay: false).ok, "hashes alone cannot tell")
        let report = try f.ledger.verify()
        #expect(!report.ok && !report.replayed)
        #expect(report.failure?.leaf == leaf)
        #expect(report.failure?.message.contains("re-running the contract") == true, "\(String(describing: report.failure))")
    }

    @Test func aRewrittenResultIsCaughtByReplay() throws {
        let (_, _, record) = try entry(of: denied[0])
        try rewriteChain { block in
            for i in block.entries.indices where block.firstLeaf + UInt64(i) == record.receipt.leaf { block.entries[i].result = "ok" }
        }
        try f.ledger.env.write { txn in
            var receipt = record.receipt
            receipt.result = "ok"
            try txn.put(f.ledger.tables.receipts, Schema.u64(receipt.leaf), receipt.bytes)
        }
        #expect(try f.ledger.verify(replay: false).ok)
        let report = try f.ledger.verify()
        #expect(report.failure?.message == "the block records ok, applying it again gives contract_denied")
    }

    @Test func versionOneBlocksStayReadableAndTheChainGoesOnInVersionTwo() throws {
        // A store written before decisions were covered: every block version 1.
        try rewriteChain { $0.version = 1 }
        let old = try #require(try f.ledger.block(height: 6))
        #expect(old.version == 1 && old.entries.allSatisfy { $0.decision == nil })
        #expect(try Block(bytes: old.bytes) == old)
        #expect(try f.ledger.verify().ok, "replay compares a version 1 block's decisions with the stored ones")
        // Blocks appended from now on are version 2 and chain to the old ones.
        #expect(try f.issue(ids: ["T3"], to: bob.publicKey) == "ok")
        let next = try #require(try f.ledger.block(height: old.height + 2))
        #expect(next.version == 2)
        let report = try f.ledger.verify()
        #expect(report.ok && report.blocks == next.height, "\(String(describing: report.failure))")
        // Under version 1 a decision is not under the hash: only replay notices a change.
        let leaf = try entry(of: buy[0]).record.receipt.leaf
        try rewriteDecision(leaf: leaf) { $0.decision.royalty = 1 }
        #expect(try f.ledger.verify(replay: false).ok)
        #expect(try f.ledger.verify().failure?.leaf == leaf)
    }

    @Test func anIssueAfterADecisionInItsBlockIsReadInPlace() throws {
        // Provenance without proofs reads an issue's hash from its block entry, skipping the
        // entries before it, decision hashes included.
        let carol = SigningKey.generate()
        let listing = f.sign(.listResale(ListResale(ticketID: "T2", price: 4500, fees: 0)), by: alice)
        let issue = f.sign(.issue(IssueTickets(eventID: "E1", tickets: [
            TicketSpec(ticketID: "T9", section: "A", seat: "9", faceValue: 4500, holder: carol.publicKey)])), by: f.issuer)
        #expect(try f.apply([listing, issue]) == ["ok", "ok"])
        let block = try #require(try f.ledger.block(height: try f.ledger.head().height))
        #expect(block.entries[0].decision != nil)
        let steps = try #require(try f.ledger.provenance(ticket: "T9")).steps
        #expect(steps.map(\.envelopeHash) == [issue.hash])
    }

    @Test func aBlockWithAnUnknownDecisionFlagDoesNotDecode() throws {
        let block = try #require(try f.ledger.block(height: 1))
        var bytes = block.bytes
        // header, u32 count, hash, string result "ok" (u32 + 2), then the flag.
        let flag = BlockHeader.size + 4 + 32 + 4 + 2
        #expect(bytes[flag] == 0)
        bytes[flag] = 2
        #expect(throws: TalonError(.nonCanonical)) { try Block(bytes: bytes) }
    }

    // MARK: forging a store

    /// Rewrites the stored decision at `leaf`; returns the forged record.
    @discardableResult
    func rewriteDecision(leaf: UInt64, _ change: (inout RecordedDecision) -> Void) throws -> RecordedDecision {
        var forged = try #require(try f.ledger.record(leaf: leaf)?.decision)
        change(&forged)
        try f.ledger.env.write { txn in try txn.put(f.ledger.tables.decisions, Schema.u64(leaf), forged.bytes) }
        return forged
    }

    /// Rewrites every block with `change`, re-linking each block's `prev` to the rewritten one before it.
    func rewriteChain(_ change: (inout Block) -> Void) throws {
        try f.ledger.env.write { txn in
            var prev = f.genesisFile.hash
            var height: UInt64 = 1
            while var block = try f.ledger.tables.blocks.get(txn, height) {
                change(&block)
                block.prev = prev
                try f.ledger.tables.blocks.put(txn, height, block)
                prev = block.hash
                height += 1
            }
        }
    }
}
