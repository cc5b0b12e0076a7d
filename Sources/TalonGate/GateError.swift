public import TalonProtocol

/// A gate failure that is not a verdict: a missing or damaged snapshot, a refused sync or
/// upload. `code` is a registered code; `message` is for people.
public struct GateError: CodedError, Equatable {
    /// The stable code, e.g. `gate_not_synced`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// An error with a registered code and a message.
    public init(_ code: Code, _ message: String) { self.code = code; self.message = message }
    /// Errors are equal when their codes are: the message is for people.
    public static func == (a: GateError, b: GateError) -> Bool { a.code == b.code }
}
