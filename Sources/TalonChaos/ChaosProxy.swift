public import NIOCore
import NIOPosix
import Synchronization

/// What a `ChaosProxy` does with the bytes of its link.
public enum LinkMode: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Forward every byte as it comes.
    case pass
    /// Read and discard every byte (a blackhole): connections stay open, nothing arrives.
    case drop
    /// Forward every byte after this many milliseconds.
    case delay(milliseconds: Int)
    /// Close every connection and refuse new ones.
    case cut

    public var description: String {
        switch self {
        case .pass: "pass"
        case .drop: "drop"
        case .delay(let ms): "delay \(ms) ms"
        case .cut: "cut"
        }
    }
}

/// A TCP proxy for one directed peer link: it listens on a loopback port and forwards each
/// connection to one target, passing, dropping, delaying or cutting the bytes as `mode` says.
///
/// A Talon member sends its Raft messages to a peer only over its own outgoing connection
/// (`PeerTransport`: the inbound side of a connection only receives), so a proxy that member
/// `a` dials to reach `b` (`talon node run --dial b=PROXY`) carries exactly the traffic
/// a→b: one proxy per ordered pair gives one-way faults without root or network namespaces.
///
/// Changing the mode away from `drop` or `delay` closes the open connections, so that no
/// stream resumes in the middle of a frame or with bytes reordered; the members reconnect.
public final class ChaosProxy: Sendable {
    /// The port the proxy listens on.
    public let port: Int
    /// Where it forwards to.
    public let target: (host: String, port: Int)
    private let link: Link
    private let server: any Channel

    private init(port: Int, target: (host: String, port: Int), link: Link, server: any Channel) {
        self.port = port; self.target = target; self.link = link; self.server = server
    }

    /// Binds `host:port` (0: any free port) and forwards what it accepts to `target`.
    /// - Throws: NIO's error when the address cannot be bound.
    public static func start(host: String = "127.0.0.1", port: Int = 0, target: (host: String, port: Int),
                             group: any EventLoopGroup) async throws -> ChaosProxy {
        let link = Link(target: target)
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { inbound in link.accept(inbound) }
            .bind(host: host, port: port).get()
        return ChaosProxy(port: server.localAddress?.port ?? port, target: target, link: link, server: server)
    }

    /// What the proxy does now.
    public var mode: LinkMode { link.mode }

    /// Connections open through the proxy now (each counted once per side).
    public var openConnections: Int { link.openCount }

    /// Sets what the proxy does from now on.
    public func set(_ mode: LinkMode) { link.set(mode) }

    /// Stops listening and closes every connection.
    public func close() async {
        link.set(.cut)
        try? await server.close()
    }
}

/// A proxy's mode and open connections, shared by its event loops.
private final class Link: Sendable {
    struct State {
        var mode = LinkMode.pass
        var channels: [ObjectIdentifier: any Channel] = [:]
    }
    let target: (host: String, port: Int)
    private let state = Mutex(State())

    init(target: (host: String, port: Int)) { self.target = target }

    var mode: LinkMode { state.withLock { $0.mode } }
    var openCount: Int { state.withLock { $0.channels.count } }

    func set(_ mode: LinkMode) {
        let toClose: [any Channel] = state.withLock { s in
            let old = s.mode
            s.mode = mode
            // A blackholed or delayed stream must not resume mid-frame or out of order.
            guard mode == .cut || (old != .pass && old != mode) else { return [] }
            defer { s.channels.removeAll() }
            return Array(s.channels.values)
        }
        for c in toClose { c.close(promise: nil) }
    }

    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        state.withLock { $0.channels[id] = channel }
        channel.closeFuture.whenComplete { _ in self.state.withLock { _ = $0.channels.removeValue(forKey: id) } }
    }

    /// Connects an accepted connection to the target and joins the two.
    func accept(_ inbound: any Channel) -> EventLoopFuture<Void> {
        if mode == .cut { return inbound.eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel) }
        return ClientBootstrap(group: inbound.eventLoop)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(2))
            .connect(host: target.host, port: target.port)
            .flatMapThrowing { outbound in
                try inbound.pipeline.syncOperations.addHandler(Forwarder(link: self, partner: outbound))
                try outbound.pipeline.syncOperations.addHandler(Forwarder(link: self, partner: inbound))
                self.track(inbound)
                self.track(outbound)
                outbound.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
                if self.mode == .cut { inbound.close(promise: nil); outbound.close(promise: nil) }
            }
    }
}

/// Forwards one side's bytes to the other as the link's mode says; a side that closes
/// closes the other.
private final class Forwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let link: Link
    let partner: any Channel

    init(link: Link, partner: any Channel) { self.link = link; self.partner = partner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        switch link.mode {
        case .pass:
            partner.writeAndFlush(bytes, promise: nil)
        case .delay(let ms):
            let partner = self.partner
            context.eventLoop.scheduleTask(in: .milliseconds(Int64(ms))) { partner.writeAndFlush(bytes, promise: nil) }
        case .drop, .cut:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
