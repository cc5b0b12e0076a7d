import Foundation
import Testing

/// The API's connection limit against real `talon node` processes. In `ClusterTests` (an
/// extension, so its tests run serialized with the other clusters') because elections are
/// timed in wall-clock ticks and two clusters must not compete for the cores.
extension ClusterTests {
    /// Past `--max-connections`, silent and slowloris connections give way to a real client,
    /// and when every connection has a request in flight a newcomer gets a 503 problem;
    /// busy connections are never cut.
    @Test func pastTheConnectionLimitIdleConnectionsGiveWayAndBusyOnesAreKept() async throws {
        try await withCluster(size: 1) { c in
            try c.start(1, arguments: ["--max-connections", "50"])
            _ = try await c.waitForLeader(timeout: 10)
            let api = c.api(1)

            // 25 connections that never send a byte and 25 dribbling a request head that never ends.
            let idle = HeldSockets()
            defer { idle.closeAll() }
            #expect(try await idle.open(25, to: api) == 25)
            #expect(try await idle.open(25, to: api, sending: Array("GET /v1/head HTTP/1.1\r\nHost: x\r\nX-Slow: a".utf8)) == 25)
            try await Task.sleep(for: .milliseconds(300))
            #expect(idle.closedByServer() == 0, "nothing is evicted below the limit")

            // A real client gets through: the connection idle the longest gives way.
            for _ in 0..<5 {
                let head = try await RawHTTP.request("GET", api, "/v1/head", timeout: 5)
                #expect(head.status == 200, "\(head)\n\(c.logs())")
            }
            #expect(await eventually { idle.closedByServer() >= 1 }, "an idle connection made room")
            idle.closeAll()
            // Until the node has seen those closes, only /metrics's own connection is left.
            #expect(await eventually {
                let m = try? await RawHTTP.request("GET", api, "/metrics", timeout: 5)
                return m.flatMap { metric("talon_api_connections", in: $0.body) }.map { $0 <= 1 } ?? false
            })

            // 50 connections with a request in flight: headers announce a body that does not
            // come. One whose head the node has not read yet is still idle, and a newcomer
            // may displace it: such a one is replaced until a newcomer finds all 50 busy.
            let busy = HeldSockets()
            defer { busy.closeAll() }
            let post = "POST /v1/envelopes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n"
            var refused: RawHTTP.Reply?
            for _ in 0..<30 {
                busy.dropClosedByServer()
                try await busy.open(50 - busy.count, to: api, sending: Array(post.utf8))
                try await Task.sleep(for: .milliseconds(300))
                let reply = try await RawHTTP.request("GET", api, "/v1/head", timeout: 5)
                if reply.status == 503 { refused = reply; break }
            }
            let reply = try #require(refused, "a newcomer to 50 busy connections must get 503\n\(c.logs())")
            #expect(reply.headers["content-type"] == "application/problem+json")
            #expect(reply.headers["retry-after"] == "1")
            #expect(reply.headers["connection"] == "close")
            let problem = try decode(ProblemJSON.self, reply.body)
            #expect(problem.status == 503 && problem.code == "too_many_connections", "\(reply)")
            let fields = try JSONSerialization.jsonObject(with: Data(reply.body.utf8)) as? [String: Any]
            #expect(fields?["type"] as? String == "urn:talon:problem:too_many_connections")
            #expect(fields?["title"] as? String == "Service Unavailable")

            // None of the busy connections was cut: each, given its body, is answered.
            #expect(busy.count == 50)
            #expect(busy.closedByServer() == 0)
            for fd in busy.all {
                #expect(HeldSockets.sendAll(fd, Array("{}".utf8)))
                let answer = String(decoding: HeldSockets.readResponse(fd, timeout: 5), as: UTF8.self)
                #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(200))")
            }
            busy.closeAll()

            let metrics = try await RawHTTP.request("GET", api, "/metrics", timeout: 5)
            #expect(metric("talon_api_connections_max", in: metrics.body) == 50)
            #expect((metric("talon_api_connections_evicted_total", in: metrics.body) ?? 0) >= 1, "\(metrics.body)")
            #expect((metric("talon_api_connections_refused_total", in: metrics.body) ?? 0) >= 1)
            #expect(await eventually {
                let m = try? await RawHTTP.request("GET", api, "/metrics", timeout: 5)
                return m.flatMap { metric("talon_api_connections", in: $0.body) }.map { $0 <= 1 } ?? false
            }, "closed connections leave the count")
        }
    }

    /// The attack from issue 15: a flood of idle connections to the leader's API port. The
    /// leader keeps its leadership (same leader, same term on every node), `/v1/head` answers
    /// within 1 s throughout, and a write goes through during the flood.
    @Test func aFloodOfIdleAPIConnectionsCostsTheLeaderNeitherItsLeadershipNorItsAnswers() async throws {
        // 20,000 connections as in the report, or as many as this process may hold while it
        // keeps 2,000 descriptors for the tests running beside it (hard limit here: 20,000,
        // so the flood is 18,000 connections).
        let fileLimit = TestFileLimit.raise()
        let flood = min(20_000, fileLimit - 2_000)
        try #require(flood >= 5_000, "the descriptor limit (\(fileLimit)) is too low for a flood")
        try await withCluster { c in
            try c.startAll()
            let leader = try await c.waitForLeader()
            let before = try #require(await c.status(leader))
            let g = c.chain
            let event = try await c.sandbox.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV",
                                               "--name", "Show", "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let issue = try await c.sandbox.op("issue", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV", "--count", "5",
                                               "--prefix", "T", "--holder", g.admin, "--face-value", "100")

            let api = c.api(leader)
            let held = HeldSockets()
            defer { held.closeAll() }
            let probing = Task { () -> [Double] in
                var seconds: [Double] = []
                while !Task.isCancelled {
                    let started = Date()
                    let reply = try? await RawHTTP.request("GET", api, "/v1/head", timeout: 5)
                    seconds.append(reply?.status == 200 ? Date().timeIntervalSince(started) : 99)
                    try? await Task.sleep(for: .milliseconds(200))
                }
                return seconds
            }
            let started = Date()
            // As fast as the leader accepts them, but never faster: a connection-rate flood
            // overflows the kernel's accept queue (backlog 256) whatever the node does, and
            // every new client, this test's probe included, then waits for a SYN retransmit
            // (1 s). That is for the network's filters (SYN cookies, rate limits); this test is
            // about connections held.
            let opening = Task {
                try await held.open(flood, to: api, threads: 2, paced: true, batch: 25, deadline: started.addingTimeInterval(120))
            }
            // A write in the middle of the flood.
            try await Task.sleep(for: .seconds(1))
            for body in [event, issue] {
                let reply = try await RawHTTP.request("POST", api, "/v1/envelopes", body: body, timeout: 10)
                #expect(reply.status == 200, "\(reply)")
                #expect((try? decode(SubmitReply.self, reply.body))?.result == "ok", "\(reply)")
            }
            let opened = try await opening.value
            let openSeconds = Date().timeIntervalSince(started)
            // Hold them all a while longer (more than an election timeout).
            try await Task.sleep(for: .seconds(3))
            probing.cancel()
            let latencies = await probing.value
            let metrics = try await RawHTTP.request("GET", api, "/metrics", timeout: 5)
            let evictedByServer = held.closedByServer()
            print("flood: \(opened) connections opened in \(String(format: "%.1f", openSeconds)) s, \(evictedByServer) closed by the leader; "
                  + "/v1/head probes: \(latencies.count), worst \(String(format: "%.3f", latencies.max() ?? 0)) s")

            #expect(opened >= flood * 9 / 10, "only \(opened) of \(flood) connections opened in \(openSeconds) s")
            #expect(!latencies.isEmpty && latencies.allSatisfy { $0 < 1 }, "/v1/head during the flood took \(latencies) s")
            #expect((metric("talon_api_connections", in: metrics.body) ?? .infinity) <= 1024)
            #expect((metric("talon_api_connections_evicted_total", in: metrics.body) ?? 0) >= Double(opened - 1024))
            for i in c.nodes {
                let s = try #require(await c.status(i), "n\(i) does not answer\n\(c.logs())")
                #expect(s.term == before.term, "n\(i) moved to term \(s.term) from \(before.term)\n\(c.logs())")
                #expect(s.leader == before.node, "n\(i) follows \(s.leader ?? "nobody"), not \(before.node)")
                #expect(c.isRunning(i))
            }
            held.closeAll()
            let after = try await RawHTTP.request("GET", api, "/v1/head", timeout: 5)
            #expect(after.status == 200)
            try await Self.verifyEveryStore(c, nodes: Array(c.nodes))
        }
    }
}

/// Polls `condition` every 100 ms until it holds or `timeout` seconds pass; returns whether it held.
func eventually(timeout: Double = 10, _ condition: () async -> Bool) async -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(100))
    } while Date() < deadline
    return false
}
