import TalonLedger
public import TalonProtocol
public import TalonRaft

/// A node's links to the other members, as `Node` sees them: what it sends and what it
/// receives. `PeerTransport` is the production one (TCP, the Noise handshake, one outgoing
/// link per member); the tests run nodes over an in-memory network that can lose, hold and
/// reorder deliveries.
///
/// Sends return at once and may be lost: Raft tolerates lost, late and repeated messages,
/// and a forwarded submission that gets no reply times out or goes again to the next leader.
/// `incoming` carries only what members sent to this node, each event built with
/// `PeerEvent.init(_:from:to:)`, so its sender is the member the link authenticated.
public protocol PeerLink: Sendable {
    /// Queues `message` for its addressee (`message.to`); returns at once.
    func send(_ message: Message)
    /// Queues a frame (a forwarded submission or a forward reply) for member `peer`;
    /// returns at once.
    func send(_ frame: PeerFrame, to peer: NodeID)
    /// What the other members sent to this node, in the order each one sent it, for a
    /// consumer that iterates; `receive(with:)` is the other way, and only one is used.
    var incoming: AsyncStream<PeerEvent> { get }
    /// Hands what the other members send to `handler`, in the order each one sent it, until
    /// the calling task is cancelled. `handler` must return quickly: a transport may call it
    /// on the thread that read the connection.
    func receive(with handler: @escaping @Sendable (PeerEvent) -> Void) async
}

extension PeerLink {
    /// Iterates `incoming`.
    public func receive(with handler: @escaping @Sendable (PeerEvent) -> Void) async {
        for await event in incoming { handler(event) }
    }
}

/// What an authenticated peer sent.
public enum PeerEvent: Sendable {
    /// A Raft message, from the member that sent it to this node.
    case raft(Message)
    /// Envelopes member `from` forwarded for this node to admit and propose, under the
    /// forwarder's request id.
    case forward(from: NodeID, request: UInt64, envelopes: [Envelope])
    /// Member `from`'s answer to this node's forward `request`.
    case forwardReply(from: NodeID, request: UInt64, ForwardReply)
}

extension PeerEvent {
    /// What `frame` means when member `peer` sent it to member `me` over a link that
    /// authenticated `peer`.
    /// - Throws: `TalonError` `peer_protocol` for a Raft message that claims another sender
    ///   or addressee, and for a second authentication; the link should close.
    public init(_ frame: PeerFrame, from peer: NodeID, to me: NodeID) throws(TalonError) {
        switch frame {
        case .raft(let message):
            guard message.from == peer, message.to == me else {
                throw TalonError(.peerProtocol, "member \(peer) sent a message as \(message.from) to \(message.to)")
            }
            self = .raft(message)
        case .forward(let request, let envelopes):
            self = .forward(from: peer, request: request, envelopes: envelopes)
        case .forwardReply(let request, let reply):
            self = .forwardReply(from: peer, request: request, reply)
        case .auth:
            throw TalonError(.peerProtocol, "member \(peer) authenticated twice")
        }
    }
}
