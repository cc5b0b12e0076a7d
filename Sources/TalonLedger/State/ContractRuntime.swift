import Foundation
import TalonContracts
import TalonProtocol

/// The ledger's contract engine: each contract compiled on first use and kept in a bounded
/// cache (`ContractEngine.Capacity.standard`: 64 contracts, 32 MiB); an evicted contract is
/// compiled again when next used and decides the same. Only the block writer evaluates
/// (under LMDB's single-writer lock); the lock here makes that explicit rather than relying on it.
final class ContractRuntime: @unchecked Sendable {
    // @unchecked: `engine` is touched only inside `lock`.
    private let lock = NSLock()
    private let limits: ContractLimits
    private let engine: ContractEngine

    init(limits: ContractLimits = .standard, capacity: ContractEngine.Capacity = .standard) {
        self.limits = limits
        engine = ContractEngine(limits: limits, capacity: capacity)
    }

    /// Evaluates `hook` of the contract `id` (compiling `source()` the first time).
    func evaluate(_ id: Digest, source: () throws -> String, hook: Hook, context: ContractContext,
                  parameters: [String: ContractValue], previous: [String: ContractValue]? = nil) throws -> Result<ContractDecision, ContractFailure> {
        lock.lock()
        defer { lock.unlock() }
        let key = id.hex
        if engine.contract(id: key) == nil {
            do { try engine.load(id: key, source: try source()) } catch let e as ContractFailure { return .failure(e) }
        }
        do {
            return .success(try engine.evaluate(contractID: key, hook: hook, context: context, parameters: parameters,
                                                previousParameters: previous))
        } catch {
            return .failure(error)
        }
    }

    /// Compiles `source` to check it, in a throwaway state: deploying keeps nothing in
    /// memory, only contracts bound and used are kept (a fresh state decides the same).
    func check(_ id: Digest, source: String) -> ContractFailure? {
        do { _ = try LoadedContract(source: source, limits: limits); return nil } catch { return error }
    }
}
