import Hummingbird
import NIOCore
import TalonContracts
import TalonLedger
import TalonProtocol

/// The answer to an error, as RFC 9457 `application/problem+json` carrying its stable code:
/// `{"type", "title", "status", "detail", "code"}`. The HTTP status is the code's kind's
/// (`Code.Kind.httpStatus`). Handlers throw `TalonError`s; this only shapes the answer.
struct Problem: Sendable {
    let code: Code
    let detail: String

    /// The HTTP status of the answer: the one of the code's kind, with its reason phrase
    /// (the problem's `title`; `Status(code:)` alone would leave it empty).
    var status: HTTPResponse.Status {
        let code = code.kind.httpStatus
        return Self.statuses.first { $0.code == code } ?? HTTPResponse.Status(code: code)
    }

    /// The statuses `Code.Kind.httpStatus` gives, with RFC 9110's reason phrases.
    static let statuses: [HTTPResponse.Status] = [
        .ok, .badRequest, .forbidden, .notFound, .conflict, .contentTooLarge, .unsupportedMediaType, .internalServerError, .serviceUnavailable,
        HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"),
    ]

    /// A problem with a registered code.
    init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The problem for any error a handler or Hummingbird throws.
    init(_ error: any Error) {
        switch error {
        case let e as TalonError:
            self.init(e.code, e.message)
        case let e as ContractFailure:
            self.init(e.code, e.description)
        case let e as NIOTooManyBytesError:
            self.init(.bodyTooLarge, "the request body exceeds \(e.maxBytes.map { "\($0) bytes" } ?? "the limit")")
        case let e as HTTPError:
            // Hummingbird's own: no route (404), and its parameter and query decoding (400).
            let code: Code = switch e.status {
            case .notFound: .notFound
            case .contentTooLarge: .bodyTooLarge
            case _ where (400..<500).contains(e.status.code): .invalidParameter
            default: .internal
            }
            self.init(code, e.body ?? e.status.reasonPhrase)
        default:
            self.init(.internal, "\(error)")
        }
    }

    /// The answer's status, fields (no length, date or server yet) and body.
    var answer: HTTPAnswer {
        let status = self.status
        var fields: HTTPFields = [.contentType: "application/problem+json"]
        if code.kind == .unavailable || code.kind == .insufficientStorage { fields[.retryAfter] = "1" }
        let body = ProblemDetails(code: code, detail: detail, status: status.code, title: status.reasonPhrase)
        return HTTPAnswer(status: status, fields: fields, body: JSONForm.encode(body))
    }

    var response: Response { answer.response }
}

/// A whole answer as bytes, written by Hummingbird (`response`) or by `SubmissionHandler`.
struct HTTPAnswer: Sendable {
    var status: HTTPResponse.Status = .ok
    var fields: HTTPFields = [.contentType: "application/json"]
    var body: [UInt8]

    var response: Response {
        Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Turns every error below it into a problem response, unmatched routes included.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Problem(error).response
        }
    }
}
