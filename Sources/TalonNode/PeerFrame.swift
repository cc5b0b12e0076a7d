public import TalonCrypto
public import TalonLedger
public import TalonRaft

/// What travels between two nodes: `length u32 · version u8 · type u8 · body`, where
/// `length` counts the bytes after itself. Types: 1 challenge (nonce 32 bytes, genesis hash
/// 32 bytes), 2 proof (Raft id u64, Ed25519 signature 64 bytes), 3 a Raft message in its wire
/// form (docs/format.md, "Raft messages"), 4 a submission forwarded to the leader (request id
/// u64, then an entry batch), 5 the leader's reply (request id u64, then receipts or an error).
public enum PeerFrame: Sendable, Hashable {
    /// Opens a connection: a fresh nonce the peer must sign, and the genesis this node runs.
    case challenge(nonce: [UInt8], genesisHash: Digest)
    /// Answers the peer's challenge: who this node is and its signature over both nonces.
    case proof(node: NodeID, signature: Signature)
    /// A Raft message, after both sides proved themselves.
    case raft(Message)
    /// Admitted envelopes a follower hands to the leader to propose.
    case forward(request: UInt64, envelopes: [Envelope])
    /// What became of a forwarded submission.
    case forwardReply(request: UInt64, ForwardReply)

    /// The frame format version.
    public static let version: UInt8 = 1
    /// Bytes of a challenge nonce.
    public static let nonceBytes = 32
    /// The largest frame before the handshake completes (a challenge or a proof is 74 bytes):
    /// an unauthenticated connection cannot make the node buffer more.
    public static let handshakeFrameBytes = 128

    /// The frame's bytes, length prefix included.
    public var bytes: [UInt8] {
        var body: [UInt8]
        switch self {
        case .challenge(let nonce, let hash):
            body = [Self.version, 1] + nonce + hash.bytes
        case .proof(let node, let signature):
            body = [Self.version, 2]
            withUnsafeBytes(of: node.bigEndian) { body.append(contentsOf: $0) }
            body += signature.bytes
        case .raft(let message):
            body = [Self.version, 3] + message.wireBytes
        case .forward(let request, let envelopes):
            body = [Self.version, 4]
            withUnsafeBytes(of: request.bigEndian) { body.append(contentsOf: $0) }
            body += EntryBatch(timestamp: 0, envelopes: envelopes).bytes
        case .forwardReply(let request, let reply):
            body = [Self.version, 5]
            withUnsafeBytes(of: request.bigEndian) { body.append(contentsOf: $0) }
            body += reply.bytes
        }
        return withUnsafeBytes(of: UInt32(body.count).bigEndian) { Array($0) } + body
    }

    /// Decodes one frame's body (the bytes after the length prefix).
    /// - Throws: `NodeError.malformedFrame`.
    public init(body: ArraySlice<UInt8>) throws(NodeError) {
        guard body.count >= 2 else { throw NodeError.malformedFrame.with("frame of \(body.count) bytes has no header") }
        let start = body.startIndex
        guard body[start] == Self.version else { throw NodeError.malformedFrame.with("unknown frame version \(body[start])") }
        let rest = body.dropFirst(2)
        switch body[start + 1] {
        case 1:
            guard rest.count == Self.nonceBytes + 32, let hash = Digest(bytes: rest.suffix(32)) else {
                throw NodeError.malformedFrame.with("challenge of \(rest.count) bytes, expected \(Self.nonceBytes + 32)")
            }
            self = .challenge(nonce: Array(rest.prefix(Self.nonceBytes)), genesisHash: hash)
        case 2:
            guard rest.count == 8 + 64, let signature = Signature(bytes: rest.suffix(64)) else {
                throw NodeError.malformedFrame.with("proof of \(rest.count) bytes, expected 72")
            }
            self = .proof(node: rest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, signature: signature)
        case 3:
            do {
                self = .raft(try Message(wireBytes: rest))
            } catch {
                throw NodeError.malformedFrame.with(error.message)
            }
        case 4:
            guard rest.count >= 8 else { throw NodeError.malformedFrame.with("forward frame without a request id") }
            do {
                let batch = try EntryBatch(bytes: Array(rest.dropFirst(8)))
                let request = rest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                self = .forward(request: request, envelopes: batch.envelopes)
            } catch {
                throw NodeError.malformedFrame.with("forwarded batch: \(error.message)")
            }
        case 5:
            var reader = FrameReader(rest)
            let request = try reader.u64()
            self = .forwardReply(request: request, try ForwardReply(&reader))
            try reader.finish()
        case let type:
            throw NodeError.malformedFrame.with("unknown frame type \(type)")
        }
    }
}

/// Cuts a byte stream into frames, refusing an oversized frame from its length alone, before
/// buffering its body.
public struct FrameDecoder: Sendable {
    /// The largest frame body accepted; raise it once the peer is authenticated.
    public var maxFrameBytes: Int
    private var buffer: [UInt8] = []
    private var start = 0

    public init(maxFrameBytes: Int = 64 << 20) { self.maxFrameBytes = maxFrameBytes }

    /// Adds bytes read from the connection.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive.
    /// - Throws: `NodeError.frameTooLarge`, `.malformedFrame`; the connection should close.
    public mutating func next() throws(NodeError) -> PeerFrame? {
        guard buffer.count - start >= 4 else { return nil }
        let length = buffer[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= maxFrameBytes else {
            throw NodeError.frameTooLarge.with("frame of \(length) bytes exceeds \(maxFrameBytes)")
        }
        guard buffer.count - start - 4 >= length else { return nil }
        let body = buffer[start + 4..<start + 4 + length]
        start += 4 + length
        return try PeerFrame(body: body)
    }

    /// Bytes received but not yet part of a complete frame.
    public var pendingBytes: Int { buffer.count - start }
}
