import Foundation
import Testing
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonRaft

/// A committed entry that is not a batch is recorded the same way on every node, which
/// goes on applying: no node crash-loops on its own log.
@Suite struct PoisonEntryTests {
    /// Entry data a buggy or hostile proposer could commit, each with the code every node records.
    static func poisons(_ c: CoreCluster) -> [(name: String, data: [UInt8])] {
        let good = EntryBatch.bytes(timestamp: 5, of: [NodeCoreTests.event(c, "X1")])
        var badVersion = good
        badVersion[0] = 9
        // The batch frames its envelope correctly, but the envelope does not decode: an
        // unknown envelope version, or invalid UTF-8 in its chain id (not canonical).
        var envelopeVersion = good
        envelopeVersion[17] = 0xEE
        var nonCanonical = good
        nonCanonical[22] = 0xFF
        return [
            ("envelope version", envelopeVersion),
            ("garbage", [0xDE, 0xAD, 0xBE, 0xEF]),
            ("bad version", badVersion),
            ("truncated", Array(good.dropLast(7))),
            ("trailing bytes", good + [0]),
            ("non-canonical envelope", nonCanonical),
            ("count past the data", Array(good.prefix(9)) + [0xFF, 0xFF, 0xFF, 0xFF] + Array(good.dropFirst(13))),
        ]
    }

    @Test func everyNodeRecordsTheSameRowAndGoesOn() throws {
        let c = try CoreCluster()
        try c.elect()
        try c.submit([NodeCoreTests.event(c, "E1")], at: 1000)
        let poisons = Self.poisons(c)
        var indexes: [UInt64] = []
        for (_, data) in poisons { indexes.append(try c.proposeRaw(data)) }
        try c.submit([NodeCoreTests.event(c, "E2")], at: 2000)

        var rows: [NodeID: [RejectedEntry]] = [:]
        for (id, node) in c.nodes {
            rows[id] = try node.ledger.rejectedEntries()
            #expect(try node.ledger.head().height == 2, "node \(id): blocks before and after the poison applied")
            #expect(try node.ledger.event("E2") != nil)
            #expect(try node.ledger.verify().ok)
        }
        let first = try #require(rows[1])
        #expect(first.map(\.logIndex) == indexes)
        #expect(first.allSatisfy { $0.code == Code.corruptEntry.name && !$0.message.isEmpty })
        #expect(Set(rows.values).count == 1, "the same rows on every node: \(rows)")
        for (row, (name, data)) in zip(first, poisons) {
            #expect(row.dataHash == SHA256.hash(data), "\(name)")
        }

        // Reopening every store works, keeps the rows, and the cluster goes on.
        for id in c.members.ids { c.kill(id) }
        for id in c.members.ids { try c.start(id) }
        for node in c.nodes.values {
            #expect(try node.ledger.rejectedEntries() == first)
            #expect(try node.ledger.rejectedEntryCount() == first.count)
        }
        try c.elect()
        try c.submit([NodeCoreTests.event(c, "E3")], at: 3000)
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1 && heads.values.allSatisfy { $0.height == 3 })
    }

    /// A batch of unverified envelopes (as a forward frame carries) is never proposed.
    @Test func anUnadmittedBatchIsNeverProposed() throws {
        let c = try CoreCluster()
        let leader = try c.elect()
        let e = NodeCoreTests.event(c, "E1")
        let forged = Envelope(chainID: e.chainID, signer: e.signer, nonce: e.nonce, operation: e.operation,
                              signature: try #require(Signature(bytes: [UInt8](repeating: 0, count: 64))))
        for batch in [try EntryBatch(bytes: EntryBatch.bytes(timestamp: 1, of: [forged])), try EntryBatch(bytes: EntryBatch.bytes(timestamp: 1, of: [e]))] {
            #expect(!batch.isAdmitted)
            #expect(throws: TalonError(.unadmittedBatch, "")) { try leader.propose(batch) }
        }
        #expect(try leader.ledger.head().height == 0)
    }
}
