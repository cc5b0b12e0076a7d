/// `GET /v1/proofs/inclusion`: a record's leaf and its RFC 9162 audit path to the root of
/// the tree of `tree_size` leaves (docs/openapi.yaml `InclusionProof`).
public struct InclusionProof: Hashable, Sendable, Codable {
    public var leaf: UInt64, treeSize: UInt64
    /// SHA-256(0x00 · envelope bytes).
    public var leafHash: Digest
    public var root: Digest
    public var path: [Digest]
    /// The node's signed head when the tree is its latest; nil (absent) otherwise.
    public var head: SignedHead?

    /// The proof of `leaf` in the tree of `treeSize`.
    public init(leaf: UInt64, treeSize: UInt64, leafHash: Digest, root: Digest, path: [Digest], head: SignedHead?) {
        self.leaf = leaf; self.treeSize = treeSize; self.leafHash = leafHash; self.root = root; self.path = path; self.head = head
    }

    enum CodingKeys: String, CodingKey { case leaf, treeSize = "tree_size", leafHash = "leaf_hash", root, path, head }
}

/// `GET /v1/proofs/consistency`: that the tree of `to` leaves extends the tree of `from`
/// (docs/openapi.yaml `ConsistencyProof`).
public struct ConsistencyProof: Hashable, Sendable, Codable {
    public var from: UInt64, to: UInt64
    public var fromRoot: Digest, toRoot: Digest
    public var path: [Digest]

    /// The proof from the tree of `from` leaves to the tree of `to`.
    public init(from: UInt64, to: UInt64, fromRoot: Digest, toRoot: Digest, path: [Digest]) {
        self.from = from; self.to = to; self.fromRoot = fromRoot; self.toRoot = toRoot; self.path = path
    }

    enum CodingKeys: String, CodingKey { case from, to, fromRoot = "from_root", toRoot = "to_root", path }
}
