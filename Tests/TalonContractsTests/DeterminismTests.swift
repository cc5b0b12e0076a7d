import Testing
import TalonContracts
import TalonProtocol

/// The same contract, context and parameters give the same decision, byte for byte, in any
/// state: fresh or with a long history, on any node.
@Suite struct DeterminismTests {
    static let iterate = """
        local words = { "pear", "apple", "fig", "kiwi", "banana", "cherry", "date", "elder", "grape",
                        "honeydew", "lime", "mango", "nectarine", "orange", "papaya", "quince", "Zebra", "_x" }
        local function table_of_everything()
          local t = {}
          for i, w in ipairs(words) do t[w] = i end
          t[3] = "x"; t[1] = "y"; t[-5] = "z"; t[2.5] = "w"; t[true] = 1; t[false] = 0; t[math.maxinteger] = 1
          return t
        end
        function on_buy(ctx, params)
          local keys = {}
          for k in pairs(table_of_everything()) do keys[#keys + 1] = tostring(k) end
          return false, table.concat(keys, ",")
        end
        function on_list(ctx, params)
          local t, keys = table_of_everything(), {}
          local k = next(t)
          while k ~= nil do keys[#keys + 1] = tostring(k); k = next(t, k) end
          return false, table.concat(keys, ",")
        end
        function on_transfer(ctx, params)
          local keys = {}
          for k, v in pairs(ctx.ticket) do keys[#keys + 1] = k .. "=" .. tostring(v) end
          return false, table.concat(keys, ",")
        end
        """
    static let expectedOrder = "-5,1,2.5,3,9223372036854775807,false,true,Zebra,_x,apple,banana,cherry,date,elder,fig,"
        + "grape,honeydew,kiwi,lime,mango,nectarine,orange,papaya,pear,quince"

    /// Lua 5.4 seeds string hashing per state, so raw `pairs` order differs between states (and
    /// between nodes). Many states alive at once (different seeds) all iterate in one order.
    @Test func pairsAndNextVisitKeysInOneOrder() throws {
        let states = try (0..<40).map { _ in try contract(Self.iterate) }
        for c in states {
            #expect(try c.evaluate(hook: .onBuy, context: resale(price: 1)).reason == Self.expectedOrder)
            #expect(try c.evaluate(hook: .onList, context: resale(price: 1)).reason == Self.expectedOrder)
            #expect(try c.evaluate(hook: .onTransfer, context: resale(price: 1)).reason
                    == "face_value=5000,id=T-1,paid=5000,resales=0,section=A,transfers=0")
        }
    }

    @Test func tablesAsKeysCannotBeIterated() throws {
        let c = try contract("function on_buy() local t = { [{}] = 1 } for k in pairs(t) do end end")
        let e = failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 1)) }
        #expect(e == ContractFailure(.contractError))
        #expect(e?.message.contains("order would differ between nodes") == true)
    }

    @Test func nothingCarriesOverBetweenCalls() throws {
        let c = try contract("""
            counter = 0
            local calls = 0
            local seen = {}
            local config = { limit = 1 }
            function on_buy(ctx)
              calls = calls + 1
              seen[#seen + 1] = ctx.operation.price
              config.limit = config.limit + 1
              return calls == 1 and #seen == 1 and config.limit == 2, tostring(calls) .. "/" .. counter
            end
            function on_list() counter = counter + 1 return true end
            function on_transfer() string.rep = nil end
            """)
        for _ in 0..<3 {
            let d = try c.evaluate(hook: .onBuy, context: resale(price: 1))
            #expect(d.allowed && d.reason == "1/0")
            #expect(throws: ContractFailure(.contractError)) { try c.evaluate(hook: .onList, context: resale(price: 1)) }
            #expect(throws: ContractFailure(.contractError)) { try c.evaluate(hook: .onTransfer, context: resale(price: 1)) }
        }
    }

    /// A deterministic sequence of varied contexts (seeded; the seed is fixed).
    static func contexts(_ count: Int, seed: UInt64 = 0x7A10) -> [ContractContext] {
        var state = seed
        func next(_ bound: Int64) -> Int64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int64((state >> 33) % UInt64(bound))
        }
        return (0..<count).map { _ in
            var ctx = resale(price: next(8000), fees: next(500), face: 1000 + next(6000))
            ctx.ticket.paid = next(7000)
            ctx.ticket.transfers = next(3)
            ctx.buyer.eventAcquisitions = next(6)
            ctx.now = ctx.event.startsAt - next(100) * 3_600_000
            ctx.event.cancelled = next(10) == 0
            return ctx
        }
    }

    static let parameters: [String: [String: ContractValue]] = [
        "markup-cap-royalty": ["max_price_pct": 110, "royalty_pct": 7],
        "transfer-limit": ["max_transfers": 2, "max_per_buyer": 4],
        "refund-window": ["full_refund_hours": 48, "partial_pct": 33],
    ]

    /// Decision bytes, or the error's code, message, line and instructions.
    static func outcome(_ c: LoadedContract, _ hook: Hook, _ ctx: ContractContext, _ params: [String: ContractValue]) -> [UInt8] {
        do { return try c.evaluate(hook: hook, context: ctx, parameters: params).canonicalBytes } catch {
            return Array("\(error.code)|\(error.message)|\(error.line ?? 0)|\(error.instructions)".utf8)
        }
    }

    @Test func freshAndWellUsedStatesAgreeByteForByte() throws {
        let cases = Self.contexts(200)
        for name in shippedNames {
            let source = try shipped(name)
            let params = Self.parameters[name] ?? [:]
            let used = try LoadedContract(source: source)
            for ctx in Self.contexts(300, seed: 99) {      // history the fresh engines do not have
                for hook in Hook.allCases where hook != .onRebind { _ = Self.outcome(used, hook, ctx, params) }
            }
            let engineA = ContractEngine(), engineB = ContractEngine()
            try engineA.load(id: name, source: source)
            for ctx in cases {
                for hook in Hook.allCases where hook != .onRebind {
                    let fresh = try LoadedContract(source: source)
                    let a = Self.outcome(fresh, hook, ctx, params)
                    #expect(a == Self.outcome(used, hook, ctx, params), "\(name) \(hook)")
                    #expect(a == Self.outcome(try #require(engineA.contract(id: name)), hook, ctx, params))
                    #expect(a == Self.outcome(try engineB.load(id: name, source: source), hook, ctx, params))
                }
            }
        }
    }

    /// Near the memory cap a reused state's internal tables (string-table buckets, call frames)
    /// could tip the balance; such evaluations are answered from a fresh state instead.
    @Test func memoryCapBoundaryDoesNotDependOnHistory() throws {
        let source = """
            function on_buy(ctx, params)
              local s = string.rep("x", 1000)
              local t = {}
              for i = 1, params.n do t[i] = s .. i end
              return true
            end
            function on_list(ctx, params)      -- leaves big internal tables behind
              local t = {}
              for i = 1, 20000 do t["key" .. i] = i end
              local function deep(n) if n == 0 then return 0 end return 1 + deep(n - 1) end
              return deep(5000) > 0
            end
            """
        let limits = ContractLimits(instructions: 10_000_000)
        let fresh = { try LoadedContract(source: source, limits: limits) }
        func allowed(_ c: LoadedContract, _ n: Int64) -> Bool {
            (try? c.evaluate(hook: .onBuy, context: resale(price: 1), parameters: ["n": .int(n)]).allowed) == true
        }
        // Find the largest n a fresh state allows.
        var low: Int64 = 1, high: Int64 = 10_000
        while low + 1 < high {
            let mid = (low + high) / 2
            if allowed(try fresh(), mid) { low = mid } else { high = mid }
        }
        #expect(low > 3000 && low < 4100)
        let used = try fresh()
        for _ in 0..<3 { _ = try used.evaluate(hook: .onList, context: resale(price: 1)) }
        for n in (low - 3)...(low + 3) {
            #expect(allowed(used, n) == (n <= low), "n = \(n)")
            _ = try used.evaluate(hook: .onList, context: resale(price: 1))
        }
    }
}
