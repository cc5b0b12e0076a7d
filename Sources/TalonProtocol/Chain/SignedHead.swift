
/// A head signed by a cluster member: what an auditor keeps and checks offline with nothing
/// but the genesis file. The signature covers `"TALON-HEAD-V1\0" · genesis hash[32] ·
/// height u64 · block hash[32] · tree size u64 · tree root[32] · timestamp i64` (big-endian),
/// so a head of one chain can never pass for another's.
public struct SignedHead: Hashable, Sendable, Codable {
    public var head: Head
    /// The member id (from genesis) of the node that signed.
    public var node: String
    public var signature: Signature

    /// The prefix that separates head signatures from everything else Talon signs.
    public static let signingDomain = Array("TALON-HEAD-V1\0".utf8)

    /// The bytes a node signs for `head` on the chain of `genesisHash`.
    public static func signedBytes(_ head: Head, genesisHash: Digest) -> [UInt8] {
        var out = signingDomain + genesisHash.bytes
        out.appendBigEndian(head.height)
        out += head.blockHash.bytes
        out.appendBigEndian(head.treeSize)
        out += head.treeRoot.bytes
        out.appendBigEndian(head.timestamp)
        return out
    }

    /// Signs `head` as member `node` of `genesis`.
    public init(head: Head, node: String, key: SigningKey, genesis: GenesisFile) {
        self.head = head
        self.node = node
        signature = key.sign(Self.signedBytes(head, genesisHash: genesis.hash))
    }

    /// Checks that `node` is a member of `genesis` and that its key signed this head.
    /// - Throws: `TalonError(.badSignature)` naming what failed.
    public func verify(genesis: GenesisFile) throws(TalonError) {
        guard let member = genesis.genesis.members.first(where: { $0.id == node }) else {
            throw TalonError(.badSignature, "head signed by \(node), which is not a member of this genesis")
        }
        guard member.key.verify(signature, for: Self.signedBytes(head, genesisHash: genesis.hash)) else {
            throw TalonError(.badSignature, "head signature does not verify with \(node)'s genesis key")
        }
    }

    enum CodingKeys: String, CodingKey { case head, node, signature }
}
