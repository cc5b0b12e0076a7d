import Hummingbird
import TalonProtocol

/// Answers 404 `not_found` for a path with an empty segment (`/v1/head/`, `//v1/head`,
/// `/v1//head`): the router skips empty segments, so without this each route would also
/// answer under paths docs/openapi.yaml does not list, which it says are 404.
struct CanonicalPathMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/" || !(path.hasSuffix("/") || path.contains("//")) else {
            throw TalonError(.notFound, "no route \(path.prefix(200)): a path has no empty segment")
        }
        return try await next(request, context)
    }
}
