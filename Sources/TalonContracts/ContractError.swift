/// Why a contract could not be loaded or could not decide, with a stable `code`.
///
/// The codes are the ones the ledger records as an operation's result:
/// - `contract_budget`: the evaluation ran out of instructions or memory, or made a string
///   longer than the limit;
/// - `contract_error`: the script raised an error (any value: string, table, nil, number);
/// - `contract_result`: the hook returned something that is not a decision (wrong type,
///   a float or negative amount, an amount above what the operation carries, unknown fields);
/// - `contract_invalid`: the contract does not compile, is bytecode, defines no hook, fails
///   in its top level, or exceeds the source size;
/// - `invalid_context`: the caller's context or parameters are malformed (e.g. a case file).
///
/// Two errors are equal when their codes are; `message`, `line` and `instructions` are for people.
public struct ContractError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable, machine-readable code, e.g. `contract_budget`.
    public let code: String
    /// What went wrong, for a person.
    public let message: String
    /// The line of the contract where the error was raised, when known.
    public let line: Int?
    /// Instructions the evaluation had used when it stopped.
    public let instructions: Int64

    /// An error with a stable code, a message, and where it happened.
    public init(_ code: String, _ message: String = "", line: Int? = nil, instructions: Int64 = 0) {
        self.code = code
        self.message = message.isEmpty ? String(code.map { $0 == "_" ? " " : $0 }) : message
        self.line = line
        self.instructions = instructions
    }

    /// This code with a specific message and position.
    public func with(_ message: String, line: Int? = nil, instructions: Int64 = 0) -> ContractError {
        ContractError(code, message, line: line, instructions: instructions)
    }

    public var description: String {
        if let line { return "\(code): line \(line): \(message)" }
        return "\(code): \(message)"
    }

    public static func == (a: ContractError, b: ContractError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// The evaluation ran out of instructions or memory, or made a string longer than allowed.
    public static let budgetExceeded = ContractError("contract_budget", "the contract exceeded its budget")
    /// The script raised an error.
    public static let scriptError = ContractError("contract_error", "the contract raised an error")
    /// The hook returned something that is not a valid decision.
    public static let badResult = ContractError("contract_result", "the contract returned an invalid decision")
    /// The contract cannot be loaded: syntax, bytecode, no hook, or a failing top level.
    public static let invalidContract = ContractError("contract_invalid", "the contract cannot be loaded")
    /// A context or parameters value given by the caller is malformed (not the contract's fault).
    public static let invalidContext = ContractError("invalid_context", "malformed context or parameters")
}
