import Foundation
import TalonStore
import TalonProtocol

/// A throwaway ledger from the same genesis in a temporary directory, without fsync: what
/// `verify` and `migrate` apply every block to again, so that apply's own rules, and no
/// copy of them, decide what the blocks give. The directory goes when the value does.
final class ScratchLedger {
    let ledger: Ledger
    private let path: String

    /// A fresh, empty ledger of `genesis`.
    /// - Throws: `store_open_failed` when the temporary directory cannot be made.
    init(genesis: GenesisFile) throws(TalonError) {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("talon-scratch-\(UUID().uuidString)").path
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TalonError(Code.storeOpenFailed, "cannot create a scratch store at \(path): \(error)")
        }
        ledger = try Ledger(path: path, genesis: genesis, options: .init(sync: false, syncMeta: false))
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
