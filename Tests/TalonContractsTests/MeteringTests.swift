import Foundation
import Testing
import TalonContracts
import TalonProtocol

/// The attacks of issue 16 on the sandbox's metering: each ends within its budget and well
/// within a wall-clock ceiling, the same way every time.
@Suite struct MeteringTests {
    let clock = ContinuousClock()

    /// Runs `body` as on_buy and returns the error (or nil) and how long it took.
    func run(_ body: String, limits: ContractLimits = .standard) throws -> (ContractFailure?, Duration) {
        let c = try contract("function on_buy(ctx, params)\n\(body)\nend\n", limits: limits)
        var error: ContractFailure?
        let elapsed = clock.measure {
            error = failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 100)) }
        }
        return (error, elapsed)
    }

    static let hugeLen = "local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})\n"

    @Test(arguments: ["table.insert(t, 1, true)", "table.insert(t, true)", "table.remove(t, 1)", "table.remove(t)",
                      "table.concat(t)", "table.unpack(t)", "table.sort(t)", "table.move(t, 1, 3, 2)",
                      "table.move({1, 2}, 1, 2, 1, t)"])
    func lengthThroughMetamethodIsRefusedInAHook(_ call: String) throws {
        let (error, elapsed) = try run(Self.hugeLen + call)
        #expect(error == ContractFailure(.contractError), "\(call): \(error.map { "\($0)" } ?? "allowed")")
        #expect(error?.message.contains("refuses tables with a metatable") == true, "\(error?.message ?? "")")
        #expect(elapsed < .seconds(1))
    }

    @Test func lengthThroughMetamethodAtTheTopLevelIsAnInvalidContract() throws {
        let source = Self.hugeLen + "table.insert(t, 1, true)\nfunction on_buy() return true end\n"
        var error: ContractFailure?
        let elapsed = clock.measure { error = loadFailure(source) }
        #expect(error == ContractFailure(.contractInvalid))
        #expect(error?.line == 2)
        #expect(elapsed < .seconds(1))
    }

    @Test func indexMetamethodsAreRefusedByTheTableLibraryToo() throws {
        let (error, _) = try run("local t = setmetatable({}, {__index = function() return 1 end}) return table.concat(t, ',', 1, 3)")
        #expect(error == ContractFailure(.contractError))
        // Read-only proxies (the context) still work: their length and reads are raw.
        let (ok, _) = try run("return table.concat({ctx.ticket.id, ctx.event.id}, ',') == 'T-1,E-1' and #ctx.ticket == 0")
        #expect(ok == nil)
    }

    /// The issue's sort: 2,000 copies of a string of 16,000 NUL bytes took 14 s for 98,040
    /// instructions. Every comparison is now charged by the pieces and bytes it compares.
    @Test func sortingNulStringsIsCharged() throws {
        let (error, elapsed) = try run("local s = string.rep('\\0', 16000) local t = {} for i = 1, 2000 do t[i] = s end table.sort(t)")
        #expect(error == ContractFailure(.contractBudget))
        #expect(elapsed < .milliseconds(500), "\(elapsed)")
        let (custom, customElapsed) = try run("""
            local s = string.rep('\\0', 16000) local t = {} for i = 1, 2000 do t[i] = s end
            table.sort(t, function(a, b) return a < b end)
            """)
        #expect(custom == ContractFailure(.contractBudget))
        #expect(customElapsed < .milliseconds(500), "\(customElapsed)")
    }

    @Test func comparingNulStringsInTheVMIsCharged() throws {
        for op in ["<", "<=", ">", ">="] {
            let (error, elapsed) = try run("local a = string.rep('\\0', 16000) local b = a .. '' while true do local _ = a \(op) b end")
            #expect(error == ContractFailure(.contractBudget))
            #expect(error?.message == "instruction budget of 100000 exceeded")
            #expect(elapsed < .milliseconds(500), "\(op): \(elapsed)")
        }
    }

    @Test func stringOrderIsByteWise() throws {
        let (error, _) = try run("""
            assert('a\\0b' < 'a\\0c' and 'a' < 'a\\0' and not ('b' < 'a') and 'Z' < 'a' and '\\xff' > 'z')
            assert('abc' <= 'abc' and 'ab' < 'abc' and '' < '\\0')
            local t = {'b', 'B', 'a\\0z', 'a', '\\xe9', 'A'}
            table.sort(t)
            assert(table.concat(t, ',') == 'A,B,a,a\\0z,b,\\xe9', table.concat(t, ','))
            return true
            """)
        #expect(error == nil, "\(error.map { "\($0)" } ?? "")")
    }

    @Test func sortIsStableAndCountsItsComparisons() throws {
        let source = """
            function on_buy()
              local t = {}
              for i = 1, 200 do t[i] = {k = i % 3, i = i} end
              local calls = 0
              table.sort(t, function(a, b) calls = calls + 1 return a.k < b.k end)
              for i = 2, #t do
                local a, b = t[i - 1], t[i]
                assert(a.k < b.k or (a.k == b.k and a.i < b.i), 'not stable at ' .. i)
              end
              assert(calls <= 200 * 8, calls)
              -- An inconsistent comparator cannot make it loop or fail.
              table.sort(t, function() return true end)
              return true
            end
            """
        let c = try contract(source)
        let first = try c.evaluate(hook: .onBuy, context: resale(price: 100))
        // A second engine charges the same, to the instruction.
        let second = try LoadedContract(source: source).evaluate(hook: .onBuy, context: resale(price: 100))
        #expect(first.allowed && first.instructions == second.instructions)
        #expect(failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 100)) } == nil)
    }

    @Test func sortErrorsAreLuaErrors() throws {
        #expect(try run("table.sort({1, 'x', 2})").0 == ContractFailure(.contractError))
        #expect(try run("table.sort({3, 2, 1}, 5)").0 == ContractFailure(.contractError))
        #expect(try run("local t = {3, 1, 2} table.sort(t) assert(t[1] == 1 and t[3] == 3) return true").0 == nil)
    }

    @Test(arguments: [
        "local s = string.rep('x', 16000) while true do local _ = s:upper() end",
        "local s = string.rep('x', 16000) while true do local _ = s:reverse() end",
        "local s = string.rep('x', 16000) while true do local _ = s:sub(2) end",
        "local s = string.rep('x', 16000) while true do local _ = string.format('%s', s) end",
        "local s = string.rep('7', 16000) while true do local _ = tonumber(s) end",
        "local s = string.rep('x', 16000) while true do local _ = tostring(s) end",
        "local s = string.rep('x', 16000) while true do local _ = utf8.len(s) end",
        "local s = string.rep('x', 8000) while true do local _ = s:find(s, 1, true) end",
        "local s = string.rep('x', 160) while true do local _ = string.rep(s, 100) end",
        "local t = {} for i = 1, 1000 do t[i] = 'xxxxxxxxxxxxxxxx' end while true do local _ = table.concat(t) end",
        "while true do local _ = string.char(65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79) end",
    ])
    func libraryWorkIsChargedByBytes(_ body: String) throws {
        let (error, elapsed) = try run(body)
        #expect(error == ContractFailure(.contractBudget), "\(body): \(error.map { "\($0)" } ?? "allowed")")
        #expect(elapsed < .milliseconds(500), "\(body): \(elapsed)")
    }

    /// The byte budget stops work even where no instruction is charged: here a big
    /// instruction budget lets comparisons run until the bytes they touch run out.
    @Test func byteBudgetIsAnIndependentBound() throws {
        let limits = ContractLimits(instructions: 1 << 40, touchBytes: 1 << 20)
        let (error, _) = try run("local a = string.rep('x', 16000) local b = a .. '' while true do local _ = a < b end",
                                 limits: limits)
        #expect(error == ContractFailure(.contractBudget))
        #expect(error?.message == "byte budget of 1048576 exceeded (bytes allocated and compared)")
        let (allocating, _) = try run("local t = {} for i = 1, 1e9 do t[i % 8 + 1] = {i} end", limits: limits)
        #expect(allocating == ContractFailure(.contractBudget))
        #expect(allocating?.message.hasPrefix("byte budget") == true || allocating?.message.hasPrefix("memory cap") == true)
    }
}

/// Metatables: chains that Lua follows inside one instruction are refused; one link works.
@Suite struct MetatableTests {
    func evaluate(_ body: String) throws -> ContractFailure? {
        let c = try contract("function on_buy(ctx, params)\n\(body)\nend\n")
        return failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 100)) }
    }

    @Test func indexChainsAreRefused() throws {
        let clock = ContinuousClock()
        var error: ContractFailure?
        let elapsed = try clock.measure {
            error = try evaluate("""
                local base = {}
                for i = 1, 1990 do base = setmetatable({}, {__index = base}) end
                while true do local _ = base.missing end
                """)
        }
        #expect(error == ContractFailure(.contractError))
        #expect(error?.message.contains("cannot be an __index") == true, "\(error?.message ?? "")")
        #expect(elapsed < .milliseconds(500))
        // Built top-down: the target cannot get a metatable afterwards.
        #expect(try evaluate("local b = {} local a = setmetatable({}, {__index = b}) setmetatable(b, {__index = {}})")?
            .message.contains("cannot get a metatable") == true)
        // Changing the metatable after setting it has no effect: it was copied.
        #expect(try evaluate("""
            local mt = {}
            local a = setmetatable({}, mt)
            mt.__index = function() return 1 end
            assert(a.x == nil and getmetatable(a) == mt)
            return true
            """) == nil)
        #expect(try evaluate("setmetatable({}, {__call = setmetatable({}, {__call = function() end})})") == ContractFailure(.contractError))
        #expect(try evaluate("setmetatable({}, {__newindex = setmetatable({}, {__newindex = {}})})") == ContractFailure(.contractError))
    }

    @Test func oneLinkAndReplacingWork() throws {
        #expect(try evaluate("""
            local Class = {}
            Class.__index = Class
            function Class.price(self) return self.p end
            local o = setmetatable({p = 5}, Class)
            assert(o:price() == 5 and getmetatable(o) == Class)
            setmetatable(o, nil)
            assert(getmetatable(o) == nil and o.price == nil)
            setmetatable(o, {__index = ctx.ticket})
            assert(o.id == 'T-1')
            local p = setmetatable({}, {__metatable = 'locked'})
            assert(getmetatable(p) == 'locked' and not pcall(setmetatable, p, {}))
            local q = setmetatable({}, {__index = function(t, k) return k .. '!' end, __len = function() return 3 end})
            assert(q.a == 'a!' and #q == 3)
            return true
            """) == nil)
    }
}
