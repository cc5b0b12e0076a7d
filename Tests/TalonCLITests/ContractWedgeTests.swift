import Foundation
import Testing

/// Issue 16's attacks through a real cluster: a hostile issuer deploys a contract whose top
/// level would once have wedged every node's apply loop (a `__len` of math.maxinteger under
/// `table.insert`), and binds one whose `on_transfer` sorts 2,000 strings of 16,000 NUL bytes,
/// which a holder then triggers. Every node records the same rejection for each, and every
/// node answers `/v1/status` within 1 s throughout.
extension ClusterTests {
    @Test func contractsThatWouldWedgeTheClusterAreRecordedAsRejectedWhileEveryNodeAnswers() async throws {
        try await withCluster { c in
            try c.startAll()
            _ = try await c.waitForLeader()
            let s = c.sandbox, g = c.chain
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
            let wedge = try s.write("wedge.lua", """
                local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})
                table.insert(t, 1, true)
                function on_transfer() return true end
                """)
            let nulSort = try s.write("nul-sort.lua", """
                function on_transfer()
                  local s = string.rep('\\0', 16000) local t = {} for i = 1, 2000 do t[i] = s end
                  table.sort(t)
                  return true
                end
                """)

            // Every node's status, every 200 ms, each with a 1 s timeout: the slowest answer.
            let probing = Task { () -> Double in
                var worst = 0.0
                while !Task.isCancelled {
                    for api in c.apis {
                        let started = Date()
                        let reply = try? await RawHTTP.request("GET", api, "/v1/status", timeout: 1)
                        worst = max(worst, reply?.status == 200 ? Date().timeIntervalSince(started) : 99)
                    }
                    try? await Task.sleep(for: .milliseconds(200))
                }
                return worst
            }

            let ops: [(String, String, UInt64, [String])] = [
                ("create-event", g.issuer, 1, ["--event-id", "EV", "--name", "Show", "--venue", "Hall",
                                               "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"]),
                ("deploy-contract", g.issuer, 2, ["--source", wedge]),
                ("deploy-contract", g.issuer, 3, ["--source", nulSort]),
                ("bind-contract", g.issuer, 4, ["--event-id", "EV", "--source", nulSort]),
                ("issue", g.issuer, 5, ["--event-id", "EV", "--count", "1", "--prefix", "T", "--holder", alice.path, "--face-value", "100"]),
                ("transfer", alice.path, 1, ["--ticket-id", "T-1", "--to", bob.publicKey]),
            ]
            var receipts: [SubmitReply] = []
            for (i, (kind, key, nonce, args)) in ops.enumerated() {
                let body = try await s.op(kind, key: key, genesis: g.genesis, nonce: nonce, args)
                let reply = try await c.submit(body, first: i % c.size + 1)
                try #require(reply.status == 200, "\(kind): \(reply)\n\(c.logs())")
                receipts.append(try decode(SubmitReply.self, reply.body))
            }
            #expect(receipts.map(\.result) == ["ok", "contract_invalid", "ok", "ok", "ok", "contract_budget"])

            _ = try await c.waitForSameHead()
            probing.cancel()
            let worst = await probing.value
            #expect(worst < 1.0, "the slowest /v1/status took \(worst) s")
            for i in c.nodes {
                for receipt in [receipts[1], receipts[5]] {
                    let record = try await RawHTTP.request("GET", c.api(i), "/v1/records/\(receipt.hash)")
                    #expect(record.status == 200 && record.body.contains("\"\(receipt.result ?? "?")\""), "n\(i): \(record)")
                }
            }
        }
    }
}
