public import Hummingbird
public import Prometheus
public import TalonProtocol
import Foundation
import NIOPosix
import TalonLedger
import TalonRaft

/// The node's HTTP API (JSON; errors as `application/problem+json`). Every route is listed
/// in `docs/openapi.yaml`.
public struct NodeAPI: Sendable {
    let node: Node
    let key: SigningKey
    let metrics: PrometheusCollectorRegistry?
    /// The largest request body accepted.
    public var maxBodyBytes = WriteLimits.bodyBytes

    /// The API of `node`, signing heads with `key` (the member's genesis key) and serving
    /// `/metrics` from `metrics` when given.
    public init(node: Node, key: SigningKey, metrics: PrometheusCollectorRegistry?) {
        self.node = node
        self.key = key
        self.metrics = metrics
    }

    /// The routes, behind the problem and metrics middleware; reads wait for the answers
    /// this node gave ahead of its store (`AcknowledgedWritesMiddleware`).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: CanonicalPathMiddleware())
        router.add(middleware: AcknowledgedWritesMiddleware(writes: node.acknowledgedWrites, limit: node.options.requestTimeout))
        router.post("/v1/envelopes") { request, _ in try await submit(request) }
        router.get("/v1/head") { _, _ in try json(SignedHead(head: node.ledger.head(), node: memberName, key: key, genesis: node.ledger.genesis)) }
        router.get("/v1/status") { _, _ in try json(status()) }
        router.get("/v1/blocks/{height}") { request, context in
            let height = try blockHeight(context)
            guard let block = try node.ledger.block(height: height) else { throw TalonError(.notFound, "no block at height \(height)") }
            return Self.wantsBytes(request) ? octets(block.bytes) : try json(block)
        }
        router.get("/v1/records/{hash}") { request, context in
            let text = try context.parameters.require("hash")
            guard let hash = Digest(hex: text) else { throw TalonError(.invalidParameter, "an envelope hash is 64 lowercase hex digits") }
            guard let record = try node.ledger.record(hash: hash) else { throw TalonError(.notFound, "no envelope \(text)") }
            return Self.wantsBytes(request) ? octets(record.envelope.bytes) : try json(record)
        }
        router.get("/v1/tickets/{id}") { request, context in
            let id = try pathID(context)
            let at = try await servedAt(request)
            guard let ticket = try node.ledger.ticket(id) else { throw TalonError(.unknownTicket, "no ticket \(id)") }
            return try json(TicketResponse(ticket: ticket, servedAt: at))
        }
        router.get("/v1/tickets/{id}/history") { request, context in
            let id = try pathID(context)
            // No record names what is not an id (admission refuses it): no page of any history.
            guard LedgerOperation.isID(id) else { throw TalonError(.unknownTicket, "no ticket \(id.prefix(40)): not an id") }
            let at = try await servedAt(request)
            let (after, limit) = try page(request)
            let records = try node.ledger.history(ticket: id, after: after, limit: limit)
            if records.isEmpty, after == nil, try node.ledger.ticket(id) == nil { throw TalonError(.unknownTicket, "no ticket \(id)") }
            return try json(HistoryResponse(records: records, servedAt: at))
        }
        router.get("/v1/holders/{key}/history") { request, context in
            // The key's text form; its colon may come percent-encoded (`%3A`).
            guard let key = try? PublicKey(text: try pathParameter(context, "key")) else {
                throw TalonError(.invalidParameter, "a holder key is 'ed25519:' and 64 lowercase hex digits")
            }
            let at = try await servedAt(request)
            let (after, limit) = try page(request)
            return try json(HistoryResponse(records: node.ledger.history(holder: key, after: after, limit: limit), servedAt: at))
        }
        router.get("/v1/events/{id}") { request, context in
            let id = try pathID(context)
            let at = try await servedAt(request)
            guard let event = try node.ledger.event(id) else { throw TalonError(.unknownEvent, "no event \(id)") }
            return try json(EventResponse(event: event, servedAt: at))
        }
        addBlockRoutes(to: router)
        addProofRoutes(to: router)
        addAuditRoutes(to: router)
        addGateRoutes(to: router)
        router.get("/healthz") { _, _ in
            let health = node.recordHealth()
            guard !health.isStalled else {
                throw TalonError(.stalled, health.reason ?? "the node's loop is stalled")
            }
            let status = node.status
            // A node that cannot write refuses every submission: out of the balancer, as
            // etcd's health check is while its NOSPACE alarm is raised.
            guard !status.storeFull else {
                throw TalonError(.storeFull, "member \(memberName) cannot write: its disk is full; it serves plain reads and resumes by itself once space returns")
            }
            return try json(NodeHealth(role: status.raft.role.rawValue))
        }
        router.get("/metrics") { _, _ in
            node.recordHealth()
            var text: [UInt8] = []
            metrics?.emit(into: &text)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        return router
    }

    /// The `{id}` path parameter, percent-decoded (ids may hold `/`, sent as `%2F`).
    func pathID(_ context: BasicRequestContext) throws -> String { try pathParameter(context, "id") }

    /// The path parameter `name`, percent-decoded.
    /// - Throws: `TalonError(.invalidParameter)` when it is not valid percent-encoded UTF-8.
    func pathParameter(_ context: BasicRequestContext, _ name: String) throws -> String {
        guard let value = try context.parameters.require(name).removingPercentEncoding else {
            throw TalonError(.invalidParameter, "the \(name) is not valid percent-encoded UTF-8")
        }
        return value
    }

    var memberName: String { node.members.member(node.id)?.id ?? "\(node.id)" }

    // MARK: - Submission

    /// One envelope or an array in JSON, or frames of canonical envelopes
    /// (`EnvelopeFrames.mediaType`), handed to `Node.submit`, which admits each (on the leader:
    /// chain, fields, signature, the signer's standing) and answers one outcome per envelope.
    /// A single JSON envelope that is refused answers problem+json with its code (403 for
    /// `not_authorized`); in an array or a framed body, each refusal is an `error` object in
    /// its place, and the answer is always `SubmitResults`.
    private func submit(_ request: Request) async throws -> Response {
        let media = try Submission.media(request.headers[.contentType])
        let body = try await request.body.collect(upTo: maxBodyBytes)
        let submission = try Submission(media: media, body: body.readableBytesView)
        // `submit` checks the batch limits before any signature.
        let outcomes = try await node.submit(submission.envelopes)
        return HTTPAnswer(body: try submission.answer(outcomes)).response
    }

    /// What `SubmissionHandler` needs to serve submissions on the event loops, answering with
    /// `serverName` in the `Server` header as Hummingbird does.
    func submissionSettings(serverName: String) -> SubmissionHandler.Settings {
        SubmissionHandler.Settings(submit: { [node] in node.submit($0, answer: $1) }, maxBodyBytes: maxBodyBytes,
                                   serverName: serverName, metrics: SubmissionMetrics())
    }

    // MARK: - Reads

    /// The height a read is served at, after waiting for a ReadIndex barrier when the request
    /// asks `consistency=linearizable`.
    private func servedAt(_ request: Request) async throws -> ServedAt {
        switch request.uri.queryParameters.get("consistency") {
        case nil, "local":
            return ServedAt(height: try node.ledger.head().height, consistency: "local")
        case "linearizable":
            try await node.linearizableBarrier()
            return ServedAt(height: try node.ledger.head().height, consistency: "linearizable")
        case let other?:
            throw TalonError(.invalidParameter, "consistency is local or linearizable, got \(other.prefix(40))")
        }
    }

    private func page(_ request: Request) throws -> (after: UInt64?, limit: Int) {
        let q = request.uri.queryParameters
        return (try Self.integer(q.get("after"), "after", in: 0...UInt64.max), try Self.integer(q.get("limit"), "limit", in: 1...1000) ?? 1000)
    }

    /// Query parameter `name` as an integer in `range`, or nil when absent.
    /// - Throws: a 400 `invalid_parameter` problem otherwise.
    static func integer<T: FixedWidthInteger>(_ text: String?, _ name: String, in range: ClosedRange<T>) throws -> T? {
        guard let text else { return nil }
        guard case .value(let read) = decimal(text), let value = T(exactly: read), range.contains(value) else {
            throw TalonError(.invalidParameter, "\(name) must be an integer in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    /// What a decimal parameter holds.
    enum DecimalText: Equatable {
        case value(UInt64)
        /// Only digits, but more than 2^64 − 1.
        case tooLarge
        case malformed
    }

    /// An integer parameter as the document writes one: ASCII digits only, no sign and no
    /// space (`UInt64("+1")` and `Int("+1")` would take the sign).
    static func decimal(_ text: String) -> DecimalText {
        guard !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return .malformed }
        return UInt64(text).map(DecimalText.value) ?? .tooLarge
    }

    // MARK: - Status

    private func status() throws -> NodeStatus {
        let s = node.status
        let members = node.members
        let leader = s.raft.leader.flatMap { members.member($0) }
        let peers = s.raft.progress.sorted { $0.key < $1.key }.compactMap { id, p -> NodeStatus.Peer? in
            guard id != node.id, let m = members.member(id) else { return nil }
            return NodeStatus.Peer(node: m.id, match: p.match, next: p.next)
        }
        return NodeStatus(node: memberName, role: s.raft.role.rawValue, term: s.raft.term, leader: leader?.id, leaderAPI: leader?.api,
                          commit: s.raft.commit, applied: s.raft.applied, lastIndex: s.raft.lastIndex, head: try node.ledger.head(),
                          peers: peers, inflightEntries: s.inflightEntries, waitingSubmissions: s.waitingSubmissions,
                          rejectedEntries: s.rejectedEntries, storeFull: s.storeFull)
    }

    /// Runs a query and encodes its answer on NIO's blocking pool: an audit report over a large
    /// event or a page of 10,000 tickets takes tens of milliseconds, which must not hold one of
    /// the few threads every request shares.
    func offloaded(_ body: @escaping @Sendable () throws -> Response) async throws -> Response {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    func json(_ value: some Encodable) throws -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: JSONForm.encode(value) + [0x0A])))
    }
}
