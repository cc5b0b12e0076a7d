import Foundation
import Testing
import TalonContracts
import TalonProtocol

/// Random Lua programs over everything the sandbox offers -- tables with and without
/// metatables, strings full of NULs, sorts with and without comparators, nested calls,
/// recursion, `pcall`, the string, table, utf8 and math libraries -- each run as a hook.
/// Every run must end within its instruction budget and well within a ceiling on the CPU
/// time of the thread running it (a liveness bound: CPU time, not wall-clock time, so
/// that a loaded CI machine preempting the test does not count), and two fresh engines must reach
/// the same decision or the same error, byte for byte.
///
/// The suite runs 1,500 programs from a fixed seed. A longer run is one command away:
///
///     TALON_LUA_PROGRAMS=100000 TALON_LUA_SEED=7 swift test --filter RandomProgramTests
///
/// A failure prints the seed and the program, which replays it.
@Suite struct RandomProgramTests {
    static let environment = ProcessInfo.processInfo.environment
    static let count = environment["TALON_LUA_PROGRAMS"].flatMap(Int.init) ?? 1_500
    static let seed = environment["TALON_LUA_SEED"].flatMap(UInt64.init) ?? 0x7A10_0016
    /// The ceiling of CPU time for one evaluation at the default budget (100,000
    /// instructions). The slowest seen on the development machine is reported by the test.
    static let ceiling = Duration.milliseconds(Int64(environment["TALON_LUA_CEILING_MS"].flatMap(Int.init) ?? 400))

    @Test func randomProgramsEndWithinBudgetAndAgree() throws {
        var slowest = Duration.zero, slowestSeed: UInt64 = 0
        var outcomes: [String: Int] = [:]
        for n in 0..<UInt64(Self.count) {
            let programSeed = Self.seed &+ n
            var g = ProgramGenerator(seed: programSeed)
            let source = g.contract()
            var first = ""
            let started = Self.threadCPUTime()
            first = Self.outcome(source)
            let elapsed = Self.threadCPUTime() - started
            let second = Self.outcome(source)
            if elapsed > slowest { slowest = elapsed; slowestSeed = programSeed }
            outcomes[String(first.prefix { $0 != ":" }), default: 0] += 1
            if ProcessInfo.processInfo.environment["TALON_LUA_SHOW"] != nil { print(first.prefix(120)) }
            #expect(first == second, "seed \(programSeed): two engines disagree:\n\(first)\n\(second)\n\(source)")
            #expect(elapsed < Self.ceiling, "seed \(programSeed) took \(elapsed):\n\(source)")
            if elapsed >= Self.ceiling || first != second { break }
        }
        print("random programs: \(Self.count) from seed \(Self.seed); slowest \(slowest) (seed \(slowestSeed)); outcomes \(outcomes.sorted { $0.key < $1.key })")
    }

    /// CPU time the calling thread has used.
    static func threadCPUTime() -> Duration {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
    }

    /// Loads `source` in a fresh engine and evaluates on_buy: the decision or the error, as
    /// text, with the instructions used; checks the budget was kept.
    static func outcome(_ source: String) -> String {
        let limits = ContractLimits.standard
        do {
            let c = try LoadedContract(source: source, limits: limits)
            let d = try c.evaluate(hook: .onBuy, context: resale(price: 5200), parameters: ["pct": 10, "name": "x\u{0}y"])
            #expect(d.instructions <= limits.instructions)
            return "ok:\(d.allowed) \(d.reason) \(d.royalty) \(d.instructions)"
        } catch {
            #expect(error.instructions <= limits.instructions + 1, "\(error)")
            return "\(error.code):\(error.message) line \(error.line ?? 0) after \(error.instructions)"
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): seedable, the same everywhere.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Writes random contracts: a top level declaring values, helper functions, and an on_buy
/// whose body is random statements, some in loops (bounded or not), some under pcall.
struct ProgramGenerator {
    var rng: SplitMix
    private var depth = 0

    init(seed: UInt64) { rng = SplitMix(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

    static let strings = ["s1", "s2", "s3", "s4"]
    static let tables = ["t1", "t2", "t3", "t4"]

    mutating func size() -> Int { pick([0, 1, 2, 7, 100, 1000, 5000, 16000, 16384, 20000]) }

    mutating func stringExpr() -> String {
        switch int(0...11) {
        case 0: return "string.rep('\\0', \(size()))"
        case 1: return "string.rep('ab\\0', \(size() / 3), '\\0')"
        case 2: return "(\(pick(Self.strings)) .. \(pick(Self.strings)))"
        case 3: return "\(pick(Self.strings)):sub(\(int(-5...5)), \(int(-20...20000)))"
        case 4: return "string.format('%s%d%5.1f%q', \(pick(Self.strings)), \(int(-9...9)), \(int(0...9)) / 4, \(pick(Self.strings)))"
        case 5: return "tostring(\(pick(["1.5", "0/0", "nil", "true", "t1", "math.maxinteger", "-0.0", "1e308 * 10"])))"
        case 6: return "table.concat(\(pick(Self.tables)), \(pick(["','", "'\\0'", "''"])))"
        case 7: return "string.char(\((0..<int(0...8)).map { _ in String(int(0...255)) }.joined(separator: ", ")))"
        case 8: return "\(pick(Self.strings)):upper()"
        case 9: return "utf8.char(\(int(0...0x10FFFF)), \(int(0...127)))"
        case 10: return "\(pick(Self.strings)):reverse()"
        default: return "'lit\\0\(int(0...99))'"
        }
    }

    mutating func tableExpr() -> String {
        switch int(0...7) {
        case 0: return "{}"
        case 1: return "{\((0..<int(0...20)).map { _ in String(int(-50...50)) }.joined(separator: ", "))}"
        case 2: return "{\(pick(Self.strings)), \(pick(Self.strings)), \(pick(Self.strings))}"
        case 3: return "setmetatable({}, {__len = function() return \(pick(["math.maxinteger - 1", "3", "-1", "1e9"])) end})"
        case 4: return "setmetatable({1, 2, 3}, {__index = function(t, k) return k end})"
        case 5: return "setmetatable({}, {__index = \(pick(Self.tables))})"
        case 6: return "setmetatable({}, {__lt = function(a, b) return true end, __call = function() return 1 end})"
        default: return "{k = \(pick(Self.strings)), [\(int(1...3))] = \(int(0...9)), n = {\(int(0...9))}}"
        }
    }

    mutating func statement() -> String {
        depth += 1
        defer { depth -= 1 }
        let s = pick(Self.strings), t = pick(Self.tables), u = pick(Self.tables)
        switch int(0...27) {
        case 0: return "\(s) = \(stringExpr())"
        case 1: return "\(t) = \(tableExpr())"
        case 2: return "table.sort(\(t))"
        case 3: return "table.sort(\(t), function(a, b) return \(pick(["a < b", "a > b", "true", "#tostring(a) < #tostring(b)", "tostring(a) < tostring(b)"])) end)"
        case 4: return "table.insert(\(t), \(pick(["1, ", "", "#\(t) + 1, "]))\(pick(Self.strings)))"
        case 5: return "table.remove(\(t)\(pick([", 1", ", #\(t)", ""])))"
        case 6: return "local _ = \(s) < \(pick(Self.strings)) or \(s) <= \(pick(Self.strings))"
        case 7: return "local _ = select('#', table.unpack(\(t), 1, \(pick(["#\(t)", "100", "1e6"]))))"
        case 8: return "table.move(\(t), 1, \(pick(["#\(t)", "3", "1 << 40"])), 2, \(u))"
        case 9: return "local _ = \(s):find(\(pick(Self.strings)), 1, true)"
        case 10: return "local _ = \(s):byte(1, -1)"
        case 11: return "local _ = utf8.len(\(s)) or utf8.offset(\(s), 2)"
        case 12: return "local _ = tonumber(\(pick([s, "'0x10'", "' 12 '", "'1e5'", "string.rep('9', 400)"])))"
        case 13: return "for k, v in pairs(\(t)) do n = n + 1 end"
        case 14: return "local k = next(\(t)) while k ~= nil and n < \(int(1...200)) do n = n + 1 k = next(\(t), k) end"
        case 15: return "for i, v in ipairs(\(t)) do n = n + i end"
        case 16: return "pcall(function() \(block(int(1...3))) end)"
        case 17: return "for i = 1, \(pick(["3", "100", "1e4", "1e9"])) do \(block(int(1...2))) end"
        case 18: return "while \(pick(["true", "n < 50", "#\(s) < 20000"])) do n = n + 1 \(block(1)) end"
        case 19: return "n = n + helper(\(int(0...30)))"
        case 20: return "local _ = rec(\(pick(["3", "50", "1e6"])))"
        case 21: return "\(s) = \(s) .. \(pick(Self.strings))"
        case 22: return "local _ = #\(t) + #\(s)"
        case 23: return "local _ = \(t)[\(pick(["1", "'k'", "n", "0/0 == 0/0 and 1 or 2"]))]"
        case 24: return "local _ = string.rep(\(s), \(pick(["2", "10", "1e6", "-1"])), \(pick(Self.strings)))"
        case 25: return "local _ = math.max(\(int(-9...9)), n) // \(pick(["1", "0", "2", "-3"]))"
        case 26: return "xpcall(function() \(block(1)) end, function(e) return tostring(e) end)"
        default: return "local _ = table.concat({\(s), \(pick(Self.strings))}, '\\0')"
        }
    }

    mutating func block(_ count: Int) -> String {
        guard depth < 4 else { return "n = n + 1" }
        return (0..<count).map { _ in statement() }.joined(separator: " ")
    }

    mutating func contract() -> String {
        var lines = [
            "local s1, s2, s3, s4 = 'abc', '\\0\\0x', string.rep('\\0', \(pick([0, 5, 1000, 16000]))), 'z'",
            "local t1, t2, t3, t4 = {}, {3, 1, 2}, {'b', 'a', 'c'}, {}",
            "local n = 0",
            "local function helper(k) local r = 0 for i = 1, k do r = r + i end return r end",
            "local function rec(k) if k <= 0 then return 0 end return 1 + rec(k - 1) end",
        ]
        if chance(0.2) { lines.append(block(int(1...2))) }            // work at the top level too
        lines.append("function on_buy(ctx, params)")
        for _ in 0..<int(1...8) { lines.append("  " + block(1)) }
        lines.append("  " + pick(["return true", "return false, 'no' .. n", "return {allow = true, royalty = ctx.operation.price // 10}",
                                  "return n % 2 == 0", "return {allow = n > 0}"]))
        lines.append("end")
        return lines.joined(separator: "\n")
    }
}
