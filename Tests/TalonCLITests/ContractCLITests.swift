import Foundation
import Testing

/// `talon contract test` on the shipped contracts and examples, and determinism across
/// processes (each process seeds Lua's string hashing differently).
@Suite struct ContractCLITests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func path(_ relative: String) -> String { Self.root.appendingPathComponent(relative).path }

    @Test func examplesDecide() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let examples = "genesis/contracts/examples"
        var run = try await box.talon("contract", "test", path("genesis/contracts/markup-cap-royalty.lua"), "--hook", "on_buy",
                                      "--context", path("\(examples)/resale-at-face.json"),
                                      "--params", path("\(examples)/markup-params.json"), "--json")
        #expect(run.status == 0, "\(run)")
        #expect(run.lines == [#"{"allowed":true,"hook_defined":true,"instructions":77,"reason":"","refund":0,"royalty":237}"#])
        run = try await box.talon("contract", "test", path("genesis/contracts/refund-window.lua"), "--hook", "on_refund",
                                  "--context", path("\(examples)/refund-late.json"),
                                  "--params", path("\(examples)/refund-params.json"))
        #expect(run.status == 0, "\(run)")
        #expect(run.lines.contains("refund: 2501"))
        run = try await box.talon("contract", "test", path("genesis/contracts/refund-window.lua"), "--hook", "on_rebind",
                                  "--context", path("\(examples)/refund-late.json"),
                                  "--previous", path("\(examples)/refund-params.json"),
                                  "--params", path("\(examples)/refund-params-tighter.json"))
        #expect(run.status == 0 && run.lines.first == "deny", "\(run)")
    }

    @Test func errorsCarryCodeAndLine() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let file = try box.write("bad.lua", "function on_buy(ctx)\n  local x = nil\n  return x.y\nend\n")
        let ctx = try box.write("ctx.json", "{}")
        var run = try await box.talon("contract", "test", file, "--hook", "on_buy", "--context", ctx, "--json")
        #expect(run.status == 1)
        #expect(run.lines == [#"{"error":{"code":"contract_error","instructions":5,"line":3,"message":"attempt to index a nil value (local 'x')"}}"#])
        run = try await box.talon("contract", "test", file, "--hook", "on_buy", "--context", ctx)
        #expect(run.status == 1 && run.stderr.hasPrefix("error[contract_error]: line 3: "), "\(run)")
        let loop = try box.write("loop.lua", "function on_buy() while true do end end")
        run = try await box.talon("contract", "test", loop, "--hook", "on_buy", "--context", ctx)
        #expect(run.status == 1 && run.stderr.hasPrefix("error[contract_budget]: line 1: instruction budget"), "\(run)")
    }

    /// Raw `pairs` order differs between processes; the sandbox's does not.
    @Test func pairsOrderIsTheSameInEveryProcess() async throws {
        let box = try Sandbox()
        defer { box.remove() }
        let words = (1...30).map { "k\($0 * 7919 % 1000)" }
        let script = """
            function on_buy()
              local t = {}
              for _, w in ipairs({ \(words.map { "\"\($0)\"" }.joined(separator: ", ")) }) do t[w] = true end
              local keys = {}
              for k in pairs(t) do keys[#keys + 1] = k end
              return false, table.concat(keys, " ")
            end
            """
        let file = try box.write("order.lua", script)
        let ctx = try box.write("ctx.json", "{}")
        var outputs = Set<String>()
        for _ in 0..<5 {
            let run = try await box.talon("contract", "test", file, "--hook", "on_buy", "--context", ctx, "--json")
            #expect(run.status == 0, "\(run)")
            outputs.insert(run.stdout)
        }
        #expect(outputs.count == 1)
        let sorted = Set(words).sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) })
        #expect(outputs.first?.contains(#""reason":"\#(sorted.joined(separator: " "))""#) == true)
    }

    /// `op deploy-contract` and `op bind-contract` sign what the ledger then enforces:
    /// transfer-limit refuses a second change of hands, and `ticket history` shows why.
    @Test func deployAndBindThroughTheCommandLine() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob"), carol = try await s.newKey("carol")
            let source = path("genesis/contracts/transfer-limit.lua")
            let params = try s.write("limits.json", #"{"max_transfers": 1}"#)
            var ops: [String] = []
            ops.append(try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                      "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"))
            ops.append(try await s.op("deploy-contract", key: g.issuer, genesis: g.genesis, nonce: 2, "--source", source))
            ops.append(try await s.op("bind-contract", key: g.issuer, genesis: g.genesis, nonce: 3, "--event-id", "EV",
                                      "--source", source, "--params", params))
            ops.append(try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 4, "--event-id", "EV", "--count", "1",
                                      "--prefix", "T", "--holder", alice.path, "--face-value", "4500"))
            ops.append(try await s.op("transfer", key: alice.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--to", bob.publicKey))
            ops.append(try await s.op("transfer", key: bob.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--to", carol.publicKey))
            let store = s.path("store")
            let append = try await s.talon("ledger", "append", "--store", store, "--genesis", g.genesis, try s.writeLines("ops.jsonl", ops))
            let results = try append.lines.map { try decode(AppendLine.self, $0, context: append).result }
            #expect(results == ["ok", "ok", "ok", "ok", "ok", "contract_denied"], "\(append)")
            let history = try await s.talon("ticket", "history", "--store", store, "T-1")
            #expect(history.status == 0 && history.stdout.contains("has changed hands 1 times; the limit is 1"), "\(history)")

            let bad = try await s.talon("op", "bind-contract", "--key", g.issuer, "--genesis", g.genesis, "--event-id", "EV",
                                        "--contract", "nothex", "--params", params)
            #expect(bad.status == 1 && bad.stderr.contains("error[invalid_option]"), "\(bad)")
        }
    }

    /// The resale and refund commands sign what the ledger then decides under face-value-cap.
    @Test func resaleAndRefundThroughTheCommandLine() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
            let source = path("genesis/contracts/face-value-cap.lua")
            var ops: [String] = []
            ops.append(try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                      "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"))
            ops.append(try await s.op("deploy-contract", key: g.issuer, genesis: g.genesis, nonce: 2, "--source", source))
            ops.append(try await s.op("bind-contract", key: g.issuer, genesis: g.genesis, nonce: 3, "--event-id", "EV", "--source", source))
            ops.append(try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 4, "--event-id", "EV", "--count", "2",
                                      "--prefix", "T", "--holder", alice.path, "--face-value", "4500"))
            ops.append(try await s.op("list-resale", key: alice.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1",
                                      "--price", "4400", "--fees", "200"))
            ops.append(try await s.op("list-resale", key: alice.path, genesis: g.genesis, nonce: 2, "--ticket-id", "T-1",
                                      "--price", "4400", "--fees", "100"))
            ops.append(try await s.op("buy-resale", key: bob.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--price", "4400", "--fees", "100"))
            ops.append(try await s.op("list-resale", key: alice.path, genesis: g.genesis, nonce: 3, "--ticket-id", "T-2", "--price", "100"))
            ops.append(try await s.op("cancel-listing", key: alice.path, genesis: g.genesis, nonce: 4, "--ticket-id", "T-2"))
            ops.append(try await s.op("cancel-event", key: g.issuer, genesis: g.genesis, nonce: 5, "--event-id", "EV", "--reason", "storm"))
            ops.append(try await s.op("request-refund", key: bob.path, genesis: g.genesis, nonce: 2, "--ticket-id", "T-1"))
            let store = s.path("store")
            let append = try await s.talon("ledger", "append", "--store", store, "--genesis", g.genesis, try s.writeLines("ops.jsonl", ops))
            let results = try append.lines.map { try decode(AppendLine.self, $0, context: append).result }
            #expect(results == ["ok", "ok", "ok", "ok", "contract_denied", "ok", "ok", "ok", "ok", "ok", "ok"], "\(append)")
            let show = try await s.talon("ticket", "show", "--store", store, "T-1")
            #expect(show.status == 0, "\(show)")
            let ticket = try decode(TicketView.self, show.stdout, context: show)
            #expect(ticket.holder == bob.publicKey && ticket.status == "refunded" && ticket.refund == 4500 && ticket.paid == 4500)
        }
    }
}
