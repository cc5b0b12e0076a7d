import TalonProtocol
import TalonLedger
import TalonTestSupport
import Testing

/// Merkle proofs through the router in process, checked with the product's `MerkleVerifier`
/// and with the RFC 9162 algorithms written in the tests, against roots the tests compute
/// from the scenario's envelopes (docs/format.md, "Merkle tree").
@Suite(.timeLimit(.minutes(3)))
struct RouterProofTests {
    static func digest(_ text: String?) throws -> Digest { try #require(text.flatMap { Digest(hex: $0) }, "not a hash: \(String(describing: text))") }
    static func digests(_ value: JSONValue?) throws -> [Digest] { try (value?.array ?? []).map { try digest($0.string) } }

    @Test func inclusionProofsVerifyAgainstTheSignedHeadAndEarlierSizes() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let leaves = try s.steps.map { try FormatModel.envelopeBytes(line: $0.line) }
            let size = UInt64(leaves.count)
            let root = FormatModel.merkleRoot(leaves)
            for (i, step) in s.steps.enumerated() {
                let hash = try s.hash(step.name)
                let proof = try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", hash)], expect: 200)
                let leafHash = FormatModel.sha256([0] + leaves[i])
                #expect(proof["leaf"]?.int == Int64(i) && proof["tree_size"]?.int == Int64(size))
                #expect(proof["leaf_hash"]?.string == FormatModel.hex(leafHash) && proof["root"]?.string == FormatModel.hex(root))
                let path = try Self.digests(proof["path"])
                #expect(MerkleVerifier.verifyInclusion(leafHash: try Self.digest(FormatModel.hex(leafHash)), index: UInt64(i), size: size,
                                                       proof: path, root: try Self.digest(FormatModel.hex(root))))
                #expect(RFC9162.root(leaf: UInt64(i), size: size, leafHash: leafHash, path: path.map(\.bytes)) == root)
                // The proof comes with the signed head it is against.
                let head = try #require(proof["head"])
                try verifySignedHead(head, genesis: api.solo.genesisBytes)
                #expect(head["head"]?["tree_root"]?.string == FormatModel.hex(root))
                if var tampered = path.first?.bytes {
                    tampered[0] ^= 1
                    #expect(!MerkleVerifier.verifyInclusion(leafHash: try Self.digest(FormatModel.hex(leafHash)), index: UInt64(i), size: size,
                                                            proof: [try Self.digest(FormatModel.hex(tampered))] + path.dropFirst(),
                                                            root: try Self.digest(FormatModel.hex(root))))
                }
                // Against earlier trees that hold the leaf (the smallest, one between, the last
                // before the head's), without a head.
                for earlier in Set([UInt64(i + 1), (UInt64(i + 1) + size) / 2, size - 1]) where earlier > UInt64(i) && earlier < size {
                    let old = try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", hash), ("size", "\(earlier)")], expect: 200)
                    let oldRoot = FormatModel.merkleRoot(Array(leaves.prefix(Int(earlier))))
                    #expect(old["head"] == nil && old["tree_size"]?.int == Int64(earlier) && old["root"]?.string == FormatModel.hex(oldRoot))
                    #expect(MerkleVerifier.verifyInclusion(leafHash: try Self.digest(FormatModel.hex(leafHash)), index: UInt64(i), size: earlier,
                                                           proof: try Self.digests(old["path"]), root: try Self.digest(FormatModel.hex(oldRoot))))
                }
                try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", hash), ("size", "\(i)")], expect: 400, code: "proof_out_of_range")
            }
            let hash = try s.hash("transfer")
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", hash), ("size", "\(size + 1)")], expect: 400, code: "proof_out_of_range")
            for size in ["+9", "-1", "%209", "18446744073709551616", "nine"] {
                try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", hash), ("size", size)], expect: 400, code: "invalid_parameter")
            }
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", "zz")], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", hash.uppercased())], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/proofs/inclusion", expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", String(repeating: "0", count: 64))], expect: 404, code: "not_found")
        }
    }

    /// From the empty tree, the smallest ones, one between and the last ones to every size.
    @Test func consistencyProofsVerifyFromEarlierSizesToEveryLaterOne() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let leaves = try s.steps.map { try FormatModel.envelopeBytes(line: $0.line) }
            let size = leaves.count
            let roots = (0...size).map { FormatModel.merkleRoot(Array(leaves.prefix($0))) }
            for to in 0...size {
                for from in Set([0, 1, 2, 3, to / 2, to - 1, to]).sorted() where from >= 0 && from <= to {
                    let proof = try await api.call("GET", "/v1/proofs/consistency", query: [("from", "\(from)"), ("to", "\(to)")], expect: 200)
                    #expect(proof["from_root"]?.string == FormatModel.hex(roots[from]) && proof["to_root"]?.string == FormatModel.hex(roots[to]))
                    let path = try Self.digests(proof["path"])
                    #expect(MerkleVerifier.verifyConsistency(oldSize: UInt64(from), newSize: UInt64(to), oldRoot: try Self.digest(FormatModel.hex(roots[from])),
                                                             newRoot: try Self.digest(FormatModel.hex(roots[to])), proof: path), "\(from) → \(to)")
                    if from > 0 {
                        #expect(RFC9162.consistent(first: UInt64(from), second: UInt64(to), firstRoot: roots[from], secondRoot: roots[to],
                                                   path: path.map(\.bytes)), "\(from) → \(to)")
                    }
                }
            }
            try await api.call("GET", "/v1/proofs/consistency", query: [("from", "2"), ("to", "1")], expect: 400, code: "proof_out_of_range")
            try await api.call("GET", "/v1/proofs/consistency", query: [("from", "1"), ("to", "\(size + 1)")], expect: 400, code: "proof_out_of_range")
            for query in [[("from", "1")], [("to", "1")], [("from", "+1"), ("to", "2")], [("from", "1"), ("to", "2%20")], [("from", "-0"), ("to", "1")]] {
                try await api.call("GET", "/v1/proofs/consistency", query: query, expect: 400, code: "invalid_parameter")
            }
        }
    }
}
