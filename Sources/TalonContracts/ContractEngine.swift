/// Loaded contracts by id, each with its own Lua state, reused across evaluations.
///
/// The caller names each contract by its id (the ledger uses the SHA-256 of the source;
/// this module depends on no Talon module and does not hash). Loading the same id again
/// returns the loaded contract without recompiling; the engine trusts that one id always
/// names one source.
///
/// Not thread-safe and not `Sendable`: confine an engine to one thread, task or actor (the
/// ledger's apply loop). For parallel evaluation, give each thread its own engine.
public final class ContractEngine {
    /// The limits every contract of this engine runs under.
    public let limits: ContractLimits
    private var loaded: [String: LoadedContract] = [:]

    /// An engine with no contract loaded.
    public init(limits: ContractLimits = .standard) {
        self.limits = limits
    }

    /// Compiles and loads a contract under `id`, or returns the one already loaded.
    /// - Throws: `contract_invalid` (see `LoadedContract.init(source:limits:)`).
    @discardableResult
    public func load(id: String, source: String) throws(ContractError) -> LoadedContract {
        if let contract = loaded[id] { return contract }
        let contract = try LoadedContract(source: source, limits: limits)
        loaded[id] = contract
        return contract
    }

    /// The contract loaded under `id`, if any.
    public func contract(id: String) -> LoadedContract? { loaded[id] }

    /// Ids of the loaded contracts.
    public var loadedIDs: [String] { loaded.keys.sorted() }

    /// Frees the contract loaded under `id`.
    public func unload(id: String) { loaded[id] = nil }

    /// Evaluates a hook of the contract loaded under `id`.
    /// - Throws: `contract_invalid` if no contract is loaded under `id`; otherwise what
    ///   `LoadedContract.evaluate` throws.
    public func evaluate(contractID id: String, hook: Hook, context: ContractContext,
                         parameters: [String: ContractValue] = [:],
                         previousParameters: [String: ContractValue]? = nil) throws(ContractError) -> ContractDecision {
        guard let contract = loaded[id] else { throw ContractError.invalidContract.with("no contract loaded under id \(id)") }
        return try contract.evaluate(hook: hook, context: context, parameters: parameters,
                                     previousParameters: previousParameters)
    }
}
