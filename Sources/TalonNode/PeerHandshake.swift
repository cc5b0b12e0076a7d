public import TalonProtocol
public import TalonRaft
import TalonLedger

/// The handshake that opens every peer connection: Noise `NN` (X25519 ephemeral keys,
/// ChaCha20-Poly1305, SHA-256; Noise revision 34) with the genesis in the prologue, and each
/// side's genesis Ed25519 key signing the handshake hash with its role inside the encrypted
/// payloads. Three messages:
///
///     -> hello   genesis hash · e                        (cleartext)
///     <- reply   e · ee · seal(responder id · signature)  (the responder proves itself)
///     -> auth    the initiator's first transport frame: seal(initiator id · signature)
///
/// Each signature covers `"TALON-PEER-AUTH-V2\0" · role · handshake hash · signer's id`, and the
/// handshake hash covers the genesis and both ephemeral keys, so a proof is good for one
/// connection, one role and one chain only: relaying, reflecting or replaying any message
/// fails. The payloads travel under keys from the ephemeral Diffie-Hellman, so a party on the
/// path can neither read nor swap them. docs/format.md ("Peer protocol") has every byte.
public enum PeerHandshake {
    /// The Noise protocol name the symmetric state starts from.
    public static let protocolName = "Noise_NN_25519_ChaChaPoly_SHA256"
    /// The version byte of the cleartext handshake frames.
    public static let version: UInt8 = 2
    /// Starts the Noise prologue, followed by the genesis hash.
    public static let prologueDomain: [UInt8] = Array("TALON-PEER-V2\0".utf8)
    /// Starts every signed authentication.
    public static let authDomain: [UInt8] = Array("TALON-PEER-AUTH-V2\0".utf8)
    /// The largest frame accepted before a peer is authenticated (a reply is 122 bytes).
    public static let maxFrameBytes = 256

    /// Which side of the connection signs.
    public enum Role: UInt8, Sendable {
        case initiator = 1
        case responder = 2
    }

    /// The bytes a member signs to authenticate in `role` on the connection whose handshake
    /// hash is `handshakeHash`.
    public static func signedBytes(role: Role, handshakeHash: [UInt8], node: NodeID) -> [UInt8] {
        var out = authDomain + [role.rawValue] + handshakeHash
        out.appendBigEndian(node)
        return out
    }

    /// The symmetric state both sides start from on chain `genesis`: the protocol name, then
    /// `MixHash(prologue)` with the prologue `"TALON-PEER-V2\0" · genesis hash`.
    public static func initialState(genesis: Digest) -> Noise.SymmetricState {
        var state = Noise.SymmetricState(protocolName: protocolName)
        state.mixHash(prologueDomain + genesis.bytes)
        return state
    }

    /// The authentication payload: `id u64 · signature (64 bytes)`.
    static func authPayload(node: NodeID, signature: Signature) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBigEndian(node)
        return out + signature.bytes
    }

    /// Checks that member `node` signed `role` over `hash`.
    static func verify(_ members: ClusterMembers, me: NodeID, node: NodeID, signature: Signature,
                       role: Role, hash: [UInt8]) throws(TalonError) {
        guard node != me, let member = members.member(node) else {
            throw TalonError(.peerUnknownMember, "no other member has Raft id \(node)")
        }
        guard member.key.verify(signature, for: signedBytes(role: role, handshakeHash: hash, node: node)) else {
            throw TalonError(.peerBadProof, "the \(role) proof for member \(member.id) does not verify with its genesis key")
        }
    }

    /// The side that opens the connection: it knows which member it dialled.
    public struct Initiator: Sendable {
        private let members: ClusterMembers
        private let me: NodeID
        private let key: SigningKey
        private let expected: NodeID
        private let ephemeral: X25519KeyPair
        private var state: Noise.SymmetricState

        /// Member `me` connecting to member `peer`. `ephemeral` is for tests; by default it is fresh.
        public init(members: ClusterMembers, me: NodeID, key: SigningKey, connectingTo peer: NodeID,
                    ephemeral: X25519KeyPair = X25519KeyPair()) {
            self.members = members
            self.me = me
            self.key = key
            self.expected = peer
            self.ephemeral = ephemeral
            state = PeerHandshake.initialState(genesis: members.genesis.hash)
        }

        /// The hello frame (length prefix included). Call once, first.
        public mutating func hello() -> [UInt8] {
            state.mixHash(ephemeral.publicKey)
            state.mixHash([UInt8]())  // the empty payload, as EncryptAndHash without a key
            return HandshakeFrame.hello(genesis: members.genesis.hash, ephemeral: ephemeral.publicKey).bytes
        }

        /// Checks the responder's reply; returns the session and the auth frame to send next.
        /// - Throws: `TalonError(.peerMalformed)`, `.badProof` (the payload does not decrypt or
        ///   the signature does not verify), `.unknownMember` (not the member dialled).
        public mutating func finish(_ body: [UInt8]) throws(TalonError) -> (session: PeerSession, auth: [UInt8]) {
            guard case .reply(let theirs, let sealed) = try HandshakeFrame(body: body) else {
                throw TalonError(.peerProtocol, "expected the responder's reply")
            }
            state.mixHash(theirs)
            guard let shared = ephemeral.sharedSecret(with: theirs) else {
                throw TalonError(.peerMalformed, "the responder's ephemeral key is a low-order point")
            }
            state.mixKey(shared)
            let signedHash = state.handshakeHash
            let payload: [UInt8]
            do { payload = try state.decryptAndHash(sealed) } catch {
                throw TalonError(.peerBadProof, "the responder's payload does not authenticate")
            }
            let (node, signature) = try PeerHandshake.parseAuth(payload)
            guard node == expected else {
                throw TalonError(.peerUnknownMember, "the member that answered is \(node), not \(expected)")
            }
            try PeerHandshake.verify(members, me: me, node: node, signature: signature, role: .responder, hash: signedHash)
            let (send, receive) = state.split()
            var session = PeerSession(peer: node, sender: send, receiver: receive)
            let mine = key.sign(PeerHandshake.signedBytes(role: .initiator, handshakeHash: state.handshakeHash, node: me))
            let auth = try session.seal(.auth(node: me, signature: mine))
            return (session, auth)
        }
    }

    /// The side that accepts the connection: any member may be on the other end.
    public struct Responder: Sendable {
        private let members: ClusterMembers
        private let me: NodeID
        private let key: SigningKey
        private let ephemeral: X25519KeyPair
        private var state: Noise.SymmetricState
        private var split: (hash: [UInt8], receive: Noise.CipherState, send: Noise.CipherState)?

        /// Member `me` accepting a connection. `ephemeral` is for tests; by default it is fresh.
        public init(members: ClusterMembers, me: NodeID, key: SigningKey, ephemeral: X25519KeyPair = X25519KeyPair()) {
            self.members = members
            self.me = me
            self.key = key
            self.ephemeral = ephemeral
            state = PeerHandshake.initialState(genesis: members.genesis.hash)
        }

        /// Answers the initiator's hello with this member's proof (length prefix included).
        /// - Throws: `TalonError(.peerWrongChain)`, `.malformedFrame`, `.protocolViolation`.
        public mutating func reply(to body: [UInt8]) throws(TalonError) -> [UInt8] {
            guard split == nil, case .hello(let genesis, let theirs) = try HandshakeFrame(body: body) else {
                throw TalonError(.peerProtocol, "expected one hello")
            }
            guard genesis == members.genesis.hash else {
                throw TalonError(.peerWrongChain, "peer runs genesis \(genesis.hex), this node \(members.genesis.hash.hex)")
            }
            state.mixHash(theirs)
            state.mixHash([UInt8]())
            state.mixHash(ephemeral.publicKey)
            guard let shared = ephemeral.sharedSecret(with: theirs) else {
                throw TalonError(.peerMalformed, "the initiator's ephemeral key is a low-order point")
            }
            state.mixKey(shared)
            let signature = key.sign(PeerHandshake.signedBytes(role: .responder, handshakeHash: state.handshakeHash, node: me))
            let sealed: [UInt8]
            do { sealed = try state.encryptAndHash(PeerHandshake.authPayload(node: me, signature: signature)) } catch {
                throw TalonError(.peerProtocol, "\(error)")
            }
            let (receive, send) = state.split()
            split = (state.handshakeHash, receive, send)
            return HandshakeFrame.reply(ephemeral: ephemeral.publicKey, sealedAuth: sealed).bytes
        }

        /// Checks the initiator's first transport frame, which must be its auth; returns the session.
        /// - Throws: `TalonError(.peerFrameRejected)` (it does not decrypt), `.unauthenticated`
        ///   (another frame first), `.unknownMember`, `.badProof`, `.protocolViolation`.
        public mutating func authenticate(_ body: [UInt8]) throws(TalonError) -> PeerSession {
            guard let (hash, receive, send) = split else {
                throw TalonError(.peerProtocol, "a transport frame before the hello")
            }
            var session = PeerSession(peer: 0, sender: send, receiver: receive)
            guard case .auth(let node, let signature) = try session.open(body) else {
                throw TalonError(.peerUnauthenticated)
            }
            try PeerHandshake.verify(members, me: me, node: node, signature: signature, role: .initiator, hash: hash)
            split = nil
            return session.authenticated(as: node)
        }
    }

    static func parseAuth(_ payload: [UInt8]) throws(TalonError) -> (NodeID, Signature) {
        guard payload.count == 72, let signature = Signature(bytes: payload.suffix(64)) else {
            throw TalonError(.peerMalformed, "auth payload of \(payload.count) bytes, expected 72")
        }
        return (payload.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, signature)
    }
}

/// The cleartext frames of the handshake: `length u32 · version u8 = 2 · type u8 · body`.
public enum HandshakeFrame: Sendable, Hashable {
    /// Type 1: the genesis hash the initiator runs and its ephemeral public key.
    case hello(genesis: Digest, ephemeral: [UInt8])
    /// Type 2: the responder's ephemeral public key and its sealed proof (72 bytes + 16 tag).
    case reply(ephemeral: [UInt8], sealedAuth: [UInt8])

    /// Bytes of a sealed proof.
    static let sealedAuthBytes = 72 + Noise.tagLength

    /// The frame, length prefix included.
    public var bytes: [UInt8] {
        switch self {
        case .hello(let genesis, let ephemeral):
            FrameDecoder.framed([PeerHandshake.version, 1] + genesis.bytes + ephemeral)
        case .reply(let ephemeral, let sealed):
            FrameDecoder.framed([PeerHandshake.version, 2] + ephemeral + sealed)
        }
    }

    /// Decodes a frame's bytes after the length prefix.
    /// - Throws: `TalonError(.peerMalformed)`.
    public init(body: [UInt8]) throws(TalonError) {
        guard body.count >= 2 else { throw TalonError(.peerMalformed, "handshake frame of \(body.count) bytes") }
        guard body[0] == PeerHandshake.version else {
            throw TalonError(.peerMalformed, "peer protocol version \(body[0]), this node speaks \(PeerHandshake.version)")
        }
        let rest = body.dropFirst(2)
        switch body[1] {
        case 1:
            guard rest.count == 64, let genesis = Digest(bytes: rest.prefix(32)) else {
                throw TalonError(.peerMalformed, "hello of \(rest.count) bytes, expected 64")
            }
            self = .hello(genesis: genesis, ephemeral: Array(rest.suffix(32)))
        case 2:
            guard rest.count == 32 + Self.sealedAuthBytes else {
                throw TalonError(.peerMalformed, "reply of \(rest.count) bytes, expected \(32 + Self.sealedAuthBytes)")
            }
            self = .reply(ephemeral: Array(rest.prefix(32)), sealedAuth: Array(rest.suffix(Self.sealedAuthBytes)))
        case let type:
            throw TalonError(.peerMalformed, "unknown handshake frame type \(type)")
        }
    }
}

/// An authenticated, encrypted peer connection's two cipher states: every frame is sealed
/// with ChaCha20-Poly1305 under its direction's key and the next nonce, so a frame that is
/// tampered with, replayed, reordered, dropped before another or taken from another
/// connection fails to open.
public struct PeerSession: Sendable {
    /// The member on the other end.
    public let peer: NodeID
    private var sender: Noise.CipherState
    private var receiver: Noise.CipherState

    init(peer: NodeID, sender: Noise.CipherState, receiver: Noise.CipherState) {
        self.peer = peer
        self.sender = sender
        self.receiver = receiver
    }

    fileprivate func authenticated(as node: NodeID) -> PeerSession {
        PeerSession(peer: node, sender: sender, receiver: receiver)
    }

    /// `frame` encrypted, with its length prefix: `length u32 · ciphertext · tag`.
    /// - Throws: `TalonError(.peerFrameRejected)` when the direction has used every nonce.
    public mutating func seal(_ frame: PeerFrame) throws(TalonError) -> [UInt8] {
        do {
            return FrameDecoder.framed(try sender.encrypt(ad: [UInt8](), frame.bytes))
        } catch {
            throw TalonError(.peerFrameRejected, error.message)
        }
    }

    /// Decrypts and decodes the next frame from the peer (the bytes after its length).
    /// - Throws: `TalonError(.peerFrameRejected)` when it does not authenticate, `.malformedFrame`.
    public mutating func open(_ body: [UInt8]) throws(TalonError) -> PeerFrame {
        let plaintext: [UInt8]
        do { plaintext = try receiver.decrypt(ad: [UInt8](), body) } catch {
            throw TalonError(.peerFrameRejected)
        }
        return try PeerFrame(bytes: plaintext)
    }
}
