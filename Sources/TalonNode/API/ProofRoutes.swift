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
            return try json(InclusionProof(leaf: record.receipt.leaf, treeSize: size, leafHash: MerkleHash.leaf(record.envelope.bytes),
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
            return try json(ConsistencyProof(from: from, to: to, fromRoot: try node.ledger.treeRoot(size: from),
                                            toRoot: try node.ledger.treeRoot(size: to), path: path))
        }
    }
}
