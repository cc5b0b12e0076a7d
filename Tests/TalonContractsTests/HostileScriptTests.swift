import Testing
import TalonContracts
import TalonProtocol

/// Hostile scripts: each is rejected the same way every time, and the contract (its Lua
/// state) still answers correctly afterwards.
@Suite struct HostileScriptTests {
    /// Runs `body` as on_buy twice (same answer both times), then checks that on_list
    /// (`return true`) in the same state still works.
    func rejected(_ body: String, _ code: ContractFailure, limits: ContractLimits = .standard,
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> ContractFailure? {
        let c = try contract("function on_buy(ctx, params)\n\(body)\nend\nfunction on_list() return true end\n", limits: limits)
        let first = failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 100)) }
        let second = failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 100)) }
        #expect(first == code, "\(first.map { "\($0)" } ?? "no error")", sourceLocation: sourceLocation)
        #expect(first?.message == second?.message && first?.line == second?.line
                && first?.instructions == second?.instructions, sourceLocation: sourceLocation)
        #expect(try c.evaluate(hook: .onList, context: resale(price: 100)).allowed, sourceLocation: sourceLocation)
        return first
    }

    @Test func endlessLoops() throws {
        let e = try rejected("while true do end", ContractFailure(.contractBudget))
        #expect(e?.line == 2)
        #expect(e?.instructions == ContractLimits.standard.instructions + 1)
        _ = try rejected("local i = 0 repeat i = i + 1 until false", ContractFailure(.contractBudget))
        _ = try rejected("local function f() return f() end return f()", ContractFailure(.contractBudget))   // tail calls
        // Catching the budget error does not help: pcall re-raises it.
        _ = try rejected("while true do pcall(function() while true do end end) end", ContractFailure(.contractBudget))
        _ = try rejected("for i = 1, 10 do xpcall(function() while true do end end, function(e) return e end) end return true", ContractFailure(.contractBudget))
    }

    @Test func deepRecursion() throws {
        _ = try rejected("local function f(n) return 1 + f(n + 1) end return f(1)", ContractFailure(.contractBudget))
        // With a big instruction budget the stack hits the memory cap first.
        let big = ContractLimits(instructions: 50_000_000)
        _ = try rejected("local function f(n) return 1 + f(n + 1) end return f(1)", ContractFailure(.contractBudget), limits: big)
        // Nested pcalls hit Lua's C-stack limit: an ordinary, catchable error.
        _ = try rejected("local function f() return pcall(f) end f() error('done')", ContractFailure(.contractError))
    }

    @Test func hugeStringsAndTables() throws {
        var e = try rejected("return string.rep('x', 1e9)", ContractFailure(.contractBudget))       // charged per repetition
        #expect(e?.message == "instruction budget of 100000 exceeded")
        e = try rejected("return string.rep('0123456789', 2000)", ContractFailure(.contractBudget))  // 20,000 bytes > 16 KiB
        #expect(e?.message == "a string longer than 16384 bytes")
        _ = try rejected("local s = 'x' for i = 1, 40 do s = s .. s end", ContractFailure(.contractBudget))
        _ = try rejected("return string.rep('', 1 << 60)", ContractFailure(.contractBudget))
        e = try rejected("local s = string.rep('x', 16000) local t = {} for i = 1, 1000 do t[i] = s .. i end", ContractFailure(.contractBudget))
        #expect(e?.message == "memory cap of 4194304 bytes exceeded")
        _ = try rejected("local t = {} for i = 1, 1e9 do t[i] = i end", ContractFailure(.contractBudget))
        // Catching a memory error does not help either.
        _ = try rejected("local s = string.rep('x', 16000) local t = {} for i = 1, 1000 do pcall(function() t[i] = s .. i end) end return true",
                         ContractFailure(.contractBudget))
    }

    @Test func libraryLoopsAreCharged() throws {
        _ = try rejected("local t = {} for i = 1, 5000 do t[i] = i end while true do table.insert(t, 1, 0) table.remove(t, 1) end",
                         ContractFailure(.contractBudget))
        _ = try rejected("table.move({}, 1, 1 << 62, 2)", ContractFailure(.contractBudget))
        _ = try rejected("local t = {} for i = 1, 5000 do t[i] = -i end while true do table.sort(t) end", ContractFailure(.contractBudget))
        _ = try rejected("local s = string.rep('x', 16000) while true do string.byte(s, 1, -1) end", ContractFailure(.contractBudget))
        _ = try rejected("return table.unpack({}, 1, 1e8)", ContractFailure(.contractBudget))
        _ = try rejected("local t = {} for i = 1, 3000 do t['k' .. i] = i end while true do for k in pairs(t) do end end",
                         ContractFailure(.contractBudget))
        _ = try rejected("local t = {} for i = 1, 3000 do t['k' .. i] = i end while true do next(t) end", ContractFailure(.contractBudget))
        _ = try rejected("local s = string.rep('ab', 8000) while true do s:find('b', 1, true) end", ContractFailure(.contractBudget))
    }

    @Test func longStringComparisonsStayBounded() throws {
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            _ = try rejected("local a = string.rep('x', 16000) local b = string.rep('x', 15999) .. 'x' while a == b do end",
                             ContractFailure(.contractBudget))
        }
        #expect(elapsed < .seconds(5))
    }

    @Test func noWayOut() throws {
        for body in ["io.write('x')", "os.exit(1)", "os.time()", "require('os')", "load('return 1')()",
                     "loadstring('return 1')()", "dofile('/etc/passwd')", "loadfile('/etc/passwd')()",
                     "debug.getinfo(1)", "string.dump(on_buy)", "collectgarbage()", "print('x')",
                     "coroutine.wrap(function() end)()", "rawset(_ENV, 'x', 1)", "package.loaded.os.exit()",
                     "math.random()", "math.randomseed(1)", "math.sin(1)", "string.find('abc', 'b.')",
                     "string.gsub('abc', 'b', 'c')", "string.match('abc', 'b')", "string.gmatch('abc', 'b')",
                     "string.pack('i4', 1)", "warn('x')", "_G.os.exit()", "getmetatable('').__index.upper = nil",
                     "setmetatable({}, {__gc = function() end})", "string.format('%p', {})",
                     "string.format('%s', {})", "setmetatable(ctx, nil)", "setmetatable(string, {})"] {
            _ = try rejected(body, ContractFailure(.contractError))
        }
    }

    @Test func errorObjectsOfEveryKind() throws {
        #expect(try rejected("error({code = 1})", ContractFailure(.contractError))?.message == "error object is a table value")
        #expect(try rejected("error(nil)", ContractFailure(.contractError))?.message == "error object is a nil value")
        #expect(try rejected("error()", ContractFailure(.contractError))?.message == "error object is a nil value")
        #expect(try rejected("error(42)", ContractFailure(.contractError))?.message == "42")
        #expect(try rejected("error(4.5)", ContractFailure(.contractError))?.message == "4.5")
        #expect(try rejected("error(true)", ContractFailure(.contractError))?.message == "error object is a boolean value")
        #expect(try rejected("error(on_list)", ContractFailure(.contractError))?.message == "error object is a function value")
        let e = try rejected("local x = nil\nreturn x.field", ContractFailure(.contractError))
        #expect(e?.message == "attempt to index a nil value (local 'x')")
        #expect(e?.line == 3)
        let level0 = try rejected("error('plain', 0)", ContractFailure(.contractError))
        #expect(level0?.message == "plain")
        #expect(level0?.line == 2)
        let withTostring = try rejected("error(setmetatable({}, {__tostring = function() while true do end end}))",
                                        ContractFailure(.contractError))
        #expect(withTostring?.message == "error object is a table value")
    }

    @Test func contextAndLibrariesAreReadOnly() throws {
        for body in ["ctx.ticket.face_value = 1", "ctx.extra.x = 1", "params.x = 1", "string.upper = nil",
                     "math.pi = 3", "table.insert(ctx.ticket, 1)", "table.insert(params, 'x')", "on_list = nil",
                     "newglobal = 1", "_ENV.x = 1"] {
            let e = try rejected(body, ContractFailure(.contractError))
            #expect(e?.message.contains("read-only") == true, "\(body): \(e.map { "\($0)" } ?? "")")
        }
    }

    @Test func bytecodeIsRefused() throws {
        let bytecode = "\u{1B}Lua\u{54}\u{00}\u{19}\u{93}\r\n\u{1A}\n"
        #expect(throws: ContractFailure(.contractInvalid)) { try contract(bytecode) }
        #expect(loadFailure(bytecode)?.message == "precompiled bytecode is refused; deploy the source text")
    }

    @Test func invalidContracts() throws {
        for source in ["function on_buy(", "x = 1", "on_buy = 5", "function on_bye() end function on_buy() end",
                       "error('top level fails')", "while true do end function on_buy() end",
                       "local t = {} for i = 1, 1e6 do t[i] = string.rep('x', 1000) .. i end function on_buy() end",
                       String(repeating: "-", count: 70_000)] {
            #expect(throws: ContractFailure(.contractInvalid), "\(source.prefix(60))") { try contract(source) }
        }
        #expect(loadFailure("function on_buy() end\nfunction on_lisst() end")?.message.hasPrefix("'on_lisst' is not a hook") == true)
        #expect(loadFailure("\n\nfunction on_buy(ctx) return ctx. end")?.line == 3)
    }
}
