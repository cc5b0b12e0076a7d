import Hummingbird
import TalonProtocol
import TalonLedger

/// The auditor's queries (docs/openapi.yaml, tag `audit`). Each answer is read on one
/// snapshot and carries the head it was read at, signed by this node; with `prove=true`
/// every record in it comes with its envelope, its Merkle inclusion proof against that head,
/// and its outcome proof (block header, entry path, decision) from a head at its own block,
/// also signed by this node.
extension NodeAPI {
    func addAuditRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/audit/events") { request, _ in
            try await offloaded {
                let q = request.uri.queryParameters
                let limit = try Self.integer(q.get("limit"), "limit", in: 1...1000) ?? 1000
                let after = q.get("after")
                if let after, !LedgerOperation.isID(after) {
                    throw TalonError(.invalidParameter, "after is an event id: 1–\(Limits.idBytes) characters of A–Z a–z 0–9 . _ : / -")
                }
                let list = try node.ledger.events(after: after, limit: limit)
                return try json(AuditAnswer(head: signedHead(list.head), body: list))
            }
        }
        router.get("/v1/audit/tickets/{id}") { request, context in
            try await offloaded {
                let id = try pathID(context)
                let q = request.uri.queryParameters
                guard let p = try node.ledger.provenance(ticket: id, prove: try Self.flag(q.get("prove"), "prove"), signer: { signedHead($0) }) else {
                    throw TalonError(.unknownTicket, "no ticket \(id)")
                }
                return try json(AuditAnswer(head: signedHead(p.head), body: p))
            }
        }
        router.get("/v1/audit/events/{id}/resales") { request, context in
            try await offloaded {
                let id = try pathID(context)
                let q = request.uri.queryParameters
                let report = try node.ledger.resaleReport(
                    event: id, capPct: try Self.integer(q.get("cap_pct"), "cap_pct", in: 1...100_000),
                    after: try Self.integer(q.get("after"), "after", in: 0...UInt64.max),
                    limit: try Self.integer(q.get("limit"), "limit", in: 1...1000) ?? 100,
                    prove: try Self.flag(q.get("prove"), "prove"), signer: { signedHead($0) })
                guard let report else { throw TalonError(.unknownEvent, "no event \(id)") }
                return try json(AuditAnswer(head: signedHead(report.head), body: report))
            }
        }
        router.get("/v1/audit/events/{id}/holders") { request, context in
            try await offloaded {
                let id = try pathID(context)
                let q = request.uri.queryParameters
                let report = try node.ledger.holderReport(
                    event: id, flipWindowMs: try Self.integer(q.get("flip_window_ms"), "flip_window_ms", in: 0...Int64.max) ?? 86_400_000,
                    maxPerBuyer: try Self.integer(q.get("max_per_buyer"), "max_per_buyer", in: 1...1_000_000),
                    limit: try Self.integer(q.get("limit"), "limit", in: 1...1000) ?? 100)
                guard let report else { throw TalonError(.unknownEvent, "no event \(id)") }
                return try json(AuditAnswer(head: signedHead(report.head), body: report))
            }
        }
        router.get("/v1/audit/events/{id}/entries") { request, context in
            try await offloaded {
                let id = try pathID(context)
                let q = request.uri.queryParameters
                let report = try node.ledger.entryReport(event: id, limit: try Self.integer(q.get("limit"), "limit", in: 1...1000) ?? 1000,
                                                         prove: try Self.flag(q.get("prove"), "prove"), signer: { signedHead($0) })
                guard let report else { throw TalonError(.unknownEvent, "no event \(id)") }
                return try json(AuditAnswer(head: signedHead(report.head), body: report))
            }
        }
        router.get("/audit") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
                     body: .init(byteBuffer: ByteBuffer(string: AuditPage.html)))
        }
    }

    /// `head` signed by this node.
    func signedHead(_ head: Head) -> SignedHead {
        SignedHead(head: head, node: memberName, key: key, genesis: node.ledger.genesis)
    }


    private static func flag(_ text: String?, _ name: String) throws -> Bool {
        switch text {
        case nil, "false": return false
        case "true": return true
        case let other?: throw TalonError(.invalidParameter, "\(name) is true or false, got \(other.prefix(40))")
        }
    }
}

/// An audit answer: the report's own fields, with `head` replaced by the signed head.
struct AuditAnswer<Body: Encodable>: Encodable {
    let head: SignedHead
    let body: Body

    func encode(to encoder: any Encoder) throws {
        try body.encode(to: encoder)
        var c = encoder.container(keyedBy: HeadKey.self)
        try c.encode(head, forKey: .head)
    }

    enum HeadKey: String, CodingKey { case head }
}
