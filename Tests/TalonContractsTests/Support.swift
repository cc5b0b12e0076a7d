import Foundation
import TalonContracts
import TalonProtocol

/// The source of a shipped contract in genesis/contracts.
func shipped(_ name: String) throws -> String {
    let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("genesis/contracts/\(name).lua")
    return try String(contentsOf: url, encoding: .utf8)
}

/// Names of the shipped contracts.
let shippedNames = ["face-value-cap", "markup-cap-royalty", "no-resale", "transfer-limit", "refund-window"]

/// A resale context: a 50.00 EUR ticket offered at `price` plus `fees`.
func resale(price: Int64, fees: Int64 = 0, face: Int64 = 5000) -> ContractContext {
    ContractContext(
        now: 1_767_225_600_000,
        operation: .init(price: price, fees: fees, currency: "EUR"),
        ticket: .init(id: "T-1", section: "A", faceValue: face, paid: face, transfers: 0, resales: 0),
        event: .init(id: "E-1", issuer: "ed25519:issuer", startsAt: 1_767_225_600_000 + 30 * 86_400_000),
        parties: .init(holder: "ed25519:seller", counterparty: "ed25519:buyer", signer: "ed25519:buyer"),
        buyer: .init(eventTickets: 0, eventAcquisitions: 0))
}

/// Loads a contract written inline.
func contract(_ source: String, limits: ContractLimits = .standard) throws -> LoadedContract {
    try LoadedContract(source: source, limits: limits)
}

/// The error an evaluation throws, or nil if it decides.
func failure(_ body: () throws(ContractFailure) -> ContractDecision) -> ContractFailure? {
    do { _ = try body(); return nil } catch { return error }
}

/// The error loading `source` throws, or nil if it loads.
func loadFailure(_ source: String, limits: ContractLimits = .standard) -> ContractFailure? {
    do { _ = try LoadedContract(source: source, limits: limits); return nil } catch { return error }
}
