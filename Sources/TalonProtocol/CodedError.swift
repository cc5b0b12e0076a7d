/// An error with a registered code and words for people: what every Talon error is, so an
/// API problem or a CLI message can be made from any of them without knowing its type.
public protocol CodedError: Error, Sendable, CustomStringConvertible {
    /// The stable code.
    var code: Code { get }
    /// What went wrong, for a person.
    var message: String { get }
}

extension CodedError {
    /// `code: message`, for logs (the code alone when there is no message).
    public var description: String { message.isEmpty ? code.name : "\(code.name): \(message)" }
}
