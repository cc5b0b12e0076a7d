import Testing
import TalonContracts
import TalonProtocol

/// What a contract can use, and that it behaves the same everywhere.
@Suite struct SandboxTests {
    func reason(_ body: String, parameters: [String: ContractValue] = [:],
                context: ContractContext = resale(price: 5000)) throws -> String {
        let c = try contract("function on_buy(ctx, params)\n\(body)\nend")
        return try c.evaluate(hook: .onBuy, context: context, parameters: parameters).reason
    }

    @Test func usefulLibrariesWork() throws {
        #expect(try reason("return false, string.format('%d-%s-%5.2f', 7, 'x', 1.5)") == "7-x- 1.50")
        #expect(try reason("return false, ('abc'):upper() .. ('ABC'):lower() .. ('abc'):sub(2) .. #'abc'") == "ABCabcbc3")
        #expect(try reason("return false, tostring(('a.b'):find('.', 1, true))") == "2")
        #expect(try reason("return false, tostring(utf8.len('€uro')) .. utf8.char(8364)") == "4€")
        #expect(try reason("return false, math.type(1) .. math.type(1.0) .. tostring(math.max(3, 9)) .. tostring(7 // 2)")
                == "integerfloat93")
        #expect(try reason("local t = {3, 1, 2} table.sort(t) return false, table.concat(t, ',')") == "1,2,3")
        #expect(try reason("return false, select('#', 1, 2, 3) .. tostring(select(2, 'a', 'b'))") == "3b")
        #expect(try reason("local ok, e = pcall(error, {code = 7}) return false, tostring(ok) .. e.code") == "false7")
        #expect(try reason("local ok, e = pcall(error, 'x', 0) return false, e") == "x")
        #expect(try reason("return false, tostring(xpcall(function() error('x') end, function(m) return 'handled' end))")
                == "false")
        #expect(try reason("local mt = {__index = function(t, k) return k .. '!' end} return false, setmetatable({}, mt).hi")
                == "hi!")
        #expect(try reason("return false, tostring({}) .. ' ' .. tostring(print) .. ' ' .. tostring(on_buy)")
                == "table nil function")
        #expect(try reason("return false, tostring(getmetatable(''))") == "false")
        #expect(try reason("return false, _VERSION") == "Lua 5.4")
        #expect(try reason("return false, tostring(0/0) .. tostring(-(0/0)) .. tostring(1/0) .. tostring(-1/0)")
                == "nannaninf-inf")
        #expect(throws: ContractFailure(.contractError)) { try reason("return false, string.format('%f', 0/0)") }
    }

    @Test func contextIsReadable() throws {
        var ctx = resale(price: 5000)
        ctx.extra = ["list": [1, 2, 3], "flag": true, "nested": ["deep": "yes"]]
        #expect(try reason("return false, #ctx.extra.list .. ctx.extra.list[3] .. tostring(ctx.extra.flag) .. ctx.extra.nested.deep",
                           context: ctx) == "33trueyes")
        #expect(try reason("local s = 0 for _, v in ipairs(ctx.extra.list) do s = s + v end return false, tostring(s)",
                           context: ctx) == "6")
        #expect(try reason("return false, ctx.operation.kind .. ctx.operation.currency .. ctx.event.issuer") == "buyEURed25519:issuer")
        #expect(try reason("return false, tostring(rawget(ctx.ticket, 'face_value')) .. rawlen(ctx.extra)") == "50000")
        #expect(try reason("return false, tostring(params.n) .. tostring(params.missing)", parameters: ["n": 5]) == "5nil")
        #expect(try reason("return false, tostring(ctx.now)") == "1767225600000")
    }

    /// String order is by bytes (the C locale): "B" (0x42) sorts before "a" (0x61).
    @Test func stringComparisonIsByteOrder() throws {
        #expect(try reason("return false, tostring('a' < 'B') .. tostring('B' < 'a')") == "falsetrue")
    }

    @Test func missingHookAllows() throws {
        let c = try contract("function on_refund() return false end")
        #expect(c.hooks == [.onRefund])
        let d = try c.evaluate(hook: .onBuy, context: resale(price: 1))
        #expect(d == .undefinedHook && d.allowed && !d.hookDefined && d.instructions == 0)
    }

    @Test func instructionsAreCountedExactly() throws {
        let c = try contract("function on_buy() return true end")
        let base = try c.evaluate(hook: .onBuy, context: resale(price: 1)).instructions
        let loop = try contract("function on_buy() for i = 1, 1000 do end return true end")
        let more = try loop.evaluate(hook: .onBuy, context: resale(price: 1)).instructions
        #expect(base > 0 && more > base + 1000 && more < base + 1010)
        let stepped = try contract("function on_buy() for i = 1, 1000 do end return true end",
                                   limits: ContractLimits(instructionStep: 100))
        #expect(try stepped.evaluate(hook: .onBuy, context: resale(price: 1)).instructions % 100 == 0)
    }

    @Test func engineCachesById() throws {
        let engine = ContractEngine()
        let a = try engine.load(id: "one", source: "function on_buy() return false, 'one' end")
        let b = try engine.load(id: "one", source: "function on_buy() return false, 'ignored' end")
        #expect(a === b)
        #expect(try engine.evaluate(contractID: "one", hook: .onBuy, context: resale(price: 1)).reason == "one")
        #expect(throws: ContractFailure(.contractInvalid)) { try engine.evaluate(contractID: "two", hook: .onBuy, context: resale(price: 1)) }
        engine.unload(id: "one")
        #expect(engine.loadedIDs.isEmpty)
    }

    @Test func decisionEncodings() {
        let d = ContractDecision(allowed: true, reason: "ok \"q\"\n", royalty: 275, refund: 0, instructions: 41)
        #expect(d.canonicalJSON == #"{"allowed":true,"hook_defined":true,"instructions":41,"reason":"ok \"q\"\n","refund":0,"royalty":275}"#)
        // allowed, hook defined, royalty 275 = 0x0113, refund 0, instructions 41, reason length 7 (u32).
        #expect(d.canonicalBytes == [1, 1, 0, 0, 0, 0, 0, 0, 1, 19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 0, 0, 0, 7]
                + Array("ok \"q\"\n".utf8))
    }

    @Test func contextFromValue() throws {
        let value = resale(price: 4200, fees: 10).value(for: .onBuy)
        #expect(try ContractContext(value) == resale(price: 4200, fees: 10))
        #expect(throws: ContractFailure(.invalidContext)) { try ContractContext(["ticket": ["face": 1]]) }
        #expect(throws: ContractFailure(.invalidContext)) { try ContractContext(["now": "soon"]) }
    }
}
