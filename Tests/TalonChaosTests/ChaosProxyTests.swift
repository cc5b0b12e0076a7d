import NIOCore
import NIOPosix
import Synchronization
import TalonChaos
import Testing

/// The proxy over loopback in front of an echo server: it passes, delays, blackholes and cuts.
@Suite(.timeLimit(.minutes(3))) struct ChaosProxyTests {
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
    /// With `untilClosed`, waits up to 10 s for the close instead (a loaded machine is slow,
    /// never wrong, to close).
    func roundTrip(_ proxy: ChaosProxy, _ group: any EventLoopGroup, _ text: String, wait: Int = 200,
                   untilClosed: Bool = false) async throws -> (String, closed: Bool) {
        let received = Received()
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(Collect(into: received)) }
            .connect(host: "127.0.0.1", port: proxy.port).get()
        try? await client.writeAndFlush(ByteBuffer(string: text))  // a cut proxy may have closed it already
        try await Task.sleep(for: .milliseconds(wait))
        if untilClosed { for _ in 0..<1_000 where client.isActive { try await Task.sleep(for: .milliseconds(10)) } }
        let closed = !client.isActive
        try? await client.close()
        return (received.text, closed)
    }

    /// Connects through the proxy, sends `text`, and returns the first answer and how long
    /// after the send it came (at most 10 s, then whatever came).
    func firstAnswer(_ proxy: ChaosProxy, _ group: any EventLoopGroup, _ text: String) async throws -> (String, Duration) {
        let received = Received()
        let client = try await ClientBootstrap(group: group)
            .channelInitializer { $0.pipeline.addHandler(Collect(into: received)) }
            .connect(host: "127.0.0.1", port: proxy.port).get()
        let sent = ContinuousClock.now
        try await client.writeAndFlush(ByteBuffer(string: text))
        for _ in 0..<2_000 where received.text.count < text.utf8.count { try await Task.sleep(for: .milliseconds(5)) }
        let took = ContinuousClock.now - sent
        try? await client.close()
        return (received.text, took)
    }

    @Test func passesDelaysDropsAndCuts() async throws {
        try await withEchoProxy { proxy, group in
            #expect(try await firstAnswer(proxy, group, "hello").0 == "hello")
            proxy.set(.delay(milliseconds: 400))
            // A lower bound only: on a loaded machine the answer may come later, never sooner.
            let (text, took) = try await firstAnswer(proxy, group, "slow")
            #expect(text == "slow")
            #expect(took >= .milliseconds(400), "the echo came back after \(took)")
            proxy.set(.drop)
            let dropped = try await roundTrip(proxy, group, "lost", wait: 300)
            #expect(dropped.0 == "" && !dropped.closed)
            proxy.set(.cut)
            let refused = try await roundTrip(proxy, group, "refused", wait: 300, untilClosed: true)
            #expect(refused.0 == "" && refused.closed)
            proxy.set(.pass)
            #expect(try await firstAnswer(proxy, group, "again").0 == "again")
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
            for _ in 0..<1_000 where client.isActive { try await Task.sleep(for: .milliseconds(10)) }
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
