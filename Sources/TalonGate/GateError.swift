/// A gate failure that is not a verdict: a missing or damaged snapshot, a refused sync or
/// upload. `code` is stable; `message` is for people.
public struct GateError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    public init(_ code: String, _ message: String) { self.code = code; self.message = message }
    public var description: String { "\(code): \(message)" }
    /// Errors are equal when their codes are: the message is for people.
    public static func == (a: GateError, b: GateError) -> Bool { a.code == b.code }
}
