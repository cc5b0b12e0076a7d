public import TalonProtocol
public import TalonNode
public import TalonRaft
import TalonLedger

/// A client with no member key speaking the handshake by hand, as an attacker would: it can
/// run Noise NN with any member and read the proof it is sent, and seal frames on that
/// connection, but it holds no key a member would accept.
public struct KeylessInitiator: Sendable {
    private var state: Noise.SymmetricState
    private let ephemeral = X25519KeyPair()
    private let genesis: Digest

    public init(_ members: ClusterMembers) {
        genesis = members.genesis.hash
        state = PeerHandshake.initialState(genesis: genesis)
    }

    /// The hello frame, length prefix included.
    public mutating func hello() -> [UInt8] {
        state.mixHash(ephemeral.publicKey)
        state.mixHash([UInt8]())
        return HandshakeFrame.hello(genesis: genesis, ephemeral: ephemeral.publicKey).bytes
    }

    /// The responder's decrypted proof and the cipher this client sends with.
    public mutating func finish(_ reply: [UInt8]) throws -> (proof: (node: NodeID, signature: Signature), send: Sealer) {
        guard case .reply(let theirs, let sealed) = try HandshakeFrame(body: reply),
              let shared = ephemeral.sharedSecret(with: theirs) else { throw TalonError(.peerProtocol) }
        state.mixHash(theirs)
        state.mixKey(shared)
        let payload = try state.decryptAndHash(sealed)
        guard let signature = Signature(bytes: payload.suffix(64)) else { throw TalonError(.peerMalformed) }
        return ((payload.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, signature), Sealer(cipher: state.split().initiatorToResponder))
    }

    /// Seals frames on the connection the handshake opened.
    public struct Sealer: Sendable {
        var cipher: Noise.CipherState
        /// A frame's bytes after the length prefix, sealed on this connection.
        public mutating func seal(_ frame: PeerFrame) throws -> [UInt8] { try cipher.encrypt(ad: [UInt8](), frame.bytes) }
    }
}

