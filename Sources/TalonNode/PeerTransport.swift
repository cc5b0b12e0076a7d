public import NIOCore
public import NIOPosix
import Metrics
import Synchronization
public import TalonProtocol
import TalonLedger
public import TalonRaft

/// Raft messages and forwarded submissions between cluster members over TCP. Every
/// connection opens with the `PeerHandshake` (Noise NN with genesis-key signatures), and every
/// frame after it is encrypted and authenticated (`PeerSession`): an unlisted process can
/// neither vote nor append, and nobody on the path can read, inject, replay or reorder frames.
/// Each member keeps one outgoing link to every other member, reconnecting with exponential
/// back-off, and serves the links others open to it. Queues are bounded: when a peer is
/// unreachable the oldest messages go first (Raft tolerates loss). A malformed, oversized or
/// unauthentic frame, or a message claiming another sender, closes that connection only.
/// Connections still in their handshake are limited per address and in all (`HandshakeSlots`),
/// and peer I/O runs on an event-loop group of its own, so neither a crowd of silent sockets
/// nor API load can keep members apart.
public final class PeerTransport: PeerLink {
    /// Limits and timings.
    public struct Options: Sendable {
        /// Messages waiting per peer (and received but not yet taken) before the oldest drop.
        public var queueLimit = 4096
        /// The largest frame accepted.
        public var maxFrameBytes = 64 << 20
        /// First and longest wait before reconnecting.
        public var minBackoff: Duration = .milliseconds(50)
        public var maxBackoff: Duration = .milliseconds(500)
        /// How long a connection attempt may take.
        public var connectTimeout: TimeAmount = .seconds(2)
        /// How long either side may take to complete the handshake before the connection closes.
        public var handshakeTimeout: TimeAmount = .seconds(5)
        /// Inbound connections still in their handshake at once, in all and from one address;
        /// see `HandshakeSlots` for which one makes way.
        public var maxPendingHandshakes = 64
        public var maxPendingHandshakesPerAddress = 8
        public init() {}
    }

    let members: ClusterMembers
    let me: NodeID
    let key: SigningKey
    let addresses: [NodeID: (host: String, port: Int)]
    let options: Options
    /// What authenticated peers sent to this node.
    public let incoming: AsyncStream<PeerEvent>
    private let incomingSink: AsyncStream<PeerEvent>.Continuation
    /// Set while `receive(with:)` runs: events go straight to it from the connection's
    /// task, a thread hop shorter than through `incoming`.
    /// (Boxed: a closure held in a `Mutex` directly is re-wrapped in a reabstraction thunk
    /// by every `withLock`, and the chain grows with each event.)
    private let handler = Mutex<EventHandler?>(nil)

    private final class EventHandler: Sendable {
        let handle: @Sendable (PeerEvent) -> Void
        init(_ handle: @escaping @Sendable (PeerEvent) -> Void) { self.handle = handle }
    }
    private let outboxes: [NodeID: PeerOutbox]
    private let slots: HandshakeSlots

    /// A transport for member `me`, reaching each other member at `addresses`.
    public init(members: ClusterMembers, me: NodeID, key: SigningKey,
                addresses: [NodeID: (host: String, port: Int)], options: Options = Options()) {
        self.members = members
        self.me = me
        self.key = key
        self.addresses = addresses
        self.options = options
        slots = HandshakeSlots(limit: options.maxPendingHandshakes, perAddress: options.maxPendingHandshakesPerAddress,
                               memberHosts: Set(members.genesis.genesis.members.compactMap { try? NodeServer.address($0.peer, "peer address").host }))
        (incoming, incomingSink) = AsyncStream.makeStream(of: PeerEvent.self, bufferingPolicy: .bufferingNewest(options.queueLimit))
        var outboxes: [NodeID: PeerOutbox] = [:]
        for id in members.ids where id != me { outboxes[id] = PeerOutbox(limit: options.queueLimit) }
        self.outboxes = outboxes
    }

    /// Queues `message` for its addressee; returns at once.
    public func send(_ message: Message) {
        outboxes[message.to]?.push(.raft(message))
    }

    /// Queues a frame (a forwarded submission or a reply) for member `peer`; returns at once.
    public func send(_ frame: PeerFrame, to peer: NodeID) {
        outboxes[peer]?.push(frame)
    }

    /// Hands every event to `handler`, on the task that read it, until cancelled.
    public func receive(with handler: @escaping @Sendable (PeerEvent) -> Void) async {
        let box = EventHandler(handler)
        self.handler.withLock { $0 = box }
        defer { self.handler.withLock { $0 = nil } }
        let (cancelled, done) = AsyncStream.makeStream(of: Never.self)
        await withTaskCancellationHandler {
            for await _ in cancelled {}
        } onCancel: {
            done.finish()
        }
    }

    private func deliver(_ event: PeerEvent) {
        if let handler = handler.withLock({ $0 }) { handler.handle(event) } else { incomingSink.yield(event) }
    }

    /// The event loops every peer socket runs on, apart from the API's.
    public static let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Binds the listening socket (port 0 picks a free one).
    public static func bind(host: String, port: Int) async throws -> PeerListener {
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)  // a burst of strangers must not drop a member's SYN
            .bind(host: host, port: port) { child in
                child.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: child)
                }
            }
        return PeerListener(channel: channel)
    }

    /// Serves `listener` and keeps the outgoing links until the task is cancelled.
    public func run(_ listener: PeerListener) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.accept(listener) }
            for (peer, outbox) in outboxes {
                guard let address = addresses[peer] else { continue }
                group.addTask { await self.link(to: peer, at: address, outbox: outbox) }
            }
        }
        incomingSink.finish()
    }

    /// Serves connections until cancelled, then closes the listener and every connection.
    ///
    /// The accept loop runs in a task of its own that cancellation does not reach: a
    /// cancelled iteration of the listener's stream drops the connections accepted but not
    /// yet read, and a connection dropped before NIO activates it traps ("Deinited
    /// NIOAsyncWriter without calling finish()", swift-nio #2637) — it took the test process
    /// down once. Cancelling closes the listener instead; the stream then ends after handing
    /// over what it holds, and every connection is closed through `executeThenClose`.
    private func accept(_ listener: PeerListener) async {
        let loop = Task {
            try? await listener.channel.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { served in
                    for try await connection in connections {
                        served.addTask { await self.serve(connection) }
                    }
                    served.cancelAll()  // the listener closed: so do the connections
                }
            }
        }
        await withTaskCancellationHandler {
            await loop.value
        } onCancel: {
            listener.channel.channel.close(promise: nil)
        }
    }

    // MARK: - Connections

    /// An inbound connection: handshake, then messages from that peer only.
    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        // Members connect once each; a crowd of connections still proving nothing makes way.
        guard let slot = slots.admit(connection.channel) else {
            try? await connection.channel.close()
            return
        }
        defer { slots.release(slot) }  // a no-op once the handshake gave it back
        let deadline = closeUnlessAuthenticated(connection.channel)
        defer { deadline.cancel() }
        do {
            try await serve(connection, slot: slot, deadline: deadline)
        } catch let error as TalonError {
            Self.refused(error)
        } catch {
            // The connection closed or broke: nothing the peer said was refused.
        }
    }

    /// Counts a connection closed for what the peer sent, by code, in `/metrics`.
    static func refused(_ error: TalonError) {
        Counter(label: "talon_peer_refused_total", dimensions: [("code", error.code.name)]).increment()
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, slot: UInt64, deadline: Scheduled<Void>) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var handshake = PeerHandshake.Responder(members: members, me: me, key: key)
            var session: PeerSession?
            var replied = false
            var decoder = FrameDecoder(maxFrameBytes: PeerHandshake.maxFrameBytes)
            for try await chunk in inbound {
                decoder.append(chunk.readableBytesView)
                while let body = try decoder.next() {
                    guard let frame = try session?.open(body), let peer = session?.peer else {
                        if !replied {
                            try await outbound.write(ByteBuffer(bytes: try handshake.reply(to: body)))
                            replied = true
                        } else {
                            session = try handshake.authenticate(body)
                            deadline.cancel()
                            decoder.maxFrameBytes = options.maxFrameBytes
                            slots.release(slot)
                        }
                        continue
                    }
                    deliver(try PeerEvent(frame, from: peer, to: me))
                }
            }
        }
    }

    /// The outgoing link to `peer`: connect, prove, send; on any failure wait and reconnect.
    private func link(to peer: NodeID, at address: (host: String, port: Int), outbox: PeerOutbox) async {
        var backoff = options.minBackoff
        while !Task.isCancelled {
            do {
                let channel = try await ClientBootstrap(group: Self.eventLoopGroup)
                    .connectTimeout(options.connectTimeout)
                    .connect(host: address.host, port: address.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                let deadline = closeUnlessAuthenticated(channel.channel)
                defer { deadline.cancel() }
                try await channel.executeThenClose { inbound, outbound in
                    var handshake = PeerHandshake.Initiator(members: members, me: me, key: key, connectingTo: peer)
                    var decoder = FrameDecoder(maxFrameBytes: PeerHandshake.maxFrameBytes)
                    var replies = inbound.makeAsyncIterator()
                    try await outbound.write(ByteBuffer(bytes: handshake.hello()))
                    var reply: [UInt8]?
                    while reply == nil {
                        guard let chunk = try await replies.next() else { throw TalonError(.peerProtocol, "closed during the handshake") }
                        decoder.append(chunk.readableBytesView)
                        reply = try decoder.next()
                    }
                    guard let reply, decoder.pendingBytes == 0 else {
                        throw TalonError(.peerProtocol, "bytes after the responder's reply")
                    }
                    var (session, auth) = try handshake.finish(reply)
                    try await outbound.write(ByteBuffer(bytes: auth))
                    deadline.cancel()
                    backoff = options.minBackoff
                    // Everything queued leaves in one write (one flush, one syscall).
                    while let frames = await outbox.take() {
                        var sealed: [ByteBuffer] = []
                        sealed.reserveCapacity(frames.count)
                        for frame in frames { sealed.append(ByteBuffer(bytes: try session.seal(frame))) }
                        try await outbound.write(contentsOf: sealed)
                    }
                }
            } catch let error as TalonError {
                Self.refused(error)
            } catch {
                // Unreachable or broken: try again after the back-off.
            }
            do { try await Task.sleep(for: backoff) } catch { return }
            backoff = min(backoff * 2, options.maxBackoff)
        }
    }
}

extension PeerTransport {
    /// Closes `channel` when the handshake has not finished (and the returned task been
    /// cancelled) within the handshake timeout, so a silent or slow client cannot hold a
    /// connection open.
    func closeUnlessAuthenticated(_ channel: any Channel) -> Scheduled<Void> {
        channel.eventLoop.scheduleTask(in: options.handshakeTimeout) { channel.close(promise: nil) }
    }
}

/// A bound peer listening socket.
public struct PeerListener: Sendable {
    let channel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>

    /// The port it listens on.
    public var port: Int { channel.channel.localAddress?.port ?? 0 }
}
