public import TalonProtocol

/// Why a contract could not be loaded or could not decide: the error, and where the
/// evaluation stopped.
///
/// The ledger records the first four codes as an operation's result (they are `.result` codes):
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
/// Two failures are equal when their codes are; the line and instructions are for people.
public struct ContractFailure: Error, Hashable, CustomStringConvertible {
    /// The error: its code and message.
    public let error: TalonError
    /// The line of the contract where the error was raised, when known.
    public let line: Int?
    /// Instructions the evaluation had used when it stopped.
    public let instructions: Int64

    /// A failure with a registered code, a message, and where it happened.
    public init(_ code: Code, _ message: String = "", line: Int? = nil, instructions: Int64 = 0) {
        error = TalonError(code, message)
        self.line = line
        self.instructions = instructions
    }

    /// The stable code, e.g. `contract_budget`.
    public var code: Code { error.code }
    /// What went wrong, for a person.
    public var message: String { error.message }

    /// `code: line N: message`, for logs and the CLI.
    public var description: String {
        if let line { return "\(code): line \(line): \(message)" }
        return "\(code): \(message)"
    }

    /// Equal when the errors are (by code); the rest is ignored.
    public static func == (a: ContractFailure, b: ContractFailure) -> Bool { a.error == b.error }
    /// Hashes the error only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(error) }
}
