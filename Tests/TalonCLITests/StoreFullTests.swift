import Foundation
import TalonChaos
import TalonTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A full disk, made without root by a file-size limit (`RLIMIT_FSIZE`): a write that would
/// put bytes past it fails with EFBIG, as one on a full disk fails with ENOSPC. The limit is
/// 8 KiB, LMDB's two meta pages, so every commit's first data page is refused.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct StoreFullTests {
    static let limit = 8192

    /// The store: a commit that finds no space fails as `store_full` and stores nothing;
    /// the store is intact, and the same append succeeds once the limit is gone.
    @Test func anAppendThatFindsNoSpaceStoresNothingAndTheStoreStaysWhole() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let store = s.path("store")
            let first = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV1", "--name", "Show",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let append1 = try await s.talon("ledger", "append", "--store", store, "--genesis", g.genesis, try s.writeLines("one.jsonl", [first]))
            try #require(append1.status == 0, "\(append1)")
            let before = try await s.head(store).head

            let second = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV2", "--name", "Show",
                                        "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let file = try s.writeLines("two.jsonl", [second])
            let full = try Self.run("/usr/bin/prlimit", ["--fsize=\(Self.limit)", TalonBinary.path, "ledger", "append", "--store", store, file])
            #expect(full.status == 1, "\(full)")
            #expect(full.stderr.contains("error[store_full]"), "\(full)")
            #expect(try await s.head(store).head == before, "nothing of the failed append is stored")

            let append2 = try await s.talon("ledger", "append", "--store", store, file)
            #expect(append2.status == 0, "\(append2)")
            #expect(try await s.head(store).head.treeSize == 2)
            let verify = try await s.verify(store)
            #expect(verify.report.ok, "\(verify.run)")
        }
    }

    /// A node whose disk fills refuses writes with 507 `store_full`, keeps serving reads and
    /// saying so in its status, does not exit, and applies again once space returns: nothing
    /// acknowledged is lost and the store verifies.
    @Test func aNodeOutOfSpaceRefusesWritesServesReadsAndRecovers() async throws {
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader(timeout: 10)
            let g = c.chain
            func event(_ id: String, nonce: UInt64) async throws -> String {
                try await c.sandbox.op("create-event", key: g.issuer, genesis: g.genesis, nonce: nonce, "--event-id", id, "--name", "Show",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            }
            let first = try await c.submit(try await event("EV1", nonce: 1))
            #expect(try decode(SubmitReply.self, first.body).result == "ok", "\(first)")

            let pid = try #require(c.pid(1))
            try #require(FileSizeLimit.set(pid, to: Self.limit), "prlimit on the node")
            let second = try await event("EV2", nonce: 2)
            let refused = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: second, timeout: 12)
            #expect(refused.status == 507, "\(refused)")
            #expect(try decode(ProblemJSON.self, refused.body).code == "store_full", "\(refused)")

            // Still refusing after a few reopen attempts, still alive, still reading.
            try await Task.sleep(for: .seconds(2))
            let again = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: second, timeout: 12)
            #expect(again.status == 507, "\(again)")
            #expect(await c.status(1)?.storeFull == true)
            let read = try await RawHTTP.request("GET", c.api(1), "/v1/events/EV1", timeout: 5)
            #expect(read.status == 200, "\(read)")
            // Out of the balancer while full.
            let unhealthy = try await RawHTTP.request("GET", c.api(1), "/healthz", timeout: 5)
            #expect(unhealthy.status == 507, "\(unhealthy)")
            #expect(try decode(ProblemJSON.self, unhealthy.body).code == "store_full", "\(unhealthy)")
            #expect(c.isRunning(1), "the node must not exit\n\(c.logs())")

            // Space returns: the same envelope is applied, within the longest backoff and an election.
            try #require(FileSizeLimit.set(pid, to: nil))
            let deadline = Date().addingTimeInterval(30)
            var applied: RawHTTP.Reply?
            while Date() < deadline {
                let reply = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: second, timeout: 12)
                if reply.status == 200 { applied = reply; break }
                #expect([503, 507].contains(reply.status), "\(reply)")
                try await Task.sleep(for: .milliseconds(250))
            }
            let reply = try #require(applied, "no write succeeded within 30 s of space returning\n\(c.logs())")
            #expect(try decode(SubmitReply.self, reply.body).result == "ok", "\(reply)")
            #expect(await c.status(1)?.storeFull == false)
            let healthy = try await RawHTTP.request("GET", c.api(1), "/healthz", timeout: 5)
            #expect(healthy.status == 200, "\(healthy)")

            #expect(await c.stop(1, signal: SIGTERM) == 0)
            let store = c.sandbox.path("data/n1")
            #expect(try await c.sandbox.head(store).head.treeSize == 2, "both events, each once")
            let verify = try await c.sandbox.verify(store)
            #expect(verify.report.ok, "\(verify.run)")
        }
    }

    /// Runs `executable` and waits (bounded by its own work: an append of one envelope).
    static func run(_ executable: String, _ arguments: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile(), stderr = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(arguments: arguments, status: p.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }
}
