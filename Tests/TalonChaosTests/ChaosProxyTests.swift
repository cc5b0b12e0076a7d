import NIOCore
import NIOPosix
import Synchronization
import TalonChaos
import Testing

/// The proxy over loopback in front of an echo server: it passes, delays, blackholes and cuts.
@Suite(.timeLimit(.minutes(1))) struct ChaosProxyTests {
    /// An echo server and a proxy in front of it; `body` gets the proxy and a way to connect
    /// a client through it that returns what comes back within a time.
    func withEchoProxy(_ body: (ChaosProxy, any EventLoopGroup) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let echo = try await ServerBootstrap(group: group)
            .childChannelInitializer { $0.pipeline.addHandler(Echo()) }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = try await ChaosProxy.start(target: ("127.0.0.1", echo.localAddress!.port!), group: group)
        do { try await body(proxy, group) } catch { await proxy.close(); try? await echo.close(); try? await group.shutdownGracefully(); throw error }
        await proxy.close()
        try await echo.close()
        try await group.shutdownGracefully()
    }

    /// Connects through the proxy, sends `text`, and returns what came back after `wait` ms
    /// and whether the connection was closed.
    func roundTrip(_ proxy: ChaosProxy, _ group: any EventLoopGroup, _ text: String, wait: Int = 200) async throws -> (String, closed: Bool) {
        let received = Received()
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(Collect(into: received)) }
            .connect(host: "127.0.0.1", port: proxy.port).get()
        try? await client.writeAndFlush(ByteBuffer(string: text))  // a cut proxy may have closed it already
        try await Task.sleep(for: .milliseconds(wait))
        let closed = !client.isActive
        try? await client.close()
        return (received.text, closed)
    }

    @Test func passesDelaysDropsAndCuts() async throws {
        try await withEchoProxy { proxy, group in
            let hello = try await roundTrip(proxy, group, "hello")
            #expect(hello.0 == "hello" && !hello.closed)
            proxy.set(.delay(milliseconds: 400))
            let early = try await roundTrip(proxy, group, "slow", wait: 150)
            #expect(early.0 == "")
            let late = try await roundTrip(proxy, group, "slow", wait: 2_000)
            #expect(late.0 == "slow")
            proxy.set(.drop)
            let dropped = try await roundTrip(proxy, group, "lost", wait: 300)
            #expect(dropped.0 == "" && !dropped.closed)
            proxy.set(.cut)
            let refused = try await roundTrip(proxy, group, "refused", wait: 300)
            #expect(refused.0 == "" && refused.closed)
            proxy.set(.pass)
            let again = try await roundTrip(proxy, group, "again")
            #expect(again.0 == "again" && !again.closed)
        }
    }

    @Test func healingABlackholeClosesItsConnections() async throws {
        try await withEchoProxy { proxy, group in
            proxy.set(.drop)
            let received = Received()
            let client = try await ClientBootstrap(group: group)
                .channelInitializer { $0.pipeline.addHandler(Collect(into: received)) }
                .connect(host: "127.0.0.1", port: proxy.port).get()
            try await client.writeAndFlush(ByteBuffer(string: "x"))
            try await Task.sleep(for: .milliseconds(200))
            #expect(client.isActive && proxy.openConnections == 2)
            proxy.set(.pass)
            try await Task.sleep(for: .milliseconds(200))
            #expect(!client.isActive && received.text == "")
        }
    }
}

private final class Echo: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.writeAndFlush(data, promise: nil) }
}

private final class Collect: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let received: Received
    init(into received: Received) { self.received = received }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) { received.append(String(buffer: unwrapInboundIn(data))) }
}

private final class Received: Sendable {
    private let value = Mutex("")
    func append(_ s: String) { value.withLock { $0 += s } }
    var text: String { value.withLock { $0 } }
}
