import ArgumentParser
import Foundation
import TalonContracts
import TalonProtocol

struct ContractCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "contract", abstract: "Run contracts offline.",
        subcommands: [ContractTest.self, ContractBench.self])
}

/// Evaluates one hook of a contract file on a context from a JSON case file.
struct ContractTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run a contract's hook on a context and print the decision.",
        discussion: """
            The context file is a JSON object shaped like the script's `ctx` (see \
            genesis/contracts/examples/); missing fields are 0, "" or false. Parameters are a JSON \
            object of integers, strings, booleans, arrays and objects (no floats). Prints the \
            decision and the instructions used; an error is printed with its code and line and \
            exits with status 1. With --json, prints one JSON object either way.
            """)
    @Argument(help: "The contract's Lua source.") var file: String
    @Option(name: .long, help: "on_transfer, on_list, on_buy, on_refund, on_cancel or on_rebind.") var hook: String
    @Option(name: .long, help: "JSON file with the context.") var context: String
    @Option(name: .long, help: "JSON file with the binding's parameters.") var params: String?
    @Option(name: .long, help: "JSON file with the old parameters (on_rebind).") var previous: String?
    @Option(name: .long, help: "Instruction budget.") var instructions = ContractLimits.standard.instructions
    @Flag(name: .long, help: "Print one JSON object.") var json = false

    func run() throws {
        try reportingErrors {
            guard let hook = Hook(rawValue: hook) else {
                throw TalonError(.invalidArgument, "unknown hook '\(self.hook)'; one of "
                               + Hook.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let source = String(decoding: try readInput(file), as: UTF8.self)
            let ctx = try contractInput(try readJSON(context, "context"))
            let parameters = try params.map { try readTable($0, "params") } ?? [:]
            let old = try previous.map { try readTable($0, "previous") }
            let limits = ContractLimits(instructions: instructions)
            do throws(ContractFailure) {
                let contract = try LoadedContract(source: source, limits: limits)
                let decision = try contract.evaluate(hook: hook, context: ctx, parameters: parameters,
                                                     previousParameters: old)
                print(json ? decision.canonicalJSON : describe(decision))
            } catch {
                if json {
                    print(jsonLine(["error": ErrorJSON(code: error.code, message: error.message, line: error.line,
                                                       instructions: error.instructions)]))
                    throw ExitCode(1)
                }
                let at = error.line.map { "line \($0): " } ?? ""
                throw TalonError(error.code, "\(at)\(error.message) (after \(error.instructions) instructions)")
            }
        }
    }

    private func describe(_ d: ContractDecision) -> String {
        var lines = [d.allowed ? "allow" : "deny"]
        if !d.hookDefined { lines[0] += " (the contract does not define \(hook))" }
        if !d.reason.isEmpty { lines.append("reason: \(d.reason)") }
        if d.royalty != 0 { lines.append("royalty: \(d.royalty)") }
        if d.refund != 0 { lines.append("refund: \(d.refund)") }
        lines.append("instructions: \(d.instructions)")
        return lines.joined(separator: "\n")
    }

    private func readTable(_ path: String, _ what: String) throws -> [String: ContractValue] {
        guard case .table(let t) = try readJSON(path, what) else {
            throw TalonError(.invalidArgument, "\(what): \(path) must hold a JSON object")
        }
        return t
    }
}

/// Reads a JSON file as a contract value (integers, strings, booleans, objects, arrays).
func readJSON(_ path: String, _ what: String) throws -> ContractValue {
    let bytes = try readInput(path)
    do { return try JSONDecoder().decode(ContractValue.self, from: Data(bytes)) } catch {
        throw TalonError(.invalidArgument, "\(what): \(path) is not JSON of integers, strings, booleans, objects and arrays")
    }
}

/// A context from a case file's value, with the contract module's error as a CLI error.
func contractInput(_ value: ContractValue) throws -> ContractContext {
    do { return try ContractContext(value) } catch { throw TalonError(error.code, error.message) }
}

/// A contract error as JSON.
private struct ErrorJSON: Encodable {
    let code: Code
    let message: String
    let line: Int?
    let instructions: Int64

    func encode(to encoder: any Encoder) throws {
        enum Key: String, CodingKey { case code, message, line, instructions }
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(code, forKey: .code)
        try c.encode(message, forKey: .message)
        try c.encode(line, forKey: .line)            // null when unknown
        try c.encode(instructions, forKey: .instructions)
    }
}

/// One line of JSON with sorted keys.
func jsonLine(_ value: some Encodable) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}
