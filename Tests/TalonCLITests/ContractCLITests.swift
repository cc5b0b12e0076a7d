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
}
