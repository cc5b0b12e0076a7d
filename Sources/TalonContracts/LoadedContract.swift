public import TalonProtocol
/// A compiled contract, ready to evaluate its hooks. Holds one Lua state, reused across
/// evaluations.
///
/// ## No state between calls
/// Each evaluation runs the contract's top level again in a fresh environment and then
/// calls the hook with globals frozen (assigning one raises `contract_error`). Module-level
/// locals and tables are rebuilt on every call, so nothing one call changes -- a counter
/// in an upvalue, a field of a module-level table, a global -- is seen by the next. This is
/// the only approach that also covers upvalues (a deep freeze of the globals cannot stop
/// `local n = 0; function on_buy() n = n + 1 end`). It costs one run of the top level per
/// evaluation: about 0.15 µs per function the top level defines, under a microsecond for
/// the shipped contracts, against 9-14 µs for a whole evaluation (`talon contract bench`).
/// The top level's instructions count against each evaluation's budget.
///
/// ## Same answer on every node
/// - No clock, randomness, I/O, addresses (`tostring` of a table says just `table`) or
///   libm transcendental functions; `pairs`/`next` visit keys in one fixed order.
/// - The collector does not run during an evaluation, and each one starts from a fully
///   collected heap, so the script cannot observe collection timing (and `__gc` is refused).
/// - The memory cap counts what the evaluation allocates. A few internal Lua structures
///   (string-table buckets, call-frame cache, stack slack) keep sizes from earlier calls, so
///   near the cap a reused state could disagree with a fresh one. So an evaluation that
///   hits the memory cap, or allocates more than an eighth of it, is evaluated again in a
///   freshly loaded state, and that answer is the one returned: it depends on nothing but
///   the source, the context and the parameters.
///
/// Residual hazards, documented rather than solved: Lua's string hash seed is random per
/// state (Debian's liblua5.4 keeps `luai_makeseed`), so when a table with string keys also
/// had keys removed, the moment it is rehashed -- and hence the border `#t` reports for an
/// array with holes in that same table -- can differ between nodes; contracts should not
/// use `#` on arrays with holes. `^` calls libm's `pow`, whose last bit may differ between
/// platforms; money is integer arithmetic. x86 and ARM give NaN different signs, and C
/// prints the sign: `tostring` and `string.format` normalise or refuse NaN, but `..` cannot
/// be intercepted, so a reason built with `"x" .. 0/0` may differ between architectures. String
/// order is byte-wise whatever the locale (CLuaShims' compare.c); number formatting follows
/// LC_NUMERIC, so the process must run in the C locale (Talon never calls `setlocale`).
///
/// ## Threads
/// Not thread-safe and not `Sendable`: confine each instance to one thread, task or actor.
/// Use one instance per thread to evaluate in parallel.
public final class LoadedContract {
    /// The hooks the contract defines; the others allow.
    public let hooks: Set<Hook>
    /// The limits every evaluation runs under.
    public let limits: ContractLimits
    private let source: String
    private var state: LuaState

    /// Compiles the contract's source (text only) and runs its top level once to find its hooks.
    /// - Throws: `contract_invalid` if it does not compile, is precompiled bytecode, is larger
    ///   than `limits.maxSourceBytes`, fails or exceeds the budget in its top level, defines
    ///   no hook, or defines a global named like a hook that is not one (`on_bye`).
    public init(source: String, limits: ContractLimits = .standard) throws(ContractFailure) {
        let state = try LuaState(source: source, limits: limits)
        self.state = state
        self.source = source
        self.limits = limits
        hooks = Set(Hook.allCases.filter { state.hooks & (1 << UInt32($0.number)) != 0 })
    }

    /// Bytes the contract's Lua state holds now (its libraries, compiled chunk and what the
    /// last evaluation left before collection). The engine's cache bounds the sum.
    public var memoryBytes: Int64 { state.memoryBytes }

    /// Evaluates `hook` on a context with the binding's parameters.
    ///
    /// A hook the contract does not define allows (`ContractDecision.undefinedHook`). For
    /// `onRebind`, pass the old parameters as `previousParameters` (the script gets
    /// `on_rebind(old, new, ctx)`); other hooks get `(ctx, params)`.
    ///
    /// Amounts are rounded by the contract (integer arithmetic); the engine only checks them:
    /// non-negative integers, at most `limits.maxAmount`, a royalty at most the price and a
    /// refund at most what the holder paid. A denial carries no amounts.
    /// - Throws: `contract_budget`, `contract_error` (with the line), or `contract_result`.
    public func evaluate(hook: Hook, context: ContractContext, parameters: [String: ContractValue] = [:],
                         previousParameters: [String: ContractValue]? = nil) throws(ContractFailure) -> ContractDecision {
        guard hooks.contains(hook) else { return .undefinedHook }
        var ctx = WireWriter()
        context.write(to: &ctx, hook: hook)
        var params = WireWriter(capacity: 64)
        params.value(.table(parameters))
        var previous: [UInt8]?
        if let previousParameters {
            var w = WireWriter(capacity: 64)
            w.value(.table(previousParameters))
            previous = w.bytes
        }
        var outcome = state.evaluate(hook: hook.number, context: ctx.bytes, parameters: params.bytes, previous: previous)
        if outcome.status == .memory || outcome.memoryPeak > limits.memoryBytes / 8 {
            let fresh = try LuaState(source: source, limits: limits)
            outcome = fresh.evaluate(hook: hook.number, context: ctx.bytes, parameters: params.bytes, previous: previous)
            state = fresh
        }
        return try decision(outcome, context: context)
    }

    private func decision(_ o: LuaOutcome, context: ContractContext) throws(ContractFailure) -> ContractDecision {
        switch o.status {
        case .ok: break
        case .instructions, .memory, .string, .bytes:
            throw ContractFailure(.contractBudget, o.message, line: o.line, instructions: o.instructions)
        case .error:
            throw ContractFailure(.contractError, o.message, line: o.line, instructions: o.instructions)
        case .result:
            throw ContractFailure(.contractResult, o.message, instructions: o.instructions)
        case .invalid:
            throw ContractFailure(.contractInvalid, o.message, instructions: o.instructions)
        }
        guard let reason = String(validating: o.text, as: UTF8.self) else {
            throw ContractFailure(.contractResult, "the reason is not valid UTF-8", instructions: o.instructions)
        }
        guard o.allow else { return ContractDecision(allowed: false, reason: reason, instructions: o.instructions) }
        let royalty = o.royalty ?? 0, refund = o.refund ?? 0
        func bad(_ message: String) -> ContractFailure { ContractFailure(.contractResult, message, instructions: o.instructions) }
        if royalty > limits.maxAmount { throw bad("royalty \(royalty) exceeds the largest amount, \(limits.maxAmount)") }
        if refund > limits.maxAmount { throw bad("refund \(refund) exceeds the largest amount, \(limits.maxAmount)") }
        if royalty > context.operation.price { throw bad("royalty \(royalty) exceeds the price \(context.operation.price)") }
        if refund > context.ticket.paid { throw bad("refund \(refund) exceeds what the holder paid, \(context.ticket.paid)") }
        return ContractDecision(allowed: true, reason: reason, royalty: royalty, refund: refund, instructions: o.instructions)
    }
}
