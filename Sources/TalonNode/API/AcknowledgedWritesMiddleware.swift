import Hummingbird
import TalonProtocol

/// The paths `AcknowledgedWritesMiddleware` never holds (made once, not per request: a
/// generic type has no stored statics).
private let unheldPaths: Set<String> = ["/healthz", "/metrics", "/v1/status", "/audit"]

/// Holds each read (GET) until the store shows every submission this node has already
/// answered (`AcknowledgedWrites`): a client that reads right after its receipt sees its write.
/// `/healthz`, `/metrics` and `/v1/status` report on the node itself, and must answer while a
/// turn is stuck, and `/audit` is a static page: they never wait. A read that waits `limit`
/// in vain fails with `timeout`.
struct AcknowledgedWritesMiddleware<Context: RequestContext>: RouterMiddleware {
    let writes: AcknowledgedWrites
    let limit: Duration

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get, !unheldPaths.contains(request.uri.path),
           !(await writes.caughtUp(within: limit)) {
            throw TalonError(.timeout, "this member's store has not caught up with what it acknowledged within \(limit); retry")
        }
        return try await next(request, context)
    }
}
