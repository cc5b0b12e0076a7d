// Tests of MerkleFrontier: the nodes each append completes, resuming from a store, and huge trees.
import Testing
import TalonProtocol
import TalonLedger
import TalonRaft

struct NodeRecord: Hashable, CustomStringConvertible {
    let level: Int
    let index: UInt64
    let hash: Digest
    init(_ n: MerkleFrontier.CompletedNode) {
        level = n.level
        index = n.index
        hash = n.hash
    }
    var description: String { "(\(level),\(index))=\(hash.hex.prefix(8))" }
}

@Suite("Merkle frontier")
struct MerkleFrontierTests {
    @Test("empty frontier")
    func empty() {
        let f = MerkleFrontier()
        #expect(f.size == 0)
        #expect(f.root() == MerkleHash.emptyRoot)
        #expect(f.root() == vectorEmptyRoot)
    }

    @Test("each append returns exactly the perfect subtrees it completed, with reference hashes")
    func completedNodes() {
        var rng = SplitMix64(seed: 0xF00D)
        var frontier = MerkleFrontier()
        var leafHashes: [Digest] = []
        for s in 1...300 {
            let h = MerkleHash.leaf(rng.bytes(Int.random(in: 0...40, using: &rng)))
            leafHashes.append(h)
            let completed = frontier.append(leafHash: h)
            // Node (l, i) completes when leaf (i + 1) << l - 1 arrives: l = 0...trailingZeros(s).
            let expectedIDs = (0...UInt64(s).trailingZeroBitCount).map { l in NodeID(l, (UInt64(s) >> UInt64(l)) - 1) }
            #expect(completed.map { NodeID($0.level, $0.index) } == expectedIDs, "append #\(s)")
            for n in completed {
                let start = Int(n.index << UInt64(n.level))
                let end = Int((n.index + 1) << UInt64(n.level))
                #expect(n.hash == ReferenceMerkle.mth(leafHashes[start..<end]), "node (\(n.level),\(n.index))")
            }
            #expect(completed[0].hash == h)
            #expect(frontier.size == UInt64(s))
        }
    }

    @Test("a frontier resumed from the store continues exactly like one that never stopped")
    func resume() throws {
        var rng = SplitMix64(seed: 0xBEEF)
        let leafHashes = (0..<400).map { _ in rng.digest() }
        var sizes = Array(0...140)
        sizes += (0..<30).map { _ in Int.random(in: 141...330, using: &rng) }
        for n in sizes {
            var nodes = InMemoryMerkleNodes()
            var continuous = MerkleFrontier()
            for h in leafHashes[..<n] { nodes.setNodes(continuous.append(leafHash: h)) }

            var resumed = try MerkleFrontier(nodes: nodes, size: UInt64(n))
            #expect(resumed == continuous, "resumed at \(n)")
            #expect(resumed.size == UInt64(n))
            #expect(resumed.root() == continuous.root())
            for h in leafHashes[n..<(n + 70)] {
                let a = continuous.append(leafHash: h).map(NodeRecord.init)
                let b = resumed.append(leafHash: h).map(NodeRecord.init)
                #expect(a == b, "resumed at \(n), appended up to \(continuous.size)")
                #expect(resumed.root() == continuous.root())
            }
            #expect(resumed == continuous)
        }
    }

    @Test("resuming reads only the right-edge nodes and reports a missing one")
    func resumeReads() throws {
        var nodes = InMemoryMerkleNodes()
        var frontier = MerkleFrontier()
        for i in 0..<13 { nodes.setNodes(frontier.append(leafHash: MerkleHash.leaf([UInt8(i)]))) }
        // 13 = 8 + 4 + 1: perfect subtrees (3,0) over [0,8), (2,2) over [8,12), (0,12) over [12,13).
        let reader = RecordingReader(nodes)
        _ = try MerkleFrontier(nodes: reader, size: 13)
        #expect(reader.reads == [NodeID(3, 0), NodeID(2, 2), NodeID(0, 12)])

        var damaged = nodes
        damaged.removeNode(level: 2, index: 2)
        #expect(throws: TalonError(.merkleNodeMissing)) { try MerkleFrontier(nodes: damaged, size: 13) }
        // A node off the right edge is not needed.
        var interior = nodes
        interior.removeNode(level: 1, index: 0)
        #expect(try MerkleFrontier(nodes: interior, size: 13) == frontier)
    }

    @Test("store-backed append through the generic MerkleNodeWriter.setNodes")
    func writerExtension() throws {
        func appendAll(_ inputs: [[UInt8]], to writer: inout some MerkleNodeWriter, frontier: inout MerkleFrontier) throws {
            for input in inputs {
                try writer.setNodes(frontier.append(leafHash: MerkleHash.leaf(input)))
            }
        }
        var nodes = InMemoryMerkleNodes()
        var frontier = MerkleFrontier()
        try appendAll(vectorInputs, to: &nodes, frontier: &frontier)
        // 8 leaves: 8 + 4 + 2 + 1 complete nodes.
        #expect(nodes.count == 15)
        #expect(try MerkleProver(nodes: nodes, size: 8).root() == vectorRoots[7])
    }
}

// MARK: - Huge trees

/// A store of a tree whose leaves all hash to the same value, so every perfect node at a level is
/// the same hash and trees of up to 2^64 - 1 leaves can be addressed without storing them.
struct UniformTree: MerkleNodeReader {
    let levels: [Digest]
    init(leafHash: Digest) {
        var levels = [leafHash]
        for _ in 1..<64 { levels.append(MerkleHash.node(levels.last!, levels.last!)) }
        self.levels = levels
    }
    func node(level: Int, index: UInt64) throws -> Digest {
        guard (0..<64).contains(level), index < (UInt64.max >> UInt64(level)) else {
            throw TalonError.nodeMissing(level: level, index: index)
        }
        return levels[level]
    }
}

@Suite("Merkle huge trees")
struct MerkleHugeTreeTests {
    @Test("proofs near 2^64 leaves generate, verify and agree with the frontier")
    func hugeSizes() throws {
        let leaf = MerkleHash.leaf([UInt8]("x".utf8))
        let uniform = UniformTree(leafHash: leaf)
        let prover = MerkleProver(nodes: uniform, size: .max)
        var rng = SplitMix64(seed: 2024)
        var sizes: [UInt64] = [.max, .max - 1, 1 << 63, (1 << 63) + 1, (1 << 63) - 1, 1 << 32, (1 << 40) + 12345]
        sizes += (0..<40).map { _ in UInt64.random(in: 1...UInt64.max, using: &rng) }
        for n in sizes {
            let root = try prover.root(size: n)
            #expect(try MerkleFrontier(nodes: uniform, size: n).root() == root)
            for index in [0, n - 1, n / 2, UInt64.random(in: 0..<n, using: &rng)] {
                let proof = try prover.inclusionProof(leafIndex: index, size: n)
                #expect(proof.count <= 64)
                #expect(MerkleVerifier.verifyInclusion(leafHash: leaf, index: index, size: n, proof: proof, root: root), "leaf \(index) of \(n)")
                #expect(!MerkleVerifier.verifyInclusion(leafHash: leaf, index: index, size: n, proof: proof + [leaf], root: root))
                #expect(!MerkleVerifier.verifyInclusion(leafHash: leaf, index: index, size: n, proof: Array(proof.dropLast()), root: root))
            }
            for m in [1, n - 1, n / 3 + 1, UInt64.random(in: 1...n, using: &rng)] where m <= n {
                let proof = try prover.consistencyProof(from: m, to: n)
                let oldRoot = try prover.root(size: m)
                #expect(MerkleVerifier.verifyConsistency(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: root, proof: proof), "\(m) -> \(n)")
                if !proof.isEmpty {
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: root, proof: proof + [leaf]))
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: root, proof: Array(proof.dropLast())))
                }
            }
        }
        // The frontier can grow to the largest representable size.
        var f = try MerkleFrontier(nodes: uniform, size: .max - 1)
        let completed = f.append(leafHash: leaf)
        #expect(f.size == .max)
        #expect(completed.count == 1)
        #expect(f.root() == (try prover.root(size: .max)))
    }
}
