import Hummingbird

/// Holds each read (GET, HEAD) until the store shows every submission this node has already
/// answered (`AcknowledgedWrites`): a client that reads right after its receipt sees its write.
struct AcknowledgedWritesMiddleware<Context: RequestContext>: RouterMiddleware {
    let writes: AcknowledgedWrites

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get || request.method == .head { await writes.caughtUp() }
        return try await next(request, context)
    }
}
