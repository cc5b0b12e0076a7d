// Edge cases of MerkleVerifier (RFC 9162 §2.1.3.2 / §2.1.4.2) and of TalonError; the verifier must
// return false, never trap, on any input.
import Testing
import TalonProtocol
import TalonLedger
import TalonRaft

@Suite("Merkle verifier edge cases")
struct MerkleVerifierTests {
    let a = digest("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
    let b = digest("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")

    @Test("inclusion: index outside the tree and empty trees are rejected")
    func inclusionBounds() {
        // Modelled on transparency-dev/merkle proof/verify_test.go TestVerifyInclusion probes.
        for (index, size) in [(0, 0), (1, 0), (2, 1), (1, 1), (UInt64.max, UInt64.max), (5, 3)] as [(UInt64, UInt64)] {
            #expect(!MerkleVerifier.verifyInclusion(leafHash: a, index: index, size: size, proof: [], root: a))
            #expect(!MerkleVerifier.verifyInclusion(leafHash: a, index: index, size: size, proof: [], root: MerkleHash.emptyRoot))
            #expect(!MerkleVerifier.verifyInclusion(leafHash: a, index: index, size: size, proof: [b], root: a))
        }
    }

    @Test("inclusion: a single-leaf tree's root is its leaf hash, with an empty proof")
    func singleLeaf() {
        // transparency-dev/merkle proof/verify_test.go TestVerifyInclusionSingleEntry.
        #expect(MerkleVerifier.verifyInclusion(leafHash: a, index: 0, size: 1, proof: [], root: a))
        #expect(!MerkleVerifier.verifyInclusion(leafHash: a, index: 0, size: 1, proof: [], root: b))
        #expect(!MerkleVerifier.verifyInclusion(leafHash: a, index: 0, size: 1, proof: [b], root: MerkleHash.node(a, b)))
        // The same leaf at index 0 of a 2-leaf tree needs exactly one sibling.
        #expect(MerkleVerifier.verifyInclusion(leafHash: a, index: 0, size: 2, proof: [b], root: MerkleHash.node(a, b)))
        #expect(MerkleVerifier.verifyInclusion(leafHash: b, index: 1, size: 2, proof: [a], root: MerkleHash.node(a, b)))
        #expect(!MerkleVerifier.verifyInclusion(leafHash: a, index: 0, size: 2, proof: [], root: MerkleHash.node(a, b)))
    }

    @Test("consistency: the edge cases RFC 9162 leaves to the caller")
    func consistencyEdges() {
        let empty = MerkleHash.emptyRoot
        // Equal sizes: empty proof and equal roots, nothing else.
        #expect(MerkleVerifier.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: a, newRoot: a, proof: []))
        #expect(MerkleVerifier.verifyConsistency(oldSize: .max, newSize: .max, oldRoot: a, newRoot: a, proof: []))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: a, newRoot: b, proof: []))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 1, newSize: 1, oldRoot: a, newRoot: a, proof: [a]))
        // Old size 0: the empty tree is a prefix of every tree, with an empty proof and the empty root.
        #expect(MerkleVerifier.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: empty, newRoot: empty, proof: []))
        #expect(MerkleVerifier.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: empty, newRoot: a, proof: []))
        #expect(MerkleVerifier.verifyConsistency(oldSize: 0, newSize: .max, oldRoot: empty, newRoot: b, proof: []))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: a, newRoot: a, proof: []))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: a, newRoot: b, proof: []))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 0, newSize: 0, oldRoot: empty, newRoot: empty, proof: [empty]))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 0, newSize: 1, oldRoot: empty, newRoot: empty, proof: [empty]))
        // Time travel to the past.
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 1, newSize: 0, oldRoot: a, newRoot: empty, proof: []))
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 2, newSize: 1, oldRoot: a, newRoot: b, proof: [a]))
        // 0 < old < new needs a non-empty proof.
        #expect(!MerkleVerifier.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: a, newRoot: MerkleHash.node(a, b), proof: []))
        #expect(MerkleVerifier.verifyConsistency(oldSize: 1, newSize: 2, oldRoot: a, newRoot: MerkleHash.node(a, b), proof: [b]))
    }

    @Test("random and extreme inputs never trap and never verify")
    func fuzz() {
        var rng = SplitMix64(seed: 0xDEAD_BEEF)
        let special: [UInt64] = [0, 1, 2, 3, 63, 64, 65, 1 << 32, (1 << 63) - 1, 1 << 63, (1 << 63) + 1, .max - 1, .max]
        func size() -> UInt64 {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: special.randomElement(using: &rng)!
            case 1: UInt64.random(in: 0...300, using: &rng)
            case 2: UInt64.random(in: 0...UInt64.max, using: &rng)
            default: UInt64.max - UInt64.random(in: 0...300, using: &rng)
            }
        }
        for _ in 0..<20_000 {
            let proof = (0..<Int.random(in: 0...70, using: &rng)).map { _ in rng.digest() }
            let x = rng.digest()
            let y = rng.digest()
            #expect(!MerkleVerifier.verifyInclusion(leafHash: x, index: size(), size: size(), proof: proof, root: y))
            // Random distinct, non-empty-tree roots: no edge case can accept them.
            #expect(!MerkleVerifier.verifyConsistency(oldSize: size(), newSize: size(), oldRoot: x, newRoot: y, proof: proof))
        }
    }

    @Test("TalonError compares by code only and describes itself")
    func errors() throws {
        let e = TalonError.nodeMissing(level: 3, index: 7)
        #expect(e == TalonError(.merkleNodeMissing))
        #expect(e.code == .merkleNodeMissing)
        #expect(e.description == "merkle_node_missing: no stored Merkle node at level 3, index 7")
        #expect(TalonError.nodeCorrupt(level: 0, index: 1, "short value") == TalonError(.merkleNodeCorrupt))
        #expect(Code.proofOutOfRange.name == "proof_out_of_range")
        #expect(TalonError(.proofOutOfRange) != TalonError(.merkleNodeMissing))
        #expect(Set([e, TalonError(.merkleNodeMissing)]).count == 1)

        let prover = MerkleProver(nodes: InMemoryMerkleNodes(), size: 0)
        #expect(try prover.root() == MerkleHash.emptyRoot)
        #expect(try prover.consistencyProof(from: 0, to: 0) == [])
        do {
            _ = try prover.inclusionProof(leafIndex: 0, size: 0)
            Issue.record("expected an error")
        } catch let error as TalonError {
            #expect(error == TalonError(.proofOutOfRange))
            #expect(error.message == "leaf index 0 is not below tree size 0")
        }
    }

    @Test("a missing stored node surfaces as merkle_node_missing from every prover entry point")
    func missingNode() throws {
        var (nodes, _) = vectorTree()
        nodes.removeNode(level: 1, index: 1)  // leaves [2, 4)
        let prover = MerkleProver(nodes: nodes, size: 8)
        #expect(throws: TalonError(.merkleNodeMissing)) { try prover.inclusionProof(leafIndex: 0, size: 4) }
        #expect(throws: TalonError(.merkleNodeMissing)) { try prover.consistencyProof(from: 2, to: 4) }
        // Requests that do not need the node still work: the root of 4 leaves is read whole, at (2, 0).
        #expect(try prover.root(size: 4) == vectorRoots[3])
        #expect(try prover.root(size: 3) == vectorRoots[2])
        #expect(try prover.inclusionProof(leafIndex: 5, size: 8).count == 3)

        nodes.removeNode(level: 1, index: 0)  // leaves [0, 2): part of the right edge of size 3
        let damaged = MerkleProver(nodes: nodes, size: 8)
        #expect(throws: TalonError(.merkleNodeMissing)) { try damaged.root(size: 3) }
        #expect(try damaged.root(size: 8) == vectorRoots[7])
    }
}
