// Known-answer tests against published RFC 6962 test vectors. Every expected value below is copied
// from a public reference implementation, never produced by running Talon's own code.
//
// Sources (both list the same leaves, roots, paths and proofs, so each value was checked twice):
//  [CT]  google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc:
//        kInputs, kSHA256EmptyTreeHash, kSHA256Roots, kSHA256Paths, kSHA256Proofs
//        (leaf numbers there are 1-based; converted to 0-based indices here).
//  [TD]  transparency-dev/merkle, proof/verify_test.go: leaves, roots, inclusionProofs,
//        consistencyProofs (adds the 6 -> 7 consistency proof);
//        rfc6962/rfc6962_test.go: TestRFC6962Hasher (empty root, empty leaf, "L123456" leaf);
//        proof/proof_test.go: TestInclusion / TestConsistency (which (level, index) nodes a proof needs).
import Testing
import TalonProtocol
import TalonLedger

/// Hex to `Digest`; traps on malformed test data.
func digest(_ hex: String) -> Digest {
    guard let d = Digest(hex: hex) else { fatalError("bad digest literal \(hex)") }
    return d
}

/// The eight leaf inputs of the reference tree. Source: [CT] kInputs, [TD] leaves.
let vectorInputs: [[UInt8]] = [
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
].map { Hex.decode($0)! }

/// Root of the empty tree, SHA-256(""). Source: [CT] kSHA256EmptyTreeHash, [TD] sha256EmptyTreeHash.
let vectorEmptyRoot = digest("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

/// Roots of the reference tree after 1...8 leaves. Source: [CT] kSHA256Roots, [TD] roots.
let vectorRoots: [Digest] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
].map(digest)

struct InclusionVector: Sendable, CustomTestStringConvertible {
    let index: UInt64
    let size: UInt64
    let path: [Digest]
    var testDescription: String { "leaf \(index) of \(size)" }
}

/// Inclusion paths in the reference tree. Source: [CT] kSHA256Paths entries 1...5 (entry 0 is the
/// invalid leaf 0 of size 0), [TD] inclusionProofs; [CT] leaf n is index n - 1 here.
let inclusionVectors: [InclusionVector] = [
    InclusionVector(index: 0, size: 1, path: []),
    InclusionVector(index: 0, size: 8, path: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ].map(digest)),
    InclusionVector(index: 5, size: 8, path: [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ].map(digest)),
    InclusionVector(index: 2, size: 3, path: [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    ].map(digest)),
    InclusionVector(index: 1, size: 5, path: [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ].map(digest)),
]

struct ConsistencyVector: Sendable, CustomTestStringConvertible {
    let oldSize: UInt64
    let newSize: UInt64
    let proof: [Digest]
    var testDescription: String { "\(oldSize) -> \(newSize)" }
}

/// Consistency proofs in the reference tree. Source: [CT] kSHA256Proofs; [TD] consistencyProofs
/// (the same four plus 6 -> 7).
let consistencyVectors: [ConsistencyVector] = [
    ConsistencyVector(oldSize: 1, newSize: 1, proof: []),
    ConsistencyVector(oldSize: 1, newSize: 8, proof: [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ].map(digest)),
    ConsistencyVector(oldSize: 6, newSize: 8, proof: [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ].map(digest)),
    ConsistencyVector(oldSize: 2, newSize: 5, proof: [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ].map(digest)),
    ConsistencyVector(oldSize: 6, newSize: 7, proof: [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ].map(digest)),
]

/// The reference tree of the eight vector inputs, with every complete node stored.
func vectorTree() -> (nodes: InMemoryMerkleNodes, frontier: MerkleFrontier) {
    var nodes = InMemoryMerkleNodes()
    var frontier = MerkleFrontier()
    for input in vectorInputs {
        nodes.setNodes(frontier.append(leafHash: MerkleHash.leaf(input)))
    }
    return (nodes, frontier)
}

extension InMemoryMerkleNodes {
    /// Non-throwing `setNodes`, since the in-memory store never fails.
    mutating func setNodes(_ completed: [MerkleFrontier.CompletedNode]) {
        for n in completed { setNode(level: n.level, index: n.index, hash: n.hash) }
    }
}

@Suite("Merkle RFC 6962 vectors")
struct MerkleVectorTests {
    @Test("hash functions match [TD] TestRFC6962Hasher")
    func hashFunctions() {
        // Source: [TD] rfc6962/rfc6962_test.go, "RFC6962 Empty", "RFC6962 Empty Leaf", "RFC6962 Leaf".
        #expect(MerkleHash.emptyRoot == vectorEmptyRoot)
        #expect(MerkleHash.leaf([UInt8]()) == digest("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"))
        #expect(MerkleHash.leaf(Array("L123456".utf8)) == digest("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"))
    }

    @Test("roots of sizes 0...8 from frontier, prover and reference")
    func roots() throws {
        var frontier = MerkleFrontier()
        #expect(frontier.root() == vectorEmptyRoot)
        var leafHashes: [Digest] = []
        for (i, input) in vectorInputs.enumerated() {
            leafHashes.append(MerkleHash.leaf(input))
            frontier.append(leafHash: leafHashes[i])
            #expect(frontier.size == UInt64(i + 1))
            #expect(frontier.root() == vectorRoots[i], "frontier root of size \(i + 1)")
            #expect(ReferenceMerkle.mth(leafHashes[...]) == vectorRoots[i], "reference root of size \(i + 1)")
        }
        let (nodes, _) = vectorTree()
        let prover = MerkleProver(nodes: nodes, size: 8)
        #expect(try prover.root(size: 0) == vectorEmptyRoot)
        for size in 1...8 {
            #expect(try prover.root(size: UInt64(size)) == vectorRoots[size - 1], "prover root of size \(size)")
        }
        #expect(try prover.root() == vectorRoots[7])
    }

    @Test("inclusion paths", arguments: inclusionVectors)
    func inclusion(_ v: InclusionVector) throws {
        let (nodes, _) = vectorTree()
        let prover = MerkleProver(nodes: nodes, size: 8)
        #expect(try prover.inclusionProof(leafIndex: v.index, size: v.size) == v.path)

        let leaf = MerkleHash.leaf(vectorInputs[Int(v.index)])
        let root = vectorRoots[Int(v.size) - 1]
        #expect(MerkleVerifier.verifyInclusion(leafHash: leaf, index: v.index, size: v.size, proof: v.path, root: root))
        // Corruptions modelled on [TD] corruptInclusionProof.
        for probe in inclusionCorruptions(leaf: leaf, index: v.index, size: v.size, proof: v.path, root: root) {
            #expect(!MerkleVerifier.verifyInclusion(leafHash: probe.leaf, index: probe.index, size: probe.size, proof: probe.proof, root: probe.root),
                    "accepted corrupted probe: \(probe.name)")
        }
    }

    @Test("consistency proofs", arguments: consistencyVectors)
    func consistency(_ v: ConsistencyVector) throws {
        let (nodes, _) = vectorTree()
        let prover = MerkleProver(nodes: nodes, size: 8)
        #expect(try prover.consistencyProof(from: v.oldSize, to: v.newSize) == v.proof)

        let oldRoot = vectorRoots[Int(v.oldSize) - 1]
        let newRoot = vectorRoots[Int(v.newSize) - 1]
        #expect(MerkleVerifier.verifyConsistency(oldSize: v.oldSize, newSize: v.newSize, oldRoot: oldRoot, newRoot: newRoot, proof: v.proof))
        guard !v.proof.isEmpty else { return }
        // Corruptions modelled on [TD] corruptConsistencyProof.
        for probe in consistencyCorruptions(oldSize: v.oldSize, newSize: v.newSize, oldRoot: oldRoot, newRoot: newRoot, proof: v.proof) {
            #expect(!MerkleVerifier.verifyConsistency(oldSize: probe.oldSize, newSize: probe.newSize, oldRoot: probe.oldRoot, newRoot: probe.newRoot, proof: probe.proof),
                    "accepted corrupted probe: \(probe.name)")
        }
    }
}

// MARK: - Which nodes a proof reads ([TD] proof/proof_test.go)

struct NodeID: Hashable, Sendable, CustomStringConvertible {
    let level: Int
    let index: UInt64
    init(_ level: Int, _ index: UInt64) {
        self.level = level
        self.index = index
    }
    var description: String { "(\(level),\(index))" }
}

/// A reader that records every node read, to check addressing and the O(log n) read bound.
final class RecordingReader: MerkleNodeReader {
    let inner: InMemoryMerkleNodes
    private(set) var reads: [NodeID] = []
    init(_ inner: InMemoryMerkleNodes) { self.inner = inner }
    func node(level: Int, index: UInt64) throws -> Digest {
        reads.append(NodeID(level, index))
        return try inner.node(level: level, index: index)
    }
    func reset() { reads = [] }
}

struct NodeSetVector: Sendable, CustomTestStringConvertible {
    let a: UInt64
    let b: UInt64
    let nodes: [NodeID]
    var testDescription: String { "\(a), \(b)" }
}

private func ids(_ pairs: [(Int, UInt64)]) -> [NodeID] { pairs.map { NodeID($0.0, $0.1) } }

/// (size, index) -> nodes of the inclusion proof. Source: [TD] proof/proof_test.go TestInclusion
/// (nodes inside a `rehash` group are the perfect pieces of one right-edge subtree).
let inclusionNodeVectors: [NodeSetVector] = [
    NodeSetVector(a: 1, b: 0, nodes: []),
    NodeSetVector(a: 2, b: 0, nodes: ids([(0, 1)])),
    NodeSetVector(a: 2, b: 1, nodes: ids([(0, 0)])),
    NodeSetVector(a: 3, b: 1, nodes: ids([(0, 0), (0, 2)])),
    NodeSetVector(a: 7, b: 0, nodes: ids([(0, 1), (1, 1), (0, 6), (1, 2)])),
    NodeSetVector(a: 7, b: 1, nodes: ids([(0, 0), (1, 1), (0, 6), (1, 2)])),
    NodeSetVector(a: 7, b: 2, nodes: ids([(0, 3), (1, 0), (0, 6), (1, 2)])),
    NodeSetVector(a: 7, b: 3, nodes: ids([(0, 2), (1, 0), (0, 6), (1, 2)])),
    NodeSetVector(a: 7, b: 4, nodes: ids([(0, 5), (0, 6), (2, 0)])),
    NodeSetVector(a: 7, b: 5, nodes: ids([(0, 4), (0, 6), (2, 0)])),
    NodeSetVector(a: 7, b: 6, nodes: ids([(1, 2), (2, 0)])),
    NodeSetVector(a: 4, b: 2, nodes: ids([(0, 3), (1, 0)])),
    NodeSetVector(a: 5, b: 3, nodes: ids([(0, 2), (1, 0), (0, 4)])),
    NodeSetVector(a: 6, b: 3, nodes: ids([(0, 2), (1, 0), (1, 2)])),
    NodeSetVector(a: 6, b: 4, nodes: ids([(0, 5), (2, 0)])),
    NodeSetVector(a: 15, b: 10, nodes: ids([(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)])),
    NodeSetVector(a: 31, b: 24, nodes: ids([(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)])),
    NodeSetVector(a: 95, b: 81, nodes: ids([(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)])),
]

/// (size1, size2) -> nodes of the consistency proof. Source: [TD] proof/proof_test.go TestConsistency.
let consistencyNodeVectors: [NodeSetVector] = [
    NodeSetVector(a: 1, b: 2, nodes: ids([(0, 1)])),
    NodeSetVector(a: 1, b: 4, nodes: ids([(0, 1), (1, 1)])),
    NodeSetVector(a: 1, b: 6, nodes: ids([(0, 1), (1, 1), (1, 2)])),
    NodeSetVector(a: 2, b: 3, nodes: ids([(0, 2)])),
    NodeSetVector(a: 2, b: 8, nodes: ids([(1, 1), (2, 1)])),
    NodeSetVector(a: 3, b: 7, nodes: ids([(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)])),
    NodeSetVector(a: 4, b: 7, nodes: ids([(0, 6), (1, 2)])),
    NodeSetVector(a: 5, b: 7, nodes: ids([(0, 4), (0, 5), (0, 6), (2, 0)])),
    NodeSetVector(a: 6, b: 7, nodes: ids([(1, 2), (0, 6), (2, 0)])),
    NodeSetVector(a: 7, b: 8, nodes: ids([(0, 6), (0, 7), (1, 2), (2, 0)])),
    NodeSetVector(a: 1, b: 1, nodes: []),
    NodeSetVector(a: 2, b: 2, nodes: []),
    NodeSetVector(a: 3, b: 3, nodes: []),
    NodeSetVector(a: 4, b: 4, nodes: []),
    NodeSetVector(a: 5, b: 5, nodes: []),
    NodeSetVector(a: 7, b: 7, nodes: []),
    NodeSetVector(a: 8, b: 8, nodes: []),
    NodeSetVector(a: 2, b: 4, nodes: ids([(1, 1)])),
    NodeSetVector(a: 3, b: 5, nodes: ids([(0, 2), (0, 3), (1, 0), (0, 4)])),
    NodeSetVector(a: 3, b: 6, nodes: ids([(0, 2), (0, 3), (1, 0), (1, 2)])),
    NodeSetVector(a: 4, b: 6, nodes: ids([(1, 2)])),
    NodeSetVector(a: 1, b: 7, nodes: ids([(0, 1), (1, 1), (0, 6), (1, 2)])),
    NodeSetVector(a: 10, b: 15, nodes: ids([(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)])),
    NodeSetVector(a: 24, b: 31, nodes: ids([(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)])),
    NodeSetVector(a: 81, b: 95, nodes: ids([(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)])),
]

/// A stored tree of 100 arbitrary leaves, big enough for every node-set vector.
func hundredLeafTree() -> InMemoryMerkleNodes {
    var nodes = InMemoryMerkleNodes()
    var frontier = MerkleFrontier()
    for i in 0..<100 {
        nodes.setNodes(frontier.append(leafHash: MerkleHash.leaf([UInt8(i)])))
    }
    return nodes
}

@Suite("Merkle proof node addressing")
struct MerkleNodeAddressingTests {
    @Test("inclusion proofs read exactly the published nodes, once each", arguments: inclusionNodeVectors)
    func inclusionNodes(_ v: NodeSetVector) throws {
        let reader = RecordingReader(hundredLeafTree())
        let prover = MerkleProver(nodes: reader, size: 100)
        _ = try prover.inclusionProof(leafIndex: v.b, size: v.a)
        #expect(Set(reader.reads) == Set(v.nodes))
        #expect(reader.reads.count == v.nodes.count)
    }

    @Test("consistency proofs read exactly the published nodes, once each", arguments: consistencyNodeVectors)
    func consistencyNodes(_ v: NodeSetVector) throws {
        let reader = RecordingReader(hundredLeafTree())
        let prover = MerkleProver(nodes: reader, size: 100)
        _ = try prover.consistencyProof(from: v.a, to: v.b)
        #expect(Set(reader.reads) == Set(v.nodes))
        #expect(reader.reads.count == v.nodes.count)
    }

    @Test("bad proof arguments throw proof_out_of_range ([TD] error cases)")
    func badArguments() {
        let prover = MerkleProver(nodes: hundredLeafTree(), size: 100)
        for (size, index) in [(0, 0), (0, 1), (1, 2), (0, 3), (7, 8), (7, 7), (100, 100), (101, 0)] as [(UInt64, UInt64)] {
            #expect(throws: TalonError(.proofOutOfRange)) { try prover.inclusionProof(leafIndex: index, size: size) }
        }
        for (size1, size2) in [(5, 0), (9, 8), (0, 101), (100, 101), (101, 101)] as [(UInt64, UInt64)] {
            #expect(throws: TalonError(.proofOutOfRange)) { try prover.consistencyProof(from: size1, to: size2) }
        }
        #expect(throws: TalonError(.proofOutOfRange)) { try prover.root(size: 101) }
    }
}
