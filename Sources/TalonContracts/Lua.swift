// The one file that touches the C sandbox (CLuaShims). Everything that can raise a Lua
// error stays on the C side under lua_pcall; this file passes plain bytes in and turns the
// plain outcome struct into Swift values.
import CLuaShims
import TalonProtocol

/// How a load or an evaluation ended, copied out of the C outcome.
struct LuaOutcome {
    enum Status {
        case ok, instructions, memory, string, bytes, error, result, invalid
    }

    var status: Status
    var allow: Bool
    var hookDefined: Bool
    var royalty: Int64?
    var refund: Int64?
    var line: Int?
    var instructions: Int64
    var memoryPeak: Int64
    var hooks: UInt32
    /// The reason (ok) or the message (otherwise), as the script's bytes.
    var text: [UInt8]

    init(_ o: CLuaShims_Outcome) {
        switch o.status {
        case Int32(CLuaShims_OK): status = .ok
        case Int32(CLuaShims_BUDGET_INSTRUCTIONS): status = .instructions
        case Int32(CLuaShims_BUDGET_MEMORY): status = .memory
        case Int32(CLuaShims_BUDGET_STRING): status = .string
        case Int32(CLuaShims_BUDGET_BYTES): status = .bytes
        case Int32(CLuaShims_ERROR): status = .error
        case Int32(CLuaShims_RESULT): status = .result
        default: status = .invalid
        }
        allow = o.allow != 0
        hookDefined = o.has_hook != 0
        royalty = o.has_royalty != 0 ? o.royalty : nil
        refund = o.has_refund != 0 ? o.refund : nil
        line = o.line > 0 ? Int(o.line) : nil
        instructions = o.instructions
        memoryPeak = o.memory_peak
        hooks = o.hooks
        var copy = o
        let count = min(Int(o.text_len), Int(CLuaShims_TEXT_CAPACITY))
        text = withUnsafeBytes(of: &copy.text) { Array($0.prefix(count)) }
    }

    /// The message for people (invalid UTF-8 repaired).
    var message: String { String(decoding: text, as: UTF8.self) }
}

/// One compiled contract in its own Lua state. Not thread-safe: the owner confines it.
final class LuaState {
    private let handle: OpaquePointer
    /// Bit n set when the contract defines the hook numbered n.
    let hooks: UInt32

    /// Compiles and loads `source`.
    /// - Throws: `contract_invalid` with the compiler's or the top level's message.
    init(source: String, limits: ContractLimits) throws(ContractFailure) {
        var c = CLuaShims_Limits(
            instructions: limits.instructions, hook_period: limits.instructionStep, call_memory: limits.memoryBytes,
            load_memory: limits.loadMemoryBytes, max_string: limits.maxStringBytes, max_source: limits.maxSourceBytes,
            touch_bytes: limits.touchBytes)
        var outcome = CLuaShims_Outcome()
        var source = source
        let handle = source.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { talon_lua_load(&c, $0.baseAddress, $0.count, &outcome) }
        }
        let result = LuaOutcome(outcome)
        guard let handle else {
            throw ContractFailure(.contractInvalid, result.message, line: result.line, instructions: result.instructions)
        }
        self.handle = handle
        hooks = result.hooks
    }

    deinit { talon_lua_close(handle) }

    /// Bytes the state holds now.
    var memoryBytes: Int64 { talon_lua_memory(handle) }

    /// Runs hook `hook` on already-encoded context and parameters.
    func evaluate(hook: Int32, context: [UInt8], parameters: [UInt8], previous: [UInt8]?) -> LuaOutcome {
        var outcome = CLuaShims_Outcome()
        context.withUnsafeBufferPointer { ctx in
            parameters.withUnsafeBufferPointer { params in
                if let previous {
                    previous.withUnsafeBufferPointer { prev in
                        talon_lua_evaluate(handle, hook, ctx.baseAddress, ctx.count, params.baseAddress, params.count,
                                           prev.baseAddress, prev.count, &outcome)
                    }
                } else {
                    talon_lua_evaluate(handle, hook, ctx.baseAddress, ctx.count, params.baseAddress, params.count,
                                       nil, 0, &outcome)
                }
            }
        }
        return LuaOutcome(outcome)
    }
}
