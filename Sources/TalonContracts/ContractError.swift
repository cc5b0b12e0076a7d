public import TalonProtocol

/// Why a contract could not be loaded or could not decide, with a registered `code`.
///
/// The ledger records the first four as an operation's result (they are `.result` codes):
/// - `contract_budget`: the evaluation ran out of instructions or memory, or made a string
///   longer than the limit;
/// - `contract_error`: the script raised an error (any value: string, table, nil, number);
/// - `contract_result`: the hook returned something that is not a decision (wrong type,
///   a float or negative amount, an amount above what the operation carries, unknown fields);
/// - `contract_invalid`: the contract does not compile, is bytecode, defines no hook, fails
///   in its top level, or exceeds the source size;
/// - `invalid_context`: the caller's context or parameters are malformed (e.g. a case file
///   of `talon contract test`); the ledger never meets it.
///
/// Two errors are equal when their codes are; `message`, `line` and `instructions` are for people.
public struct ContractError: CodedError, Hashable {
    /// The stable code, e.g. `contract_budget`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The line of the contract where the error was raised, when known.
    public let line: Int?
    /// Instructions the evaluation had used when it stopped.
    public let instructions: Int64

    /// An error with a registered code, a message, and where it happened.
    public init(_ code: Code, _ message: String = "", line: Int? = nil, instructions: Int64 = 0) {
        self.code = code
        self.message = message.isEmpty ? String(code.name.map { $0 == "_" ? " " : $0 }) : message
        self.line = line
        self.instructions = instructions
    }

    /// This code with a specific message and position.
    public func with(_ message: String, line: Int? = nil, instructions: Int64 = 0) -> ContractError {
        ContractError(code, message, line: line, instructions: instructions)
    }

    /// `code: line N: message`, for logs and the CLI.
    public var description: String {
        if let line { return "\(code): line \(line): \(message)" }
        return "\(code): \(message)"
    }

    /// Equal when the codes are equal; the rest is ignored.
    public static func == (a: ContractError, b: ContractError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// The evaluation ran out of instructions or memory, or made a string longer than allowed.
    public static let budgetExceeded = ContractError(.contractBudget, "the contract exceeded its budget")
    /// The script raised an error.
    public static let scriptError = ContractError(.contractError, "the contract raised an error")
    /// The hook returned something that is not a valid decision.
    public static let badResult = ContractError(.contractResult, "the contract returned an invalid decision")
    /// The contract cannot be loaded: syntax, bytecode, no hook, or a failing top level.
    public static let invalidContract = ContractError(.contractInvalid, "the contract cannot be loaded")
    /// A context or parameters value given by the caller is malformed (not the contract's fault).
    public static let invalidContext = ContractError(.invalidContext, "malformed context or parameters")
}
