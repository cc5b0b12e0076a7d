import Hummingbird
import HummingbirdCore
import Logging
import HummingbirdTesting
import NIOCore
import Prometheus
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonTestSupport
import Testing

/// `NodeAPI.router()` of a one-member node, called through Hummingbird's test framework: by
/// default each request goes straight to the router and its middleware, in process, with no
/// socket; `Way.eventLoop` serves it over a loopback socket as `NodeServer` does, where
/// `SubmissionHandler` answers submissions on the event loop. `probe` checks every answer against docs/openapi.yaml; `send` makes any request,
/// documented or not.
struct InProcessAPI: Sendable {
    let solo: SoloNode
    let probe: APIProbe
    let registry: PrometheusCollectorRegistry
    private let client: any TestClientProtocol

    /// What the API may be given besides the node's defaults.
    struct Setup {
        var node: @Sendable (inout Node.Options) -> Void = { _ in }
        var maxBodyBytes: Int?
        var way = Way.router
    }

    /// How requests reach the API.
    enum Way: CaseIterable, Sendable {
        /// Hummingbird's router, in process.
        case router
        /// A live server built as `NodeServer` builds it (connection limit, submissions on
        /// the event loop).
        case eventLoop
    }

    /// Runs `body` against the API of a new one-member node that leads, then stops the node.
    /// The node ticks every millisecond, so that it elects itself within a few tens of them.
    static func run<T: Sendable>(_ setup: Setup = Setup(), _ body: @Sendable (InProcessAPI) async throws -> T) async throws -> T {
        let solo = try SoloNode { options in
            options.tick = .milliseconds(1)
            setup.node(&options)
        }
        try await solo.elected()
        let registry = PrometheusCollectorRegistry()
        var api = NodeAPI(node: solo.node, key: solo.key, metrics: registry)
        if let limit = setup.maxBodyBytes { api.maxBodyBytes = limit }
        let router = api.router()
        do {
            let test: @Sendable (any TestClientProtocol) async throws -> T = { client in
                let doc = try OpenAPIDocument.shared()
                let probe = APIProbe(doc: doc) { method, target, headers, body in
                    try await Self.send(client, method, target, headers: headers, body: body)
                }
                return try await body(InProcessAPI(solo: solo, probe: probe, registry: registry, client: client))
            }
            let value: T
            switch setup.way {
            case .router:
                value = try await Application(router: router).test(.router, test)
            case .eventLoop:
                let logger = Logger(label: "test")
                let server = HTTPServerBuilder.http1(configuration: .init(), limit: ConnectionLimit(limit: 64, logger: logger),
                                                     submissions: api.submissionSettings(serverName: NodeServer.serverName))
                let app = Application(router: router, server: server,
                                      configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: NodeServer.serverName),
                                      logger: logger)
                value = try await app.test(.live, test)
            }
            await solo.stop()
            return value
        } catch {
            await solo.stop()
            throw error
        }
    }

    /// Any request, documented or not, answered by the router.
    func send(_ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> APIProbe.Reply {
        try await Self.send(client, method, target, headers: headers, body: body)
    }

    /// A documented call: see `APIProbe.call`.
    @discardableResult
    func call(_ method: String, _ template: String, _ pathValues: [String: String] = [:], query: [(String, String)] = [],
              headers: [String: String] = [:], body: String? = nil, bytes: [UInt8]? = nil, expect status: Int, code: String? = nil,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> APIProbe.Answer {
        let answer = try await probe.call(method, template, pathValues, query: query, headers: headers, body: body, bytes: bytes, expect: status, code: code,
                                          sourceLocation: sourceLocation)
        if answer.reply.headers["content-type"] == "application/problem+json" { Self.expectRegistered(answer, sourceLocation: sourceLocation) }
        return answer
    }

    /// A problem's code is one the registry (TalonProtocol.Code) lets an API answer carry, and
    /// its status is the one of the code's kind; the probe has checked both against the document.
    static func expectRegistered(_ problem: APIProbe.Answer, sourceLocation: SourceLocation = #_sourceLocation) {
        let name = problem["code"]?.string ?? ""
        let code = Code(rawValue: name)
        #expect(code.map { Code.problems.contains($0) } == true, "\(name) is no problem code of the registry", sourceLocation: sourceLocation)
        #expect(code?.kind.httpStatus == problem.reply.status, "\(name) served with \(problem.reply.status)", sourceLocation: sourceLocation)
    }

    private static func send(_ client: any TestClientProtocol, _ method: String, _ target: String,
                             headers: [String: String], body: [UInt8]?) async throws -> APIProbe.Reply {
        guard let method = HTTPRequest.Method(method) else { throw TestFailure("not an HTTP method: \(method)") }
        var fields = HTTPFields()
        for (name, value) in headers {
            switch name.lowercased() {
            case "accept": fields[.accept] = value
            case "content-type": fields[.contentType] = value
            default: throw TestFailure("the in-process client sends Accept and Content-Type only, not \(name)")
            }
        }
        let response = try await client.executeRequest(uri: target, method: method, headers: fields, body: body.map { ByteBuffer(bytes: $0) })
        var replyHeaders: [String: String] = [:]
        for field in response.headers { replyHeaders[field.name.canonicalName] = field.value }
        return APIProbe.Reply(status: Int(response.status.code), headers: replyHeaders, body: Array(response.body.readableBytesView))
    }
}
