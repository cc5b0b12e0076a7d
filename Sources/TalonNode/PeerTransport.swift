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
    /// Set while `receive(with:)` runs: events go straight to it from the event loop that
    /// read them, a thread hop shorter than through `incoming`.
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

    /// Hands every event to `handler`, on the event loop that read it, until cancelled.
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

    /// Binds the listening socket (port 0 picks a free one). Connections accepted before `run`
    /// serves the listener wait, unread, until it does.
    public static func bind(host: String, port: Int) async throws -> PeerListener {
        let listener = PeerListener()
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 4096)  // a burst of strangers must not drop a member's SYN
            .childChannelInitializer { child in listener.accept(child) }
            .bind(host: host, port: port).get()
        listener.channel = channel
        return listener
    }

    /// Serves `listener` and keeps the outgoing links until the task is cancelled.
    public func run(_ listener: PeerListener) async {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.serve(listener) }
            for (peer, outbox) in outboxes {
                guard let address = addresses[peer] else { continue }
                group.addTask { await self.link(to: peer, at: address, outbox: outbox) }
            }
        }
        incomingSink.finish()
    }

    /// Serves connections until cancelled, then closes the listener and every connection.
    private func serve(_ listener: PeerListener) async {
        listener.serve { [self] child in
            // Members connect once each; a crowd of connections still proving nothing makes way.
            guard let slot = slots.admit(child) else { return child.close() }
            let settings = PeerChannelHandler.Settings(me: me, maxFrameBytes: options.maxFrameBytes, slots: slots,
                                                      deliver: { [weak self] in self?.deliver($0) })
            return child.eventLoop.makeCompletedFuture {
                let handler = PeerChannelHandler(.responder(PeerHandshake.Responder(members: members, me: me, key: key), slot: slot, replied: false),
                                                 settings: settings, deadline: closeUnlessAuthenticated(child), outbox: nil,
                                                 eventLoop: child.eventLoop)
                try child.pipeline.syncOperations.addHandler(handler)
            }.flatMapErrorThrowing { error in
                self.slots.release(slot)
                throw error
            }
        }
        // Until cancelled, or the listening socket closes on its own; the connections close with it.
        await withTaskCancellationHandler {
            try? await listener.channel?.closeFuture.get()
        } onCancel: {
            listener.close()
        }
        listener.close()
    }

    // MARK: - Connections

    /// Counts a connection closed for what the peer sent, by code, in `/metrics`.
    static func refused(_ error: TalonError) {
        Counter(label: "talon_peer_refused_total", dimensions: [("code", error.code.name)]).increment()
    }

    /// The outgoing link to `peer`: connect, prove, send; on any failure wait and reconnect.
    private func link(to peer: NodeID, at address: (host: String, port: Int), outbox: PeerOutbox) async {
        var backoff = options.minBackoff
        let settings = PeerChannelHandler.Settings(me: me, maxFrameBytes: options.maxFrameBytes, slots: slots, deliver: { _ in })
        while !Task.isCancelled {
            let proven = Atomic<Bool>(false)
            do {
                let channel = try await ClientBootstrap(group: Self.eventLoopGroup)
                    .connectTimeout(options.connectTimeout)
                    .channelInitializer { [self] channel in
                        channel.eventLoop.makeCompletedFuture {
                            let handler = PeerChannelHandler(
                                .initiator(PeerHandshake.Initiator(members: members, me: me, key: key, connectingTo: peer)),
                                settings: settings, deadline: closeUnlessAuthenticated(channel), outbox: outbox,
                                eventLoop: channel.eventLoop) { proven.store(true, ordering: .relaxed) }
                            try channel.pipeline.syncOperations.addHandler(handler)
                        }
                    }
                    .connect(host: address.host, port: address.port).get()
                try await withTaskCancellationHandler {
                    try await channel.closeFuture.get()
                } onCancel: {
                    channel.close(promise: nil)
                }
            } catch {
                // Unreachable or broken: try again after the back-off.
            }
            if proven.load(ordering: .relaxed) { backoff = options.minBackoff }
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

/// A bound peer listening socket and the connections it accepted.
public final class PeerListener: Sendable {
    private struct State {
        var channel: (any Channel)?
        var accept: (@Sendable (any Channel) -> EventLoopFuture<Void>)?
        var children: [ObjectIdentifier: any Channel] = [:]
        /// Accepted before anything served: set up once something does.
        var early: [(channel: any Channel, ready: EventLoopPromise<Void>)] = []
        var closed = false
    }
    private let state = Mutex(State())

    init() {}

    fileprivate var channel: (any Channel)? {
        get { state.withLock { $0.channel } }
        set { state.withLock { $0.channel = newValue } }
    }

    /// The port it listens on.
    public var port: Int { channel?.localAddress?.port ?? 0 }

    /// Sets up an accepted connection with `serve`'s initializer; one accepted before `serve`
    /// waits for it, and one accepted after `close` is closed. Every connection served is
    /// closed with the listener.
    fileprivate func accept(_ child: any Channel) -> EventLoopFuture<Void> {
        enum Next { case refuse, wait(EventLoopPromise<Void>), serve(@Sendable (any Channel) -> EventLoopFuture<Void>) }
        let next = state.withLock { s -> Next in
            guard !s.closed else { return .refuse }
            s.children[ObjectIdentifier(child)] = child
            guard let accept = s.accept else {
                let ready = child.eventLoop.makePromise(of: Void.self)
                s.early.append((child, ready))
                return .wait(ready)
            }
            return .serve(accept)
        }
        child.closeFuture.whenComplete { [weak self] _ in
            _ = self?.state.withLock { $0.children.removeValue(forKey: ObjectIdentifier(child)) }
        }
        switch next {
        case .refuse: return child.close()
        case .wait(let ready): return ready.futureResult
        case .serve(let accept): return accept(child)
        }
    }

    fileprivate func serve(_ accept: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>) {
        let early = state.withLock { s in
            s.accept = accept
            defer { s.early = [] }
            return s.early
        }
        for (channel, ready) in early { channel.eventLoop.flatSubmit { accept(channel) }.cascade(to: ready) }
    }

    /// Closes the listening socket and every connection it accepted.
    fileprivate func close() {
        let (channel, children, early) = state.withLock { s in
            s.closed = true
            s.accept = nil
            defer { s.children = [:]; s.early = [] }
            return (s.channel, Array(s.children.values), s.early)
        }
        channel?.close(promise: nil)
        for (_, ready) in early { ready.fail(ChannelError.ioOnClosedChannel) }
        for child in children { child.close(promise: nil) }
    }
}
