public import TalonCrypto
public import TalonRaft
import TalonLedger

/// Mutual authentication of a peer connection. Each side opens with a challenge (a fresh
/// nonce and its genesis hash) and answers the other's with a proof: its Raft id and an
/// Ed25519 signature, by the key the genesis lists for that id, over
/// `"TALON-PEER-V1\0" · genesis hash · verifier's nonce · prover's id u64 · prover's nonce`.
/// Both nonces are signed, so a proof is good for one connection only: recorded proofs
/// cannot be replayed, and an unlisted process can neither vote nor append.
public struct PeerHandshake: Sendable {
    /// The domain separator of the signed proof.
    public static let domain: [UInt8] = Array("TALON-PEER-V1\0".utf8)

    private let members: ClusterMembers
    private let me: NodeID
    private let key: SigningKey
    private let nonce: [UInt8]
    private var peerNonce: [UInt8]?
    /// The authenticated peer, once its proof verified.
    public private(set) var peer: NodeID?

    /// Prepares this node's side. `nonce` is for tests; by default it is fresh random bytes.
    public init(members: ClusterMembers, me: NodeID, key: SigningKey,
                nonce: [UInt8] = secureRandomBytes(PeerFrame.nonceBytes)) {
        self.members = members
        self.me = me
        self.key = key
        self.nonce = nonce
    }

    /// The frame this side sends first.
    public var challenge: PeerFrame { .challenge(nonce: nonce, genesisHash: members.genesis.hash) }

    /// True once the peer proved who it is.
    public var isAuthenticated: Bool { peer != nil }

    /// Handles a handshake frame and returns the frames to send back.
    /// - Throws: `NodeError.wrongChain`, `.unknownMember`, `.badProof`, `.protocolViolation`,
    ///   `.unauthenticated`; the connection should close.
    public mutating func receive(_ frame: PeerFrame) throws(NodeError) -> [PeerFrame] {
        switch frame {
        case .challenge(let theirNonce, let hash):
            guard peerNonce == nil else { throw NodeError.protocolViolation.with("a second challenge") }
            guard hash == members.genesis.hash else {
                throw NodeError.wrongChain.with("peer runs genesis \(hash.hex), this node \(members.genesis.hash.hex)")
            }
            guard theirNonce.count == PeerFrame.nonceBytes else { throw NodeError.malformedFrame.with("nonce length") }
            peerNonce = theirNonce
            let message = Self.signedBytes(genesis: hash, verifierNonce: theirNonce, prover: me, proverNonce: nonce)
            return [.proof(node: me, signature: key.sign(message))]
        case .proof(let node, let signature):
            guard peer == nil, let theirNonce = peerNonce else {
                throw NodeError.protocolViolation.with("a proof before the peer's challenge, or a second proof")
            }
            guard node != me, let member = members.member(node) else {
                throw NodeError.unknownMember.with("no other member has Raft id \(node)")
            }
            let message = Self.signedBytes(genesis: members.genesis.hash, verifierNonce: nonce, prover: node,
                                           proverNonce: theirNonce)
            guard member.key.verify(signature, for: message) else {
                throw NodeError.badProof.with("proof for member \(member.id) does not verify with its genesis key")
            }
            peer = node
            return []
        case .raft, .forward, .forwardReply:
            throw NodeError.unauthenticated
        }
    }

    /// The bytes a proof signs.
    static func signedBytes(genesis: Digest, verifierNonce: [UInt8], prover: NodeID, proverNonce: [UInt8]) -> [UInt8] {
        var out = domain + genesis.bytes + verifierNonce
        withUnsafeBytes(of: prover.bigEndian) { out.append(contentsOf: $0) }
        return out + proverNonce
    }
}
