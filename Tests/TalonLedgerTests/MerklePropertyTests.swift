// Property-style tests of the Merkle tree: seeded random trees of up to 300 leaves, every leaf and
// every (old, new) pair, checked against a naive recursive RFC 6962 reference written below and
// against the independent RFC 9162 verifier; plus corrupted proofs, which must all be rejected.
import Testing
import TalonProtocol
import TalonLedger
import TalonRaft

// MARK: - Deterministic randomness

/// TalonRaft's SplitMix64 (Steele, Lea, Flood 2014): tiny, seedable, identical on every platform.
extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
    mutating func digest() -> Digest { Digest(bytes: bytes(32))! }
}

// MARK: - Naive reference implementation (RFC 6962 §2.1, written straight from the definitions)

enum ReferenceMerkle {
    /// The largest power of two strictly smaller than n (n >= 2).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[n]) over leaf hashes.
    static func mth(_ leaves: ArraySlice<Digest>) -> Digest {
        switch leaves.count {
        case 0: return SHA256.hash([UInt8]())
        case 1: return leaves.first!
        default:
            let k = split(leaves.count)
            return MerkleHash.node(mth(leaves.prefix(k)), mth(leaves.dropFirst(k)))
        }
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ leaves: ArraySlice<Digest>) -> [Digest] {
        let n = leaves.count
        guard n > 1 else { return [] }
        let k = split(n)
        if m < k {
            return path(m, leaves.prefix(k)) + [mth(leaves.dropFirst(k))]
        }
        return path(m - k, leaves.dropFirst(k)) + [mth(leaves.prefix(k))]
    }

    /// PROOF(m, D[n]); empty for m == 0 and m == n.
    static func proof(_ m: Int, _ leaves: ArraySlice<Digest>) -> [Digest] {
        guard m > 0, m < leaves.count else { return [] }
        return subproof(m, leaves, true)
    }

    /// SUBPROOF(m, D[n], b).
    static func subproof(_ m: Int, _ leaves: ArraySlice<Digest>, _ b: Bool) -> [Digest] {
        let n = leaves.count
        if m == n { return b ? [] : [mth(leaves)] }
        let k = split(n)
        if m <= k {
            return subproof(m, leaves.prefix(k), b) + [mth(leaves.dropFirst(k))]
        }
        return subproof(m - k, leaves.dropFirst(k), false) + [mth(leaves.prefix(k))]
    }
}

// MARK: - Corrupted proofs (modelled on transparency-dev/merkle proof/verify_test.go)

struct InclusionProbe {
    let name: String
    let leaf: Digest
    let index: UInt64
    let size: UInt64
    let proof: [Digest]
    let root: Digest
}

struct ConsistencyProbe {
    let name: String
    let oldSize: UInt64
    let newSize: UInt64
    let oldRoot: Digest
    let newRoot: Digest
    let proof: [Digest]
}

let someHash = digest("abacaba000000000000000000000000000000000000000000060061e00123456")

func flipped(_ d: Digest, byte: Int = 0, mask: UInt8) -> Digest {
    var b = d.bytes
    b[byte] ^= mask
    return Digest(bytes: b)!
}

/// Variations of a valid inclusion proof that must all fail to verify.
func inclusionCorruptions(leaf: Digest, index: UInt64, size: UInt64, proof: [Digest], root: Digest) -> [InclusionProbe] {
    func p(_ name: String, leaf: Digest = leaf, index: UInt64 = index, size: UInt64 = size, proof: [Digest] = proof, root: Digest = root) -> InclusionProbe {
        InclusionProbe(name: name, leaf: leaf, index: index, size: size, proof: proof, root: root)
    }
    var probes = [
        p("index - 1", index: index &- 1),
        p("index + 1", index: index &+ 1),
        p("index ^ 2", index: index ^ 2),
        p("size * 2", size: size &* 2),
        p("size / 2", size: size / 2),
        p("wrong leaf", leaf: MerkleHash.leaf(Array("WrongLeaf".utf8))),
        p("empty root", root: MerkleHash.emptyRoot),
        p("random root", root: someHash),
        p("trailing zero hash", proof: proof + [.zero]),
        p("trailing root", proof: proof + [root]),
        p("preceding zero hash", proof: [.zero] + proof),
        p("preceding root", proof: [root] + proof),
    ]
    for i in proof.indices {
        var wrong = proof
        wrong[i] = flipped(wrong[i], mask: 8)
        probes.append(p("proof[\(i)] bit flipped", proof: wrong))
    }
    if !proof.isEmpty {
        probes.append(p("removed last", proof: Array(proof.dropLast())))
    }
    if proof.count > 1 {
        probes.append(p("inserted component", proof: [proof[0], someHash] + proof[1...]))
    }
    return probes
}

/// Variations of a valid, non-empty consistency proof that must all fail to verify.
func consistencyCorruptions(oldSize: UInt64, newSize: UInt64, oldRoot: Digest, newRoot: Digest, proof: [Digest]) -> [ConsistencyProbe] {
    func p(_ name: String, oldSize: UInt64 = oldSize, newSize: UInt64 = newSize, oldRoot: Digest = oldRoot, newRoot: Digest = newRoot, proof: [Digest] = proof) -> ConsistencyProbe {
        ConsistencyProbe(name: name, oldSize: oldSize, newSize: newSize, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
    }
    var probes = [
        p("old size - 1", oldSize: oldSize &- 1),
        p("old size + 1", oldSize: oldSize &+ 1),
        p("old size ^ 2", oldSize: oldSize ^ 2),
        p("new size * 2", newSize: newSize &* 2),
        p("new size / 2", newSize: newSize / 2),
        p("wrong old root", oldRoot: someHash),
        p("wrong new root", newRoot: someHash),
        p("swapped roots", oldRoot: newRoot, newRoot: oldRoot),
        p("empty proof", proof: []),
        p("trailing zero hash", proof: proof + [.zero]),
        p("trailing old root", proof: proof + [oldRoot]),
        p("trailing new root", proof: proof + [newRoot]),
        p("preceding zero hash", proof: [.zero] + proof),
        p("preceding old root", proof: [oldRoot] + proof),
        p("preceding new root", proof: [newRoot] + proof),
        p("preceding proof[0]", proof: [proof[0]] + proof),
        p("truncated", proof: Array(proof.dropLast())),
    ]
    for i in proof.indices {
        var wrong = proof
        wrong[i] = flipped(wrong[i], mask: 16)
        probes.append(p("proof[\(i)] bit flipped", proof: wrong))
    }
    return probes
}

// MARK: - A random stored tree

/// A tree of `count` random leaves (0...80 bytes each), with all complete nodes stored and the root of every prefix.
struct RandomTree {
    let leafHashes: [Digest]
    let nodes: InMemoryMerkleNodes
    /// prefixRoots[s] is the frontier's root after s leaves.
    let prefixRoots: [Digest]

    init(count: Int, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var nodes = InMemoryMerkleNodes()
        var frontier = MerkleFrontier()
        var leafHashes: [Digest] = []
        var roots = [frontier.root()]
        for _ in 0..<count {
            let data = rng.bytes(Int.random(in: 0...80, using: &rng))
            let h = MerkleHash.leaf(data)
            leafHashes.append(h)
            nodes.setNodes(frontier.append(leafHash: h))
            roots.append(frontier.root())
        }
        self.leafHashes = leafHashes
        self.nodes = nodes
        self.prefixRoots = roots
    }
}

let maxTreeSize = 300
let treeSeed: UInt64 = 0x7A10_4E6C_0FFE_E001

/// Tree sizes 1...300 split into interleaved shards so Swift Testing can run them in parallel.
let sizeShards: [[Int]] = (0..<4).map { shard in Array(stride(from: 1 + shard, through: maxTreeSize, by: 4)) }

@Suite("Merkle properties")
struct MerklePropertyTests {
    @Test("frontier root == prover root == reference MTH for every size 0...300")
    func rootsAgree() throws {
        let tree = RandomTree(count: maxTreeSize, seed: treeSeed)
        let prover = MerkleProver(nodes: tree.nodes, size: UInt64(maxTreeSize))
        for size in 0...maxTreeSize {
            let reference = ReferenceMerkle.mth(tree.leafHashes[..<size])
            #expect(tree.prefixRoots[size] == reference, "frontier root of size \(size)")
            #expect(try prover.root(size: UInt64(size)) == reference, "prover root of size \(size)")
        }
        #expect(tree.prefixRoots[0] == MerkleHash.emptyRoot)
    }

    @Test("inclusion proofs for every leaf of every size verify; corruptions fail", arguments: sizeShards)
    func inclusionProofs(sizes: [Int]) throws {
        let tree = RandomTree(count: maxTreeSize, seed: treeSeed)
        let prover = MerkleProver(nodes: tree.nodes, size: UInt64(maxTreeSize))
        var rng = SplitMix64(seed: treeSeed ^ UInt64(sizes[0]))
        for size in sizes {
            let n = UInt64(size)
            let root = tree.prefixRoots[size]
            for index in 0..<size {
                let i = UInt64(index)
                let leaf = tree.leafHashes[index]
                let proof = try prover.inclusionProof(leafIndex: i, size: n)
                if size <= 96 || index % 7 == 0 {
                    #expect(proof == ReferenceMerkle.path(index, tree.leafHashes[..<size]), "path \(index) of \(size)")
                }
                #expect(MerkleVerifier.verifyInclusion(leafHash: leaf, index: i, size: n, proof: proof, root: root), "leaf \(index) of \(size)")

                for probe in inclusionCorruptions(leaf: leaf, index: i, size: n, proof: proof, root: root) {
                    #expect(!MerkleVerifier.verifyInclusion(leafHash: probe.leaf, index: probe.index, size: probe.size, proof: probe.proof, root: probe.root),
                            "leaf \(index) of \(size) accepted \(probe.name)")
                }
                // Random single-byte corruption anywhere in the proof.
                if !proof.isEmpty {
                    var wrong = proof
                    let e = Int.random(in: 0..<proof.count, using: &rng)
                    wrong[e] = flipped(wrong[e], byte: Int.random(in: 0..<32, using: &rng), mask: UInt8.random(in: 1...255, using: &rng))
                    #expect(!MerkleVerifier.verifyInclusion(leafHash: leaf, index: i, size: n, proof: wrong, root: root))
                }
                // Another leaf's index, and the proof against a neighbouring tree size with that size's true root.
                let other = UInt64.random(in: 0..<n, using: &rng)
                if other != i {
                    #expect(!MerkleVerifier.verifyInclusion(leafHash: leaf, index: other, size: n, proof: proof, root: root))
                }
                if size < maxTreeSize {
                    #expect(!MerkleVerifier.verifyInclusion(leafHash: leaf, index: i, size: n + 1, proof: proof, root: tree.prefixRoots[size + 1]))
                }
                if index < size - 1 {
                    #expect(!MerkleVerifier.verifyInclusion(leafHash: leaf, index: i, size: n - 1, proof: proof, root: tree.prefixRoots[size - 1]))
                }
            }
        }
    }

    @Test("consistency proofs for every pair of sizes verify; corruptions fail", arguments: sizeShards)
    func consistencyProofs(newSizes: [Int]) throws {
        let tree = RandomTree(count: maxTreeSize, seed: treeSeed)
        let prover = MerkleProver(nodes: tree.nodes, size: UInt64(maxTreeSize))
        var rng = SplitMix64(seed: ~treeSeed ^ UInt64(newSizes[0]))
        for newSize in [0] + newSizes {
            let n = UInt64(newSize)
            let newRoot = tree.prefixRoots[newSize]
            for oldSize in 0...newSize {
                let m = UInt64(oldSize)
                let oldRoot = tree.prefixRoots[oldSize]
                let proof = try prover.consistencyProof(from: m, to: n)
                if newSize <= 96 || oldSize % 7 == 0 {
                    #expect(proof == ReferenceMerkle.proof(oldSize, tree.leafHashes[..<newSize]), "proof \(oldSize) -> \(newSize)")
                }
                #expect(MerkleVerifier.verifyConsistency(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: proof), "\(oldSize) -> \(newSize)")
                guard !proof.isEmpty else {
                    #expect(oldSize == 0 || oldSize == newSize)
                    continue
                }
                for probe in consistencyCorruptions(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: proof) {
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: probe.oldSize, newSize: probe.newSize, oldRoot: probe.oldRoot, newRoot: probe.newRoot, proof: probe.proof),
                            "\(oldSize) -> \(newSize) accepted \(probe.name)")
                }
                var wrong = proof
                let e = Int.random(in: 0..<proof.count, using: &rng)
                wrong[e] = flipped(wrong[e], byte: Int.random(in: 0..<32, using: &rng), mask: UInt8.random(in: 1...255, using: &rng))
                #expect(!MerkleVerifier.verifyConsistency(oldSize: m, newSize: n, oldRoot: oldRoot, newRoot: newRoot, proof: wrong))
                // Neighbouring sizes with their own true roots.
                #expect(!MerkleVerifier.verifyConsistency(oldSize: m - 1, newSize: n, oldRoot: tree.prefixRoots[oldSize - 1], newRoot: newRoot, proof: proof))
                #expect(!MerkleVerifier.verifyConsistency(oldSize: m + 1, newSize: n, oldRoot: tree.prefixRoots[oldSize + 1], newRoot: newRoot, proof: proof))
                if newSize < maxTreeSize {
                    #expect(!MerkleVerifier.verifyConsistency(oldSize: m, newSize: n + 1, oldRoot: oldRoot, newRoot: tree.prefixRoots[newSize + 1], proof: proof))
                }
                #expect(!MerkleVerifier.verifyConsistency(oldSize: m, newSize: n - 1, oldRoot: oldRoot, newRoot: tree.prefixRoots[newSize - 1], proof: proof))
            }
        }
    }

    @Test("proofs use O(log n) node reads")
    func logarithmicReads() throws {
        let tree = RandomTree(count: maxTreeSize, seed: treeSeed)
        let reader = RecordingReader(tree.nodes)
        let prover = MerkleProver(nodes: reader, size: UInt64(maxTreeSize))
        var rng = SplitMix64(seed: 99)
        for _ in 0..<500 {
            let n = UInt64.random(in: 1...UInt64(maxTreeSize), using: &rng)
            let bound = 2 * (64 - n.leadingZeroBitCount)
            reader.reset()
            _ = try prover.inclusionProof(leafIndex: UInt64.random(in: 0..<n, using: &rng), size: n)
            #expect(reader.reads.count <= bound)
            reader.reset()
            _ = try prover.consistencyProof(from: UInt64.random(in: 0...n, using: &rng), to: n)
            #expect(reader.reads.count <= bound)
            reader.reset()
            _ = try prover.root(size: n)
            #expect(reader.reads.count == n.nonzeroBitCount)
        }
    }
}
