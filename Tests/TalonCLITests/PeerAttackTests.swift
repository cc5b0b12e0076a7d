import Foundation
import Testing
import TalonProtocol
import TalonLedger
import TalonNode
import TalonRaft
import TalonTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The peer port attacked from outside, against real node processes: a keyless client
/// relaying or reflecting members' proofs, a replayed recording of a member's handshake, a key
/// the genesis does not list, a frame injected into a live link by a party on the path, and a
/// crowd of silent sockets while a member restarts. Every refusal closes the connection at
/// once and is counted by code in `/metrics`; the cluster serves on, and every node's store
/// verifies afterwards. (An extension of `ClusterTests`, so that it runs serialized with the
/// other clusters: a rejoin is timed in election timeouts.)
extension ClusterTests {
    /// Sooner than the 5-second handshake timeout: a close this fast is a refusal.
    static let refusal = 3.0

    /// Node `i`'s count of peer connections refused with `code`.
    static func refusals(_ c: LocalCluster, _ i: Int, _ code: String) async -> Int {
        guard let reply = try? await RawHTTP.request("GET", c.api(i), "/metrics", timeout: 5) else { return -1 }
        let prefix = "talon_peer_refused_total{code=\"\(code)\"} "
        guard let line = reply.body.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return 0 }
        return Int(Double(line.dropFirst(prefix.count)) ?? -1)
    }

    @Test func keylessReplayedAndUnlistedClientsCannotLogIn() async throws {
        try await withCluster { c in
            try c.startAll()
            _ = try await c.waitForLeader()
            let members = try c.members()
            let p1 = c.peerBase, p2 = c.peerBase + 1
            let n3 = try SigningKey.load(from: c.sandbox.path("net/keys/n3.key"))

            // Control: a real member's key (n3's; that process is not running) gets in and stays in.
            let recorded = try await onOwnThread { () -> (stayed: Bool, bytes: [UInt8]) in
                let wire = try PeerWire(port: p1)
                var member = PeerHandshake.Initiator(members: members, me: 3, key: n3, connectingTo: 1)
                let hello = member.hello()
                try wire.send(hello)
                guard let reply = try wire.frame() else { throw SandboxError("n1 closed on a member's hello") }
                var (session, auth) = try member.finish(reply)
                let stale = try session.seal(.raft(Message(kind: .heartbeatResponse, from: 3, to: 1, term: 0)))
                try wire.send(auth + stale)
                return (!wire.closes(within: Self.refusal), hello + auth + stale)
            }
            #expect(recorded.stayed, "a member's own connection must stay open\n\(c.logs())")

            // The nonce-relay login: a keyless client runs the handshake with n1 and n2 and hands
            // each the other's proof; then each member's own proof reflected back to it.
            let relayed = try await onOwnThread { () -> [Bool] in
                let a = try PeerWire(port: p1), b = try PeerWire(port: p2)
                var toA = KeylessInitiator(members), toB = KeylessInitiator(members)
                try a.send(toA.hello())
                try b.send(toB.hello())
                guard let replyA = try a.frame(), let replyB = try b.frame() else { throw SandboxError("closed on a hello") }
                var (proofA, sendA) = try toA.finish(replyA)
                var (proofB, sendB) = try toB.finish(replyB)
                try a.send(FrameDecoder.framed(try sendA.seal(.auth(node: 2, signature: proofB.signature))))
                try b.send(FrameDecoder.framed(try sendB.seal(.auth(node: 1, signature: proofA.signature))))
                let mirror = try PeerWire(port: p1)
                var reflect = KeylessInitiator(members)
                try mirror.send(reflect.hello())
                guard let own = try mirror.frame() else { throw SandboxError("closed on a hello") }
                var (proofOfItself, sendBack) = try reflect.finish(own)
                try mirror.send(FrameDecoder.framed(try sendBack.seal(.auth(node: 1, signature: proofOfItself.signature))))
                return [a.closes(within: Self.refusal), b.closes(within: Self.refusal), mirror.closes(within: Self.refusal)]
            }
            #expect(relayed == [true, true, true])

            // The member's recorded bytes, replayed word for word on a new connection.
            let replay = try await onOwnThread { () -> Bool in
                let wire = try PeerWire(port: p1)
                try wire.send(recorded.bytes)
                return wire.closes(within: Self.refusal)
            }
            #expect(replay)

            // A key the genesis does not list, claiming to be n2.
            let impostor = try await onOwnThread { () -> Bool in
                let wire = try PeerWire(port: p1)
                var fake = PeerHandshake.Initiator(members: members, me: 2, key: SigningKey.generate(), connectingTo: 1)
                try wire.send(fake.hello())
                guard let reply = try wire.frame() else { return true }
                var (session, auth) = try fake.finish(reply)
                try wire.send(auth + (try session.seal(.raft(Message(kind: .vote, from: 2, to: 1, term: 1_000)))))
                return wire.closes(within: Self.refusal)
            }
            #expect(impostor)

            #expect(await Self.refusals(c, 1, "peer_bad_proof") >= 2, "relayed proof and unlisted key")
            #expect(await Self.refusals(c, 2, "peer_bad_proof") >= 1, "relayed proof")
            #expect(await Self.refusals(c, 1, "peer_unknown_member") >= 1, "reflected proof")
            #expect(await Self.refusals(c, 1, "peer_frame_rejected") >= 1, "replayed handshake")
            // The impostor's vote at term 1,000 never reached Raft.
            for i in [1, 2] { #expect((await c.status(i))?.term ?? .max < 1_000) }
            try await Self.verifyEveryStore(c, nodes: [1, 2])
        }
    }

    /// A party on the path between n1/n3 and n2 sends the first transport frame of a live,
    /// authenticated link a second time: n2 closes that link, the sender reconnects, and the
    /// cluster keeps agreeing.
    @Test func aFrameInjectedIntoALiveLinkClosesIt() async throws {
        try await withCluster { c in
            let real = try LocalCluster.freePortBase(count: 1)
            let proxy = try PeerProxy(port: c.peerBase + 1, target: real, injectReplay: true)
            defer { proxy.stop() }
            try c.start(1)
            try c.start(2, arguments: ["--peer", "127.0.0.1:\(real)"])
            try c.start(3)
            _ = try await c.waitForLeader()
            let deadline = Date().addingTimeInterval(20)
            while !proxy.memberClosedTheTamperedConnection && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(proxy.injected && proxy.memberClosedTheTamperedConnection, "n2 must close the link the frame went into\n\(c.logs())")
            #expect(await Self.refusals(c, 2, "peer_frame_rejected") >= 1)

            let event = try await c.sandbox.op("create-event", key: c.chain.issuer, genesis: c.chain.genesis, nonce: 1, "--event-id", "EV",
                                               "--name", "Show", "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let reply = try await c.submit(event, first: 2)
            #expect(reply.status == 200 && reply.body.contains("\"ok\""), "\(reply)")
            let head = try await c.waitForSameHead()
            #expect(head.height >= 1)
            try await Self.verifyEveryStore(c, nodes: Array(c.nodes))
        }
    }

    /// A member restarts while crowds of silent sockets sit on every peer port: it rejoins
    /// within an election timeout of coming up, and without costing the leader its term.
    @Test func aMemberRejoinsThroughAFloodOfHalfOpenConnections() async throws {
        try await withCluster { c in
            try c.startAll()
            let leader = try await c.waitForLeader()
            let follower = c.nodes.first { $0 != leader } ?? 1
            let before = try #require(await c.status(leader))
            await c.stop(follower)
            let flood = Flood()
            defer { flood.stop() }
            for i in c.nodes where i != follower { try flood.open(150, to: c.peerBase + i - 1) }
            let commit = try #require(await c.status(leader)).commit
            try c.start(follower)
            // The restarted member's own port too, as soon as it listens.
            let port = c.peerBase + follower - 1
            _ = try await onOwnThread { try flood.open(150, to: port, retryFor: 10) }
            var up: Date?
            var rejoined: Date?
            let deadline = Date().addingTimeInterval(20)
            while rejoined == nil && Date() < deadline {
                if let s = await c.status(follower) {
                    up = up ?? Date()
                    if s.leader == before.node && s.applied >= commit { rejoined = Date() }
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            let took = try #require(rejoined).timeIntervalSince(try #require(up))
            #expect(took < 2.0, "rejoined \(took) s after its API came up (election timeout: 1–2 s)\n\(c.logs())")
            let after = try #require(await c.status(leader))
            #expect(after.role == "leader" && after.term == before.term, "the flood cost the leader its term")
            flood.stop()
            try await Self.verifyEveryStore(c, nodes: Array(c.nodes))
        }
    }

    /// A real member (n3, played in this process by the node's own transport with n3's key)
    /// forwards a transfer whose signature is 64 zero bytes, from the ticket's real holder:
    /// the leader admits forwarded envelopes itself, refuses it as `bad_signature`, and no
    /// node ever holds it. (It used to be applied as `ok` on every node.)
    @Test func anUnsignedEnvelopeForwardedByARealMemberIsNeverApplied() async throws {
        try await withCluster { c in
            try c.start(1)
            try c.start(2)
            let leader = try await c.waitForLeader(among: [1, 2])
            let s = c.sandbox, g = c.chain
            let alice = try await s.newKey("alice"), mallory = try await s.newKey("mallory")
            for (nonce, op) in [(UInt64(1), ["create-event", "--event-id", "EV", "--name", "Show", "--venue", "Hall",
                                              "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"]),
                                (2, ["issue", "--event-id", "EV", "--count", "1", "--prefix", "T", "--holder", alice.path, "--face-value", "4500"])] {
                let body = try await s.op(op[0], key: g.issuer, genesis: g.genesis, nonce: nonce, Array(op.dropFirst()))
                let reply = try await c.submit(body, first: leader)
                try #require(reply.status == 200 && reply.body.contains("\"ok\""), "\(reply)")
            }

            let members = try c.members()
            let forged = Envelope(chainID: members.genesis.genesis.chainID, signer: try PublicKey(text: alice.publicKey), nonce: 7,
                                  operation: .transfer(Transfer(ticketID: "T-1", to: try PublicKey(text: mallory.publicKey))),
                                  signature: try #require(Signature(bytes: [UInt8](repeating: 0, count: 64))))
            let (n3, running) = try await c.memberTransport(3)
            defer { running.cancel() }
            let replies = Task { () -> ForwardReply? in
                for await event in n3.incoming {
                    if case .forwardReply(_, 7, let reply) = event { return reply }
                }
                return nil
            }
            n3.send(.forward(request: 7, envelopes: [forged]), to: NodeID(leader))
            let reply = try await Self.within(15) { await replies.value }
            guard case .outcomes(let outcomes)? = reply else {
                Issue.record("expected per-envelope outcomes, got \(String(describing: reply))\n\(c.logs())")
                return
            }
            #expect(outcomes.map { $0.rejection?.code } == [.badSignature])

            let hash = Hex.encode(forged.hash.bytes)
            for i in [1, 2] {
                #expect(try await RawHTTP.request("GET", c.api(i), "/v1/records/\(hash)").status == 404)
                let ticket = try await RawHTTP.request("GET", c.api(i), "/v1/tickets/T-1?consistency=linearizable")
                #expect(ticket.status == 200 && ticket.body.contains(alice.publicKey), "\(ticket)")
            }
            running.cancel()
            try await Self.verifyEveryStore(c, nodes: [1, 2])
        }
    }

    /// Runs `body`, failing after `seconds`.
    static func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { try await Task.sleep(for: .seconds(seconds)); return nil }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw SandboxError("no answer in \(seconds) s") }
            return value
        }
    }

    /// Stops the nodes cleanly and runs `talon ledger verify` on each one's store.
    static func verifyEveryStore(_ c: LocalCluster, nodes: [Int]) async throws {
        for i in nodes { await c.stop(i, signal: SIGTERM) }
        for i in nodes {
            let (run, report) = try await c.sandbox.verify(c.sandbox.path("data/n\(i)"))
            #expect(run.status == 0 && report.ok, "n\(i): \(run)")
        }
    }
}

/// Silent TCP connections held open until `stop`.
final class Flood: @unchecked Sendable {
    // @unchecked: `sockets` only under the lock.
    private let lock = NSLock()
    private var sockets: [Int32] = []

    /// Opens `count` connections to `port` that never send a byte; retries refused ones for up to `retryFor` seconds.
    func open(_ count: Int, to port: Int, retryFor: Double = 0) throws {
        let deadline = Date().addingTimeInterval(retryFor)
        var opened = 0
        while opened < count {
            let fd = IPv4.tcpSocket()
            guard fd >= 0, let p = UInt16(exactly: port) else { throw SandboxError("socket: errno \(errno)") }
            if IPv4.withAddress("127.0.0.1", p, { connect(fd, $0, $1) }) == 0 {
                lock.withLock { sockets.append(fd) }
                opened += 1
            } else {
                Glibc.close(fd)
                guard Date() < deadline else { throw SandboxError("connect to \(port): errno \(errno)") }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
    }

    func stop() {
        let all = lock.withLock { () -> [Int32] in defer { sockets = [] }; return sockets }
        for fd in all { Glibc.close(fd) }
    }
}
