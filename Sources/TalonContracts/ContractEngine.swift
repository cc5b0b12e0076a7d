public import TalonProtocol
/// Loaded contracts by id, each with its own Lua state, kept in a bounded least-recently-used
/// cache.
///
/// The caller names each contract by its id (the ledger uses the SHA-256 of the source;
/// this module depends on no Talon module and does not hash). Loading the same id again
/// returns the loaded contract without recompiling; the engine trusts that one id always
/// names one source.
///
/// ## Bounded
/// At most `capacity.count` contracts stay loaded, holding at most `capacity.bytes` between
/// them (as their states' allocators count). Loading one more evicts the least recently
/// used; an evicted contract's Lua state is closed when the last reference to it goes. A
/// contract is loaded again from its source the next time it is needed, and decides the same:
/// every evaluation runs the top level afresh, so nothing depends on a state's history.
///
/// Not thread-safe and not `Sendable`: confine an engine to one thread, task or actor (the
/// ledger's apply loop). For parallel evaluation, give each thread its own engine.
public final class ContractEngine {
    /// How many loaded contracts an engine keeps.
    public struct Capacity: Hashable, Sendable {
        /// Contracts kept loaded at most (at least 1).
        public var count: Int
        /// Bytes their Lua states may hold between them; the most recently used contract is
        /// kept even if it alone is larger.
        public var bytes: Int64

        /// A capacity of `count` contracts and `bytes` bytes.
        public init(count: Int, bytes: Int64) {
            self.count = max(count, 1)
            self.bytes = bytes
        }

        /// 64 contracts, 32 MiB (a loaded contract holds about 30 KiB: 300 cached added 8.8 MB of RSS).
        public static let standard = Capacity(count: 64, bytes: 32 << 20)
    }

    /// The limits every contract of this engine runs under.
    public let limits: ContractLimits
    /// How many contracts stay loaded.
    public let capacity: Capacity
    private var loaded: [String: Entry] = [:]
    private var clock: UInt64 = 0
    /// Contracts evicted so far (a reload after an eviction counts as a load again).
    public private(set) var evictions = 0

    private struct Entry {
        let contract: LoadedContract
        var lastUse: UInt64
    }

    /// An engine with no contract loaded.
    public init(limits: ContractLimits = .standard, capacity: Capacity = .standard) {
        self.limits = limits
        self.capacity = capacity
    }

    /// Compiles and loads a contract under `id`, or returns the one already loaded. May evict
    /// the least recently used contracts.
    /// - Throws: `contract_invalid` (see `LoadedContract.init(source:limits:)`).
    @discardableResult
    public func load(id: String, source: String) throws(ContractFailure) -> LoadedContract {
        if let contract = touch(id) { return contract }
        let contract = try LoadedContract(source: source, limits: limits)
        clock += 1
        loaded[id] = Entry(contract: contract, lastUse: clock)
        evictBeyondCapacity()
        return contract
    }

    /// The contract loaded under `id`, if any (counts as a use).
    public func contract(id: String) -> LoadedContract? { touch(id) }

    /// Ids of the loaded contracts.
    public var loadedIDs: [String] { loaded.keys.sorted() }

    /// Bytes the loaded contracts' states hold between them.
    public var loadedBytes: Int64 { loaded.values.reduce(0) { $0 + $1.contract.memoryBytes } }

    /// Frees the contract loaded under `id`.
    public func unload(id: String) { loaded[id] = nil }

    /// Evaluates a hook of the contract loaded under `id`.
    /// - Throws: `contract_invalid` if no contract is loaded under `id`; otherwise what
    ///   `LoadedContract.evaluate` throws.
    public func evaluate(contractID id: String, hook: Hook, context: ContractContext,
                         parameters: [String: ContractValue] = [:],
                         previousParameters: [String: ContractValue]? = nil) throws(ContractFailure) -> ContractDecision {
        guard let contract = touch(id) else { throw ContractFailure(.contractInvalid, "no contract loaded under id \(id)") }
        return try contract.evaluate(hook: hook, context: context, parameters: parameters,
                                     previousParameters: previousParameters)
    }

    private func touch(_ id: String) -> LoadedContract? {
        guard let entry = loaded[id] else { return nil }
        clock += 1
        loaded[id]?.lastUse = clock
        return entry.contract
    }

    /// Evicts least recently used contracts until the cache fits, keeping the newest one.
    private func evictBeyondCapacity() {
        var bytes = loadedBytes
        while loaded.count > 1, loaded.count > capacity.count || bytes > capacity.bytes {
            guard let (id, entry) = loaded.min(by: { $0.value.lastUse < $1.value.lastUse }) else { return }
            bytes -= entry.contract.memoryBytes
            loaded[id] = nil
            evictions += 1
        }
    }
}
