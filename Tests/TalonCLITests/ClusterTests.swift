import Foundation
import Synchronization
import TalonTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real node processes on loopback: submissions through any node, a leader killed while
/// clients write, catch-up after a restart, a full restart, bad input on both ports.
/// Serialized so that two clusters never compete for the machine's cores (elections are
/// timed in wall-clock ticks).
@Suite(.serialized, .timeLimit(.minutes(5)))
struct ClusterTests {
    @Test func submissionsThroughAnyNodeAreServedByEveryNode() async throws {
        try await withCluster { c in
            try c.startAll()
            _ = try await c.waitForLeader()
            let g = c.chain, s = c.sandbox
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob"), carol = try await s.newKey("carol")

            let event = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let issue = try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV", "--count", "2",
                                       "--prefix", "T", "--holder", alice.path, "--face-value", "4500")
            let transfer = try await s.op("transfer", key: alice.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--to", bob.publicKey)
            // Bob holds a ticket of the event once the transfer applies: his try at alice's stays on the record.
            let stolen = try await s.op("transfer", key: bob.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-2", "--to", carol.publicKey)
            let stranger = try await s.op("transfer", key: carol.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-2", "--to", carol.publicKey)

            // Each through a different node: followers forward to the leader.
            var receipts: [SubmitReply] = []
            for (i, body) in [event, issue, transfer, stolen].enumerated() {
                let reply = try await RawHTTP.request("POST", c.api(i % 3 + 1), "/v1/envelopes", body: body)
                try #require(reply.status == 200, "\(reply)")
                receipts.append(try decode(SubmitReply.self, reply.body))
            }
            #expect(receipts.map(\.result) == ["ok", "ok", "ok", "not_holder"])
            let hashes = try [event, issue, transfer, stolen].map { FormatModel.hex(FormatModel.sha256(try FormatModel.envelopeBytes(line: $0))) }
            #expect(receipts.map(\.hash) == hashes)
            #expect(receipts.map(\.leaf) == [0, 1, 2, 3])
            // Carol never held a ticket of the event: the leader refuses her, through any node, and stores nothing.
            for i in c.nodes {
                let reply = try await RawHTTP.request("POST", c.api(i), "/v1/envelopes", body: stranger)
                #expect(reply.status == 403 && reply.body.contains("\"code\":\"not_authorized\""), "\(reply)")
            }

            // Submitting again, to another node, answers the first receipt and appends nothing.
            let head = try await c.waitForSameHead()
            let again = try await RawHTTP.request("POST", c.api(2), "/v1/envelopes", body: transfer)
            #expect(again.status == 200)
            let repeated = try decode(SubmitReply.self, again.body)
            #expect(repeated.height == receipts[2].height && repeated.leaf == receipts[2].leaf && repeated.result == "ok")
            let batch = try await RawHTTP.request("POST", c.api(3), "/v1/envelopes", body: "[\(transfer),\(transfer)]")
            #expect(batch.status == 200 && batch.body.contains(receipts[2].hash), "\(batch)")
            #expect(try await c.waitForSameHead() == head, "a resubmission must not change the ledger")

            // Every node serves the ticket; a linearizable read reflects the last write.
            for i in c.nodes {
                let reply = try await RawHTTP.request("GET", c.api(i), "/v1/tickets/T-1?consistency=linearizable")
                try #require(reply.status == 200, "\(reply)")
                let served = try decode(ServedTicket.self, reply.body)
                #expect(served.ticket.holder == bob.publicKey && served.ticket.sequence == 1)
                #expect(served.servedAt.consistency == "linearizable" && served.servedAt.height >= receipts[2].height!)
                let history = try await RawHTTP.request("GET", c.api(i), "/v1/tickets/T-1/history")
                #expect(try decode(ServedRecords.self, history.body).records.map(\.hash) == [receipts[1].hash, receipts[2].hash])
            }

            // Linearizable reads sent to every node at once all resolve (each node's ReadIndex
            // contexts are its own; colliding ones were dropped by the leader and ended in a
            // 503 timeout).
            for _ in 0..<3 {
                try await withThrowingTaskGroup(of: RawHTTP.Reply.self) { group in
                    for i in c.nodes {
                        group.addTask { try await RawHTTP.request("GET", c.api(i), "/v1/tickets/T-1?consistency=linearizable") }
                    }
                    for try await reply in group { #expect(reply.status == 200, "\(reply)") }
                }
            }

            // Ids may hold `/`: sent percent-encoded, they are found.
            let slashed = try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 3, "--event-id", "EV", "--count", "1",
                                         "--prefix", "ROW/A", "--holder", alice.path, "--face-value", "4500")
            #expect(try decode(SubmitReply.self, try await c.submit(slashed).body).result == "ok")
            let found = try await RawHTTP.request("GET", c.api(1), "/v1/tickets/ROW%2FA-1?consistency=linearizable")
            #expect(found.status == 200 && (try? decode(ServedTicket.self, found.body))?.ticket.ticketId == "ROW/A-1", "\(found)")

            // A contract decides the same on every node (each process seeds Lua differently).
            let markup = ContractCLITests.root.appendingPathComponent("genesis/contracts/markup-cap-royalty.lua").path
            let params = try s.write("markup.json", #"{"max_price_pct": 110, "royalty_pct": 5}"#)
            var contractOps: [String] = []
            contractOps.append(try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 10, "--event-id", "EV2", "--name", "Show",
                                              "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"))
            contractOps.append(try await s.op("deploy-contract", key: g.issuer, genesis: g.genesis, nonce: 11, "--source", markup))
            contractOps.append(try await s.op("bind-contract", key: g.issuer, genesis: g.genesis, nonce: 12, "--event-id", "EV2",
                                              "--source", markup, "--params", params))
            contractOps.append(try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 13, "--event-id", "EV2", "--count", "2",
                                              "--prefix", "M", "--holder", alice.path, "--face-value", "4500"))
            contractOps.append(try await s.op("list-resale", key: alice.path, genesis: g.genesis, nonce: 10, "--ticket-id", "M-1", "--price", "5000"))
            contractOps.append(try await s.op("list-resale", key: alice.path, genesis: g.genesis, nonce: 11, "--ticket-id", "M-1", "--price", "4900"))
            contractOps.append(try await s.op("buy-resale", key: bob.path, genesis: g.genesis, nonce: 10, "--ticket-id", "M-1", "--price", "4900"))
            var replies: [SubmitReply] = []
            for (i, body) in contractOps.enumerated() {
                replies.append(try decode(SubmitReply.self, try await c.submit(body, first: i % 3 + 1).body))
            }
            #expect(replies.map(\.result) == ["ok", "ok", "ok", "ok", "contract_denied", "ok", "ok"])
            _ = try await c.waitForSameHead()
            let buyHash = replies[6].hash
            var records: [String] = []
            for i in c.nodes { records.append(try await RawHTTP.request("GET", c.api(i), "/v1/records/\(buyHash)").body) }
            #expect(Set(records).count == 1 && records[0].contains(#""royalty":245"#), "every node: the same decision, 5% of 4900\n\(records)")
            // Every node timed each commit of its loop: at least one per block it applied.
            for i in c.nodes {
                let metrics = try await RawHTTP.request("GET", c.api(i), "/metrics").body
                let count = metrics.split(separator: "\n").first { $0.hasPrefix("talon_store_commit_seconds_count ") }
                    .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
                #expect(count >= Double(receipts.compactMap(\.height).max() ?? 1), "n\(i)\n\(metrics)")
            }

            // A forged signature is refused before it reaches Raft.
            let at = try #require(transfer.range(of: "\"signature\":\"")).upperBound
            let forged = transfer.replacingCharacters(in: at..<transfer.index(after: at), with: transfer[at] == "0" ? "1" : "0")
            let bad = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: forged)
            #expect(bad.status == 400 && bad.headers["content-type"] == "application/problem+json", "\(bad)")
            #expect(try decode(ProblemJSON.self, bad.body).code == "bad_signature")
        }
    }

    /// Run twice: as nodes start by default (two entries in flight, the leader sending its
    /// appends before it saves its own copy, so a SIGKILL can land between the two, and
    /// answering as soon as an entry applies, before its commit), and with one entry in flight
    /// and no appends before the save.
    @Test(arguments: [false, true])
    func killingTheLeaderWhileClientsWriteLosesNoAcknowledgedOperation(onePipelineStep: Bool) async throws {
        let options = onePipelineStep ? ["--max-inflight", "1", "--no-appends-before-save"] : []
        try await withCluster { c in
            try c.startAll(arguments: options)
            let leader = try await c.waitForLeader()
            let g = c.chain, s = c.sandbox
            let holder = try await s.newKey("holder")
            let event = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "1000")
            #expect(try decode(SubmitReply.self, try await c.submit(event).body).result == "ok")

            // Three clients, each with its own signed issues, write one after another through
            // rotating nodes, retrying an unanswered envelope on the next node.
            let writers = 3, perWriter = 40
            var signed: [[String]] = []
            for w in 0..<writers {
                var mine: [String] = []
                for k in 0..<perWriter {
                    let n = 2 + w * perWriter + k
                    mine.append(try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: UInt64(n), "--event-id", "EV",
                                               "--count", "1", "--prefix", "W\(w)-\(k)", "--holder", holder.publicKey, "--face-value", "100"))
                }
                signed.append(mine)
            }
            let acknowledged = Shared<[String: UInt64]>([:])
            let killAfter = 30
            let killedAt = Shared<Date?>(nil)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<writers {
                    let envelopes = signed[w]
                    group.addTask {
                        for (k, body) in envelopes.enumerated() {
                            let reply = try await c.submit(body, first: (w + k) % 3 + 1, timeout: 40)
                            try #require(reply.status == 200, "\(reply)")
                            let r = try decode(SubmitReply.self, reply.body)
                            try #require(r.result == "ok", "\(reply)")
                            acknowledged.withLock { $0[r.hash] = r.leaf }
                        }
                    }
                }
                group.addTask {
                    while acknowledged.withLock({ $0.count }) < killAfter { try await Task.sleep(for: .milliseconds(5)) }
                    killedAt.withLock { $0 = Date() }
                    await c.stop(leader, signal: SIGKILL)
                }
                try await group.waitForAll()
            }

            // A new leader among the survivors, within a few seconds of the kill.
            let survivors = c.nodes.filter { $0 != leader }
            _ = try await c.waitForLeader(among: survivors, timeout: 10)
            let elapsed = Date().timeIntervalSince(try #require(killedAt.withLock { $0 }))
            #expect(elapsed < 10, "a new leader took \(elapsed) s")

            // The killed node restarts and catches up; all three report one head.
            try c.start(leader, arguments: options)
            let head = try await c.waitForSameHead(timeout: 30)
            let acked = acknowledged.withLock { $0 }
            #expect(acked.count == writers * perWriter)

            // Every acknowledged envelope is in the ledger exactly once, at the leaf it was
            // acknowledged with, and nothing else is there.
            var seen: [String: Int] = [:]
            var leaves: [String: UInt64] = [:]
            var leaf: UInt64 = 0
            for height in 1...head.height {
                let reply = try await RawHTTP.request("GET", c.api(leader), "/v1/blocks/\(height)")
                try #require(reply.status == 200, "\(reply)")
                for entry in try decode(BlockJSON.self, reply.body).entries {
                    seen[entry.envelope, default: 0] += 1
                    leaves[entry.envelope] = leaf
                    leaf += 1
                }
            }
            #expect(leaf == head.treeSize)
            #expect(seen.values.allSatisfy { $0 == 1 }, "duplicates: \(seen.filter { $0.value > 1 })")
            for (hash, ackedLeaf) in acked {
                #expect(leaves[hash] == ackedLeaf, "envelope \(hash) acknowledged at leaf \(ackedLeaf), found at \(String(describing: leaves[hash]))")
            }
            #expect(seen.count == acked.count + 1, "the event and every issue, nothing more")

            // Restarting every node keeps everything.
            for i in c.nodes {
                let status = await c.stop(i, signal: SIGTERM)
                #expect(status == 0, "n\(i) should exit cleanly on SIGTERM\n\(c.logs())")
            }
            try c.startAll(arguments: options)
            _ = try await c.waitForLeader()
            #expect(try await c.waitForSameHead() == head)
            for hash in acked.keys.prefix(10) {
                let reply = try await RawHTTP.request("GET", c.api(1), "/v1/records/\(hash)")
                #expect(reply.status == 200, "\(reply)")
            }
            let after = try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 10_000, "--event-id", "EV", "--count", "1",
                                       "--prefix", "AFTER", "--holder", holder.publicKey, "--face-value", "100")
            let r = try decode(SubmitReply.self, try await c.submit(after).body)
            #expect(r.result == "ok" && r.leaf == head.treeSize)
        }
    }

    @Test func badInputOnTheAPIAndPeerPortsLeavesEveryNodeServing() async throws {
        try await withCluster { c in
            try c.startAll()
            _ = try await c.waitForLeader()
            let api = c.api(2), peer = c.peer(2)

            func problem(_ reply: RawHTTP.Reply) throws -> ProblemJSON {
                #expect(reply.headers["content-type"] == "application/problem+json", "\(reply)")
                return try decode(ProblemJSON.self, reply.body)
            }
            let cases: [(String, String, String?, Int, String)] = [
                ("POST", "/v1/envelopes", "{not json", 400, "invalid_json"),
                ("POST", "/v1/envelopes", "", 400, "invalid_json"),
                ("POST", "/v1/envelopes", "[]", 400, "invalid_batch"),
                ("POST", "/v1/envelopes", "{\"chain_id\":5}", 400, "invalid_json"),
                ("POST", "/v1/envelopes", "[1,2,3]", 400, "invalid_json"),
                ("GET", "/v1/blocks/minus-one", nil, 400, "invalid_parameter"),
                ("GET", "/v1/blocks/999999", nil, 404, "not_found"),
                ("GET", "/v1/records/zz", nil, 400, "invalid_parameter"),
                ("GET", "/v1/tickets/NOPE", nil, 404, "unknown_ticket"),
                ("GET", "/v1/tickets/NOPE?consistency=sometimes", nil, 400, "invalid_parameter"),
                ("GET", "/v1/tickets/NOPE/history?limit=0", nil, 400, "invalid_parameter"),
                ("GET", "/v1/nothing-here", nil, 404, "not_found"),
            ]
            for (method, path, body, status, code) in cases {
                let reply = try await RawHTTP.request(method, api, path, body: body)
                #expect(reply.status == status, "\(method) \(path): \(reply)")
                #expect(try problem(reply).code == code, "\(method) \(path)")
            }
            // A body over the limit is refused without being read to the end.
            let huge = "[" + String(repeating: " ", count: 17 << 20) + "]"
            let tooLarge = try await RawHTTP.request("POST", api, "/v1/envelopes", body: huge)
            #expect(tooLarge.status == 413, "\(tooLarge)")

            // Bytes no HTTP client sends, then a peer port fed garbage, a frame claiming 4 GiB,
            // a forwarded submission before any handshake, and a truncated frame.
            _ = try? await RawHTTP.exchange(api, Array("GARBAGE \u{0}\u{1}\r\n\r\n".utf8))
            _ = try? await RawHTTP.exchange(api, [UInt8](repeating: 0xFF, count: 70_000))
            var junk = [UInt8](repeating: 0, count: 65_536)
            for i in junk.indices { junk[i] = UInt8(truncatingIfNeeded: i &* 2_654_435_761 >> 7) }
            // Silent and truncated ones too: the node closes whatever has not finished the
            // handshake within 5 s. All at once, each on its own connection.
            let peerCases: [[UInt8]] = [junk, [0xFF, 0xFF, 0xFF, 0xFF, 1, 3], [0, 0, 0, 10, 1, 4, 0, 0, 0, 0, 0, 0, 0, 1],
                                        [0, 0, 1, 0, 1, 3, 7], []]
            try await withThrowingTaskGroup(of: (Int, Int, Double).self) { group in
                for (n, bytes) in peerCases.enumerated() {
                    group.addTask {
                        let started = Date()
                        let answer = try await RawHTTP.exchange(peer, bytes, timeout: 15)
                        return (n, answer.count, Date().timeIntervalSince(started))
                    }
                }
                for try await (n, answered, seconds) in group {
                    #expect(answered <= 512, "peer case \(n): a bad peer gets at most a challenge")
                    #expect(seconds < 10, "peer case \(n): the node should close the connection, not leave it open \(seconds) s")
                }
            }

            // A crowd of silent connections: beyond 64 still in their handshake, the node
            // closes new ones at once (no challenge); the rest close at the 5 s deadline.
            let crowd = 70
            let answers = try await withThrowingTaskGroup(of: (bytes: Int, seconds: Double).self) { group in
                for _ in 0..<crowd {
                    group.addTask {
                        let started = Date()
                        let answer = try await RawHTTP.exchange(peer, [], timeout: 15)
                        return (answer.count, Date().timeIntervalSince(started))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.count == crowd && answers.allSatisfy { $0.seconds < 10 }, "every crowded connection closes")
            #expect(answers.filter { $0.bytes == 0 }.count >= crowd - 64, "connections over the handshake cap are refused")

            // Every node still serves, and the cluster still commits.
            for i in c.nodes {
                let health = try await RawHTTP.request("GET", c.api(i), "/healthz")
                #expect(health.status == 200, "n\(i): \(health)")
            }
            let g = c.chain
            let event = try await c.sandbox.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                               "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let reply = try await c.submit(event, first: 2)
            #expect(try decode(SubmitReply.self, reply.body).result == "ok", "\(reply)")
            let head = try await c.waitForSameHead()
            #expect(head.treeSize == 1)
            for i in c.nodes { #expect(c.isRunning(i), "n\(i) exited\n\(c.logs())") }
        }
    }

    @Test func aSingleNodeClusterCommitsAlone() async throws {
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader(timeout: 10)
            let g = c.chain
            let event = try await c.sandbox.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                               "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let reply = try await c.submit(event)
            #expect(try decode(SubmitReply.self, reply.body).result == "ok", "\(reply)")

            // A client that sends half a request and waits does not keep the node from
            // shutting down: the graceful shutdown is bounded (15 s).
            let api = c.api(1)
            let stalled = Task { try? await RawHTTP.exchange(api, Array("POST /v1/envelopes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".utf8), timeout: 60) }
            try await Task.sleep(for: .milliseconds(300))
            let started = Date()
            #expect(await c.stop(1, signal: SIGTERM, timeout: 25) != nil, "the node must exit despite the stalled client")
            #expect(Date().timeIntervalSince(started) < 20)
            stalled.cancel()
        }
    }

    @Test func aDataDirectoryFromAnotherGenesisIsRefused() async throws {
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader(timeout: 10)
            #expect(await c.stop(1, signal: SIGTERM) == 0)
            let other = try await c.sandbox.genesis("other", chainId: "another-chain")
            let run = try await c.sandbox.talon("node", "run", "--data", c.sandbox.path("data/n1"), "--genesis", other.genesis,
                                                "--node", "n1", "--key", c.sandbox.path("other/keys/n1.key"))
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.contains("error[genesis_mismatch]"), "\(run)")
        }
    }
}

/// A value tasks share, behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

struct ServedAtJSON: Decodable, Sendable {
    let height: UInt64
    let consistency: String
}

struct ServedTicket: Decodable, Sendable {
    let ticket: TicketView
    let servedAt: ServedAtJSON
}

struct ServedRecords: Decodable, Sendable {
    let records: [RecordJSON]
    let servedAt: ServedAtJSON
}
