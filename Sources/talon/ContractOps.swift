import ArgumentParser
import Foundation
import TalonProtocol
import TalonLedger

/// Reads a file for an operation as UTF-8, refusing other bytes (a contract's id is the
/// hash of exactly these bytes).
private func readText(_ path: String, _ what: String) throws -> String {
    guard let text = String(validating: try readInput(path), as: UTF8.self) else {
        throw TalonError(.invalidUTF8, "\(what) file \(path) is not UTF-8")
    }
    return text
}

struct DeployContractOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-contract",
        abstract: "An issuer publishes a contract; its id (printed on standard error) is the SHA-256 of the source.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long, help: "The contract's Lua source.") var source: String
    func run() async throws {
        try await reportingErrors {
            let op = DeployContract(source: try readText(source, "source"))
            writeErr("contract \(op.contractID.hex)\n")
            try await signing.emit(.deployContract(op))
        }
    }
}

struct BindContractOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bind-contract",
        abstract: "An event's issuer binds a deployed contract to the event, or changes the binding's parameters.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var eventId: String
    @Option(name: .long, help: "The contract's id (64 hex digits), or --source.") var contract: String?
    @Option(name: .long, help: "The contract's Lua source, whose SHA-256 is the id.") var source: String?
    @Option(name: .long, help: "A JSON file with the parameters (default: {}).") var params: String?
    func run() async throws {
        try await reportingErrors {
            let id: Digest
            switch (contract, source) {
            case (let hex?, nil):
                guard let d = Digest(hex: hex) else { throw TalonError(.invalidOption, "--contract must be 64 lowercase hex digits") }
                id = d
            case (nil, let path?):
                id = DeployContract(source: try readText(path, "source")).contractID
            default:
                throw TalonError(.invalidOption, "give exactly one of --contract and --source")
            }
            let text = try params.map { try readText($0, "params") } ?? "{}"
            _ = try ContractParameters.parse(text)
            try await signing.emit(.bindContract(BindContract(eventID: eventId, contract: id, params: text)))
        }
    }
}
