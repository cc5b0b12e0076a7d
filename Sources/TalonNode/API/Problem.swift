import Hummingbird
import NIOCore
import TalonCrypto
import TalonLedger
import TalonStore

/// An API error as RFC 9457 `application/problem+json`, carrying the stable code every
/// Talon error has: `{"type", "title", "status", "detail", "code"}`.
struct Problem: Error, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let detail: String

    init(_ status: HTTPResponse.Status, _ code: String, _ detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }

    /// The problem for any error a handler or Hummingbird throws.
    init(_ error: any Error) {
        switch error {
        case let p as Problem:
            self = p
        case let e as NodeError:
            self.init(Self.status(ofNode: e.code), e.code, e.message)
        case let e as LedgerError:
            self.init(Self.status(ofLedger: e.code), e.code, e.message)
        case let e as CryptoError:
            self.init(.badRequest, e.code, e.message)
        case let e as StoreError:
            self.init(.internalServerError, e.code, e.message)
        case let e as NIOTooManyBytesError:
            self.init(.contentTooLarge, "body_too_large", "the request body exceeds \(e.maxBytes.map { "\($0) bytes" } ?? "the limit")")
        case let e as HTTPError:
            let code = switch e.status {
            case .notFound: "not_found"
            case .methodNotAllowed: "method_not_allowed"
            case .contentTooLarge: "body_too_large"
            default: "http_\(e.status.code)"
            }
            self.init(e.status, code, e.body ?? e.status.reasonPhrase)
        default:
            self.init(.internalServerError, "internal", "\(error)")
        }
    }

    private static func status(ofNode code: String) -> HTTPResponse.Status {
        switch code {
        case NodeError.batchTooLarge.code: .contentTooLarge
        case NodeError.noLeader.code, NodeError.notLeader.code, NodeError.dropped.code,
             NodeError.timeout.code, NodeError.stopped.code, NodeError.overloaded.code, "leader_transferring": .serviceUnavailable
        default: .internalServerError
        }
    }

    private static func status(ofLedger code: String) -> HTTPResponse.Status {
        switch code {
        case _ where code.hasPrefix("store_"): .internalServerError
        case LedgerError.unknownTicket.code, LedgerError.unknownEvent.code: .notFound
        case LedgerError.notAuthorized.code: .forbidden
        default: .badRequest
        }
    }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if status == .serviceUnavailable { headers[.retryAfter] = "1" }
        let body = ProblemBody(type: "urn:talon:problem:\(code)", title: status.reasonPhrase,
                               status: status.code, detail: detail, code: code)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONForm.encode(body))))
    }

    private struct ProblemBody: Encodable {
        let type: String, title: String, status: Int, detail: String, code: String
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
