import Testing
import TalonProtocol
import TalonStore
@testable import TalonLedger

/// Proofs read upper Merkle nodes through an in-memory cache: they must stay exactly the
/// proofs of the stored tree as it grows, and nothing uncommitted may enter the cache.
@Suite struct MerkleNodeCacheTests {
    /// `count` envelopes that each become a leaf (rejected: the tickets do not exist).
    private func leaves(_ f: LedgerFixture, _ count: Int) -> [Envelope] {
        let key = SigningKey.generate()
        return (0..<count).map { f.sign(.void(VoidTicket(ticketID: "none-\($0)", reason: "")), by: key) }
    }

    @Test func cachedProofsAreTheStoredTreesProofsAsItGrows() throws {
        let f = try LedgerFixture()
        var heads: [Head] = []
        // Past 2^9 leaves, so levels 7 and 8 hold complete nodes, in blocks of odd sizes.
        for size in [150, 140, 230, 97] {
            try f.apply(leaves(f, size))
            heads.append(try f.ledger.head())
        }
        for head in heads {
            for leaf in stride(from: 0, to: head.treeSize, by: 7) {
                let cached = try f.ledger.inclusionProof(leaf: leaf, treeSize: head.treeSize)
                let stored = try f.ledger.read { txn in
                    try MerkleProver(nodes: StoredMerkleNodes(txn: txn, tables: f.ledger.tables), size: head.treeSize)
                        .inclusionProof(leafIndex: leaf, size: head.treeSize)
                }
                #expect(cached == stored, "leaf \(leaf) of \(head.treeSize)")
                let envelope = try #require(try f.ledger.record(leaf: leaf)).envelope
                #expect(MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(envelope.bytes), index: leaf, size: head.treeSize,
                                                       proof: cached, root: head.treeRoot))
            }
            #expect(try f.ledger.treeRoot(size: head.treeSize) == head.treeRoot)
            let first = try #require(heads.first)
            let proof = try f.ledger.consistencyProof(from: first.treeSize, to: head.treeSize)
            #expect(MerkleVerifier.verifyConsistency(oldSize: first.treeSize, newSize: head.treeSize, oldRoot: first.treeRoot,
                                                     newRoot: head.treeRoot, proof: proof))
        }
        // Only nodes from the lowest cached level up were kept: 617 leaves complete 4 nodes at level 7 and 2 at level 8, 1 at level 9.
        #expect(f.ledger.merkleCache.count == 4 + 2 + 1)
    }

    @Test func onlyCommittedNodesEnterTheCache() throws {
        let f = try LedgerFixture()
        try f.apply(leaves(f, 300))
        // 300 leaves complete two level-7 nodes and one level-8 node, kept as the block committed.
        #expect(f.ledger.merkleCache.count == 3)
        struct Abort: Error {}
        // A block whose transaction is discarded (another block may take its leaves later)...
        let more = leaves(f, 300)
        for e in more { try e.admit(chainID: f.ledger.chainID) }
        #expect(throws: Abort.self) {
            try f.ledger.env.write { txn in
                _ = try f.ledger.applyBlock(txn, more, f.clock + 1)
                throw Abort()
            }
        }
        #expect(f.ledger.merkleCache.count == 3)
        // ...and a node read inside a write transaction are not kept.
        let cache = MerkleNodeCache()
        #expect(throws: Abort.self) {
            try f.ledger.env.write { txn in
                _ = try StoredMerkleNodes(txn: txn, tables: f.ledger.tables, cache: cache).node(level: 7, index: 0)
                throw Abort()
            }
        }
        #expect(cache.count == 0)
        let read = try f.ledger.read { txn in
            try StoredMerkleNodes(txn: txn, tables: f.ledger.tables, cache: cache).node(level: 7, index: 1)
        }
        #expect(cache.count == 1)
        #expect(cache.node(level: 7, index: 1) == read)
        #expect(cache.node(level: 7, index: 0) == nil)
    }

    @Test func aFullCacheDropsItsLowestLevelAndKeepsTheTop() {
        let cache = MerkleNodeCache(capacity: 10)
        var frontier = MerkleFrontier()
        var upper: [MerkleFrontier.CompletedNode] = []
        for leaf in 0..<(1 << 11) as Range<UInt64> {
            upper += frontier.append(leafHash: MerkleHash.leaf(Schema.u64(leaf))).filter { $0.level > 0 }
        }
        cache.keep(upper)
        // 2^11 leaves: 16 nodes at level 7, 8 at 8, 4 at 9, 2 at 10, 1 at 11 (and the rest below 7,
        // never kept). Levels 7 and 8 go (31, then 15, are over 10); 9 to 11 stay.
        #expect(cache.lowestLevel == 9)
        #expect(cache.count == 4 + 2 + 1)
        for node in upper {
            #expect(cache.node(level: node.level, index: node.index) == (node.level >= 9 ? node.hash : nil), "(\(node.level), \(node.index))")
        }
        // Below the lowest level nothing is kept again.
        cache.keep(upper.filter { $0.level == 8 })
        #expect(cache.count == 7)
    }
}
