import Foundation
import NIOCore
import NIOPosix
import Testing
import TalonProtocol
import TalonLedger
import TalonNode
import TalonRaft

/// Runs `body`, failing if it takes longer than `seconds`. The tests here allow 30 s for what
/// takes milliseconds: CI starts every suite at once on two cores, and a 10 s bound on a
/// garbage connection being closed ran out there once (2026-12-03).
func within<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw TalonError(.nodeStore, "timed out after \(seconds) s: \(what)")
        }
        return value
    }
}

/// The next message from `stream` matching `predicate`.
func receive(_ stream: AsyncStream<PeerEvent>, where predicate: @escaping @Sendable (Message) -> Bool = { _ in true }) async throws -> Message {
    for await event in stream {
        if case .raft(let m) = event, predicate(m) { return m }
    }
    throw TalonError(.nodeStore, "stream ended")
}

/// The next forwarded submission or reply on `stream`.
func receiveForward(_ stream: AsyncStream<PeerEvent>) async throws -> PeerEvent {
    for await event in stream {
        if case .raft = event { continue }
        return event
    }
    throw TalonError(.nodeStore, "stream ended")
}

/// Three transports on loopback, each running in its own task.
final class TransportCluster: @unchecked Sendable {
    // @unchecked: set up before the tasks start; `tasks` is touched only by the test.
    let cluster: Cluster
    var transports: [NodeID: PeerTransport] = [:]
    var listeners: [NodeID: PeerListener] = [:]
    var tasks: [NodeID: Task<Void, Never>] = [:]
    var ports: [NodeID: Int] = [:]

    init() async throws {
        cluster = try Cluster()
        for id in cluster.members.ids { listeners[id] = try await PeerTransport.bind(host: "127.0.0.1", port: 0) }
        for (id, l) in listeners { ports[id] = l.port }
        for id in cluster.members.ids { start(id) }
    }

    func start(_ id: NodeID) {
        var addresses: [NodeID: (host: String, port: Int)] = [:]
        for (peer, port) in ports { addresses[peer] = ("127.0.0.1", port) }
        var options = PeerTransport.Options()
        options.maxBackoff = .milliseconds(200)
        let t = PeerTransport(members: cluster.members, me: id, key: cluster.keys[Int(id - 1)], addresses: addresses, options: options)
        transports[id] = t
        guard let listener = listeners[id] else { return }
        tasks[id] = Task { await t.run(listener) }
    }

    func stop(_ id: NodeID) async {
        tasks[id]?.cancel()
        await tasks[id]?.value
        tasks[id] = nil
    }

    func restart(_ id: NodeID) async throws {
        listeners[id] = try await PeerTransport.bind(host: "127.0.0.1", port: ports[id] ?? 0)
        start(id)
    }

    func stopAll() async {
        for id in Array(tasks.keys) { await stop(id) }
    }

    /// Sends `message` from member `id` every 50 ms until the task is cancelled (a message
    /// sent while a link reconnects may be lost).
    func keepSending(_ message: Message, from id: NodeID) -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                self.transports[id]?.send(message)
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
    }
}

@Suite(.timeLimit(.minutes(3)))
struct PeerTransportTests {
    @Test func membersExchangeMessages() async throws {
        let c = try await TransportCluster()
        let vote = Message(kind: .vote, from: 1, to: 2, term: 7, logTerm: 3, index: 9)
        let append = Message(kind: .append, from: 1, to: 3, term: 7, entries: [Entry(term: 7, index: 1, data: [1, 2])])
        c.transports[1]?.send(vote)
        c.transports[1]?.send(append)
        let in2 = try #require(c.transports[2]).incoming, in3 = try #require(c.transports[3]).incoming
        #expect(try await within(30, "vote at 2") { try await receive(in2) } == vote)
        #expect(try await within(30, "append at 3") { try await receive(in3) } == append)
        let reply = Message(kind: .voteResponse, from: 2, to: 1, term: 7)
        c.transports[2]?.send(reply)
        let in1 = try #require(c.transports[1]).incoming
        #expect(try await within(30, "reply at 1") { try await receive(in1) } == reply)
        await c.stopAll()
    }

    /// A follower forwards admitted envelopes to the leader and gets receipts back, over the
    /// same authenticated links as Raft.
    @Test func forwardedSubmissionsAndRepliesTravel() async throws {
        let c = try await TransportCluster()
        let key = SigningKey.generate()
        let envelope = Envelope(chainID: c.cluster.members.genesis.genesis.chainID, nonce: 1,
                                operation: .void(VoidTicket(ticketID: "T1", reason: "test")), signedBy: key)
        c.transports[2]?.send(.forward(request: 42, envelopes: [envelope, envelope]), to: 1)
        let in1 = try #require(c.transports[1]).incoming
        guard case .forward(let from, let request, let envelopes) = try await within(30, "forward at 1", { try await receiveForward(in1) }) else {
            Issue.record("expected a forwarded submission")
            return
        }
        #expect(from == 2 && request == 42 && envelopes == [envelope, envelope])

        let receipts: [EnvelopeOutcome] = [.receipt(Receipt(leaf: 7, height: 3, position: 0, result: "ok")),
                                           .rejected(TalonError(.badSignature, "signature does not verify"))]
        c.transports[1]?.send(.forwardReply(request: 42, .outcomes(receipts)), to: 2)
        c.transports[1]?.send(.forwardReply(request: 43, .failed(TalonError(.notLeader, "try n3"))), to: 2)
        let in2 = try #require(c.transports[2]).incoming
        guard case .forwardReply(1, 42, .outcomes(let got)) = try await within(30, "reply at 2", { try await receiveForward(in2) }) else {
            Issue.record("expected receipts for request 42")
            return
        }
        #expect(got == receipts)
        guard case .forwardReply(1, 43, .failed(let error)) = try await within(30, "failure at 2", { try await receiveForward(in2) }) else {
            Issue.record("expected a failure for request 43")
            return
        }
        #expect(error.code == .notLeader && error.message == "try n3")
        await c.stopAll()
    }

    /// Garbage, an oversized length, and a process with an unlisted key each lose their own
    /// connection; the node goes on serving its members.
    @Test func badConnectionsAreClosedAndTheNodeServesOn() async throws {
        let c = try await TransportCluster()
        let port = try #require(c.ports[1])
        for bytes: [UInt8] in [Array("GET / HTTP/1.1\r\n\r\n".utf8), [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3], [0, 0, 0, 2, 9, 9]] {
            let closed = try await within(30, "garbage connection closed") { try await Self.sendRaw(bytes, to: port) }
            #expect(closed, "the node closed the connection")
        }
        // An impostor that completes its side of the handshake with a key the genesis lacks.
        let impostor = PeerHandshake.Initiator(members: c.cluster.members, me: 2, key: SigningKey.generate(), connectingTo: 1)
        let closed = try await within(30, "impostor closed") {
            try await Self.handshakeRaw(impostor, to: port, then: Message(kind: .vote, from: 2, to: 1, term: 99))
        }
        #expect(closed)

        let honest = Message(kind: .heartbeat, from: 3, to: 1, term: 5)
        c.transports[3]?.send(honest)
        let in1 = try #require(c.transports[1]).incoming
        let got = try await within(30, "honest message") { try await receive(in1) }
        #expect(got == honest, "only the member's message arrives, never the impostor's")
        await c.stopAll()
    }

    /// A member that goes away and comes back on the same port is reached again.
    @Test func linksReconnectAfterAPeerRestarts() async throws {
        let c = try await TransportCluster()
        let first = Message(kind: .heartbeat, from: 1, to: 2, term: 1)
        c.transports[1]?.send(first)
        let before = try #require(c.transports[2]).incoming
        #expect(try await within(30, "before restart") { try await receive(before) } == first)
        await c.stop(2)
        try await c.restart(2)
        let after = try #require(c.transports[2]).incoming
        let second = Message(kind: .heartbeat, from: 1, to: 2, term: 2)
        // Until node 1 notices the old connection is gone, a message may be lost: keep sending.
        let sender = c.keepSending(second, from: 1)
        defer { sender.cancel() }
        #expect(try await within(30, "after restart") { try await receive(after) } == second)
        await c.stopAll()
    }

    /// Silent sockets that never say a word, far more than the handshake slots, cannot keep a
    /// member out: each newcomer from a crowded address closes that address's oldest pending
    /// connection, and a member completes its handshake in a few round trips.
    @Test func aCrowdOfSilentSocketsCannotKeepAMemberOut() async throws {
        let c = try await TransportCluster()
        let port = try #require(c.ports[1])
        await c.stop(2)
        var silent: [NIOAsyncChannel<ByteBuffer, ByteBuffer>] = []
        for _ in 0..<200 { silent.append(try await Self.connect(port)) }
        try await c.restart(2)
        let in1 = try #require(c.transports[1]).incoming
        let hello = Message(kind: .heartbeatResponse, from: 2, to: 1, term: 3)
        let sender = c.keepSending(hello, from: 2)
        defer { sender.cancel() }
        #expect(try await within(2.5, "member 2 through the crowd, well inside an election timeout") { try await receive(in1) { $0.from == 2 } } == hello)
        for channel in silent { try? await channel.channel.close() }
        await c.stopAll()
    }

    // MARK: - Raw clients

    static func connect(_ port: Int) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port) { ch in
            ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
        }
    }

    /// Sends `bytes` and returns true once the node closes the connection.
    static func sendRaw(_ bytes: [UInt8], to port: Int) async throws -> Bool {
        let channel = try await connect(port)
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(bytes: bytes))
            for try await _ in inbound {}
            return true
        }
    }

    /// Runs `handshake` against the node, then sends `message`; true once the node closes.
    static func handshakeRaw(_ handshake: PeerHandshake.Initiator, to port: Int, then message: Message) async throws -> Bool {
        let channel = try await connect(port)
        var h = handshake
        return try await channel.executeThenClose { inbound, outbound in
            var decoder = FrameDecoder()
            try await outbound.write(ByteBuffer(bytes: h.hello()))
            do {
                for try await chunk in inbound {
                    decoder.append(chunk.readableBytesView)
                    guard let reply = try decoder.next() else { continue }
                    var (session, auth) = try h.finish(reply)
                    try await outbound.write(ByteBuffer(bytes: auth))
                    try await outbound.write(ByteBuffer(bytes: try session.seal(.raft(message))))
                }
            } catch {
                return true
            }
            return true
        }
    }
}
