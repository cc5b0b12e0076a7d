import Hummingbird
import TalonProtocol
import TalonLedger

/// Merkle proofs an auditor checks against a signed head (docs/format.md, "Merkle tree"):
/// that a record is in the log, and that a later head extends an earlier one.
extension NodeAPI {
    func addProofRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/proofs/inclusion") { request, _ in
            let q = request.uri.queryParameters
            guard let text = q.get("hash"), let hash = Digest(hex: text) else {
                throw TalonError(.invalidParameter, "hash must be an envelope hash, 64 lowercase hex digits")
            }
            // One signed head fixes the tree the proof is against, unless the caller names a size.
            let signed = SignedHead(head: try node.ledger.head(), node: memberName, key: key, genesis: node.ledger.genesis)
            let size = try Self.integer(q.get("size"), "size", in: 0...UInt64.max) ?? signed.head.treeSize
            guard let record = try node.ledger.record(hash: hash) else { throw TalonError(.notFound, "no envelope \(text)") }
            let path = try node.ledger.inclusionProof(leaf: record.receipt.leaf, treeSize: size)
            return try json(InclusionBody(leaf: record.receipt.leaf, treeSize: size, leafHash: MerkleHash.leaf(record.envelope.bytes),
                                          root: try node.ledger.treeRoot(size: size), path: path,
                                          head: size == signed.head.treeSize ? signed : nil))
        }
        router.get("/v1/proofs/consistency") { request, _ in
            let q = request.uri.queryParameters
            guard let from = try Self.integer(q.get("from"), "from", in: 0...UInt64.max),
                  let to = try Self.integer(q.get("to"), "to", in: 0...UInt64.max) else {
                throw TalonError(.invalidParameter, "from and to must be tree sizes")
            }
            let path = try node.ledger.consistencyProof(from: from, to: to)
            return try json(ConsistencyBody(from: from, to: to, fromRoot: try node.ledger.treeRoot(size: from),
                                            toRoot: try node.ledger.treeRoot(size: to), path: path))
        }
    }

    struct InclusionBody: Encodable {
        let leaf: UInt64, treeSize: UInt64, leafHash: Digest, root: Digest, path: [Digest]
        let head: SignedHead?
        enum CodingKeys: String, CodingKey { case leaf, treeSize = "tree_size", leafHash = "leaf_hash", root, path, head }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(leaf, forKey: .leaf); try c.encode(treeSize, forKey: .treeSize)
            try c.encode(leafHash, forKey: .leafHash); try c.encode(root, forKey: .root)
            try c.encode(path, forKey: .path); try c.encodeIfPresent(head, forKey: .head)
        }
    }

    struct ConsistencyBody: Encodable {
        let from: UInt64, to: UInt64, fromRoot: Digest, toRoot: Digest, path: [Digest]
        enum CodingKeys: String, CodingKey { case from, to, fromRoot = "from_root", toRoot = "to_root", path }
    }
}
