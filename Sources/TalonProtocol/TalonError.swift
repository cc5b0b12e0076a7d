/// Every Talon error: a code of the registry (`Code`) and words for people.
///
/// What the code's `kind` says decides what follows from it everywhere: the HTTP status of
/// an API problem, the CLI's `error[code]: message`, and at apply whether the envelope is
/// rejected with the code as its recorded result or the block is aborted
/// (`Code.Kind`, `Code.uses`). Two errors are equal when their codes are; the message is
/// for people and never compared.
public struct TalonError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable code, e.g. `not_holder`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    /// An error with a registered code and a message (by default the code's `summary`).
    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message.isEmpty ? code.summary : message
    }

    /// The same code with a more specific message.
    public func with(_ message: String) -> TalonError { TalonError(code, message) }

    /// Equal when the codes are equal; the message is ignored.
    public static func == (a: TalonError, b: TalonError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// `code: message`, for logs.
    public var description: String { "\(code.name): \(message)" }
}
