/// An error answer of the API, RFC 9457 `application/problem+json` with Talon's stable code
/// (docs/openapi.yaml `Problem`).
public struct ProblemDetails: Hashable, Sendable, Codable {
    /// `urn:talon:problem:` and the code.
    public var type: String
    /// The HTTP status's reason phrase.
    public var title: String
    /// The HTTP status.
    public var status: Int
    /// What went wrong, for a person.
    public var detail: String
    /// The stable code as the node sent it (text, so a newer node's code reads too).
    public var code: String

    /// The problem of `code` with `detail`, answered with HTTP `status` and its reason phrase `title`.
    public init(code: Code, detail: String, status: Int, title: String) {
        type = "urn:talon:problem:\(code)"; self.title = title; self.status = status; self.detail = detail; self.code = code.name
    }
}
