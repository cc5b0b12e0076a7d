import TalonProtocol
import TalonLedger
import TalonTestSupport
import Testing

/// Checks an audit answer's record proof as docs/format.md "Audit answers" says a verifier
/// with nothing but the genesis file does, with the product's `MerkleVerifier` for the paths
/// and the tests' format model for every byte hashed.
enum AuditProof {
    static func digest(_ bytes: [UInt8]) throws -> Digest { try #require(Digest(bytes: bytes)) }
    static func digest(_ text: String?) throws -> Digest { try #require(text.flatMap { Digest(hex: $0) }, "not a hash: \(String(describing: text))") }

    /// `item` (a provenance step, a trade or an entry attempt) carries a proof that its
    /// envelope is `line` at its leaf of the answer's signed `head`, and that applying it gave
    /// its result, under a head signed at its block.
    static func expectProven(_ item: JSONValue, line: String, head: JSONValue, genesis: [UInt8],
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let proof = try #require(item["proof"], "no proof in \(item)", sourceLocation: sourceLocation)
        // Step 2: the envelope, its hash, and its path to the answer's tree root.
        #expect(proof["envelope"] == (try JSONValue.parse(line)), sourceLocation: sourceLocation)
        let bytes = try FormatModel.envelopeBytes(line: line)
        #expect(item["envelope_hash"]?.string == FormatModel.hex(FormatModel.sha256(bytes)), sourceLocation: sourceLocation)
        let leaf = UInt64(try #require(item["leaf"]?.int, sourceLocation: sourceLocation))
        let size = UInt64(try #require(head["head"]?["tree_size"]?.int, sourceLocation: sourceLocation))
        let path = try (proof["path"]?.array ?? []).map { try digest($0.string) }
        #expect(MerkleVerifier.verifyInclusion(leafHash: try digest(FormatModel.sha256([0] + bytes)), index: leaf, size: size, proof: path,
                                               root: try digest(head["head"]?["tree_root"]?.string)),
                "leaf \(leaf) is not proven in the tree of \(size)", sourceLocation: sourceLocation)

        // Step 4: the outcome, under a head signed at the record's block.
        let outcome = try #require(proof["outcome"], "no outcome in \(proof)", sourceLocation: sourceLocation)
        let header = try #require(outcome["header"], sourceLocation: sourceLocation)
        let blockHead = try #require(outcome["head"], sourceLocation: sourceLocation)
        try verifySignedHead(blockHead, genesis: genesis, sourceLocation: sourceLocation)
        #expect(FormatModel.hex(FormatModel.sha256(try FormatModel.headerBytes(header))) == blockHead["head"]?["block_hash"]?.string,
                "the header does not hash to the signed head's block hash", sourceLocation: sourceLocation)
        for (field, headField) in [("height", "height"), ("timestamp", "timestamp"), ("tree_size", "tree_size"), ("tree_root", "tree_root")] {
            #expect(header[field] == blockHead["head"]?[headField], "\(field)", sourceLocation: sourceLocation)
        }
        let count = try #require(header["count"]?.int, sourceLocation: sourceLocation)
        let position = try #require(outcome["position"]?.int, sourceLocation: sourceLocation)
        let treeSize = try #require(header["tree_size"]?.int, sourceLocation: sourceLocation)
        #expect(treeSize - count + position == Int64(leaf), "the block's leaves do not hold leaf \(leaf)", sourceLocation: sourceLocation)
        let result = try #require(outcome["result"]?.string, sourceLocation: sourceLocation)
        let entry = try FormatModel.entryBytes(envelopeHash: FormatModel.hex(FormatModel.sha256(bytes)), result: result, decision: outcome["decision"])
        let entryPath = try (outcome["path"]?.array ?? []).map { try digest($0.string) }
        let digestRoot = try digest(header["entries_digest"]?.string)
        #expect(MerkleVerifier.verifyInclusion(leafHash: try digest(FormatModel.sha256([0] + entry)), index: UInt64(position), size: UInt64(count),
                                               proof: entryPath, root: digestRoot),
                "the entry is not proven to entries_digest", sourceLocation: sourceLocation)
        // Another result is not what the block holds.
        let forged = try FormatModel.entryBytes(envelopeHash: FormatModel.hex(FormatModel.sha256(bytes)), result: result == "ok" ? "not_holder" : "ok",
                                                decision: outcome["decision"])
        #expect(!MerkleVerifier.verifyInclusion(leafHash: try digest(FormatModel.sha256([0] + forged)), index: UInt64(position), size: UInt64(count),
                                                proof: entryPath, root: digestRoot), sourceLocation: sourceLocation)

        // Step 5: the row agrees with the outcome.
        #expect(item["result"]?.string == result && item["height"] == header["height"] && item["timestamp"] == header["timestamp"],
                "\(item)", sourceLocation: sourceLocation)
    }
}
