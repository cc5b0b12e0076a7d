public import TalonProtocol
import TalonLedger
public import TalonRaft

/// What an authenticated peer connection carries, inside the channel's encryption
/// (`PeerSession`): `type u8 · body`. Types: 3 a Raft message in its wire form
/// (docs/format.md, "Raft messages"), 4 a submission forwarded to the leader (request id u64,
/// then a counted envelope list), 5 the leader's reply (request id u64, then per-envelope outcomes or an
/// error), 6 the initiator's authentication (Raft id u64, Ed25519 signature), which must be
/// the first frame an initiator sends and is accepted nowhere else.
public enum PeerFrame: Sendable, Hashable {
    /// The initiator proves who it is: its Raft id and its signature over the handshake.
    case auth(node: NodeID, signature: Signature)
    /// A Raft message.
    case raft(Message)
    /// Envelopes a follower hands to the leader to admit and propose.
    case forward(request: UInt64, envelopes: [Envelope])
    /// What became of a forwarded submission.
    case forwardReply(request: UInt64, ForwardReply)

    /// The frame's plaintext: type and body.
    public var bytes: [UInt8] {
        var body: [UInt8]
        switch self {
        case .auth(let node, let signature):
            body = [6]
            body.appendBigEndian(node)
            body += signature.bytes
        case .raft(let message):
            body = [3] + message.wireBytes
        case .forward(let request, let envelopes):
            body = [4]
            body.reserveCapacity(9 + EnvelopeList.size(envelopes))
            body.appendBigEndian(request)
            EnvelopeList.append(envelopes, to: &body)
        case .forwardReply(let request, let reply):
            body = [5]
            body.appendBigEndian(request)
            body += reply.bytes
        }
        return body
    }

    /// Decodes a frame's plaintext.
    /// - Throws: `TalonError(.peerMalformed)`.
    public init(bytes: [UInt8]) throws(TalonError) {
        let all = bytes[...]  // a view: every frame's plaintext passes here, so no copy
        guard let type = all.first else { throw TalonError(.peerMalformed, "empty frame") }
        let rest = all.dropFirst()
        switch type {
        case 3:
            do {
                self = .raft(try Message(wireBytes: rest))
            } catch {
                throw TalonError(.peerMalformed, error.message)
            }
        case 4:
            guard rest.count >= 8 else { throw TalonError(.peerMalformed, "forward frame without a request id") }
            let request = rest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self = .forward(request: request, envelopes: try EnvelopeList.decode(rest.dropFirst(8), as: TalonError(.peerMalformed)))
        case 5:
            var reader = FrameReader(rest)
            let request = try reader.u64()
            self = .forwardReply(request: request, try ForwardReply(&reader))
            try reader.finish()
        case 6:
            guard rest.count == 8 + 64, let signature = Signature(bytes: rest.suffix(64)) else {
                throw TalonError(.peerMalformed, "auth frame of \(rest.count) bytes, expected 72")
            }
            self = .auth(node: rest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }, signature: signature)
        default:
            throw TalonError(.peerMalformed, "unknown frame type \(type)")
        }
    }
}

/// Cuts a byte stream into length-prefixed frames (`length u32 · bytes`), refusing an
/// oversized frame from its length alone, before buffering its body.
public struct FrameDecoder: Sendable {
    /// The largest frame accepted; raise it once the peer is authenticated.
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

    /// The next complete frame's bytes (after its length), or nil until more bytes arrive.
    /// - Throws: `TalonError(.peerFrameTooLarge)`; the connection should close.
    public mutating func next() throws(TalonError) -> [UInt8]? {
        guard buffer.count - start >= 4 else { return nil }
        let length = buffer[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= maxFrameBytes else {
            throw TalonError(.peerFrameTooLarge, "frame of \(length) bytes exceeds \(maxFrameBytes)")
        }
        guard buffer.count - start - 4 >= length else { return nil }
        let body = Array(buffer[start + 4..<start + 4 + length])
        start += 4 + length
        return body
    }

    /// Bytes received but not yet part of a complete frame.
    public var pendingBytes: Int { buffer.count - start }

    /// `bytes` with their length prefix, as `next` reads them.
    public static func framed(_ bytes: [UInt8]) -> [UInt8] {
        [UInt8](bigEndian: UInt32(bytes.count)) + bytes
    }
}
