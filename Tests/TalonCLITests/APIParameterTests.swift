import Foundation
import TalonTestSupport
import Testing

/// Parameters at the edges of their documented schemas, and methods the document does not
/// list, on a real node: what docs/openapi.yaml declares is what the node accepts.
extension ClusterTests {
    @Test func queryParametersAndMethodsAnswerAsDocumented() async throws {
        let doc = try OpenAPIDocument.load()
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader()
            try await Self.submitEveryKind(c)
            let api = APIProbe(doc: doc, address: c.api(1))
            let record = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], expect: 200)
            let hash = try #require(record["records"]?.array?.first?["hash"]?.string)

            // Every integer query parameter declares its minimum and maximum, and the node takes
            // exactly those, written in digits: the maximum (2^64 − 1 for a uint64) is read, one
            // past it, one below the minimum and a signed `+minimum` are `invalid_parameter`.
            let holder = try #require(record["records"]?.array?.first?["envelope"]?["op"]?["tickets"]?.array?.first?["holder"]?.string)
            let pathValues: [String: String] = ["id": "EV", "hash": hash, "height": "1", "key": holder]
            let ticketPaths: Set<String> = ["/v1/tickets/{id}", "/v1/tickets/{id}/history", "/v1/tickets/{id}/certificate", "/v1/audit/tickets/{id}"]
            let required: [String: [(String, String)]] = ["/v1/proofs/inclusion": [("hash", hash)], "/v1/proofs/consistency": [("from", "1"), ("to", "1")]]
            var checked: [String] = []
            for name in doc.operations.sorted() {
                let (method, template) = OpenAPIDocument.split(name)
                let op = try #require(doc.operation(method, template))
                var path = template
                for (key, value) in pathValues {
                    path = path.replacingOccurrences(of: "{\(key)}", with: key == "id" && ticketPaths.contains(template) ? "T-2" : value)
                }
                for parameter in try doc.parameters(of: op, path: template) where parameter.location == "query" {
                    let schema = try doc.resolve(try #require(parameter.schema))
                    guard schema["type"]?.scalar == "integer" else { continue }
                    let minimum = try #require(schema["minimum"]?.scalar, "\(name) \(parameter.name): no minimum")
                    let maximum = try #require(schema["maximum"]?.scalar, "\(name) \(parameter.name): no maximum")
                    let others = (required[template] ?? []).filter { $0.0 != parameter.name }
                    func query(_ value: String) -> String {
                        path + "?" + (others + [(parameter.name, value)]).map { "\($0.0)=\($0.1)" }.joined(separator: "&")
                    }
                    for value in [minimum, maximum] {
                        let reply = try await RawHTTP.request(method, c.api(1), query(value))
                        let code = (try? JSONValue.parse(reply.body))?["code"]?.string
                        #expect(reply.status != 400 || code != "invalid_parameter", "\(name) \(parameter.name)=\(value) is in its schema: \(reply)")
                    }
                    var refused = [DecimalText.plusOne(maximum), "+" + minimum, " " + minimum]
                    if minimum == "0" { refused.append("-1") } else { refused.append(String(try #require(Int(minimum)) - 1)) }
                    for value in refused {
                        let reply = try await RawHTTP.request(method, c.api(1), query(value.replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: "+", with: "%2B")))
                        #expect(reply.status == 400 && (try? JSONValue.parse(reply.body))?["code"]?.string == "invalid_parameter",
                                "\(name) \(parameter.name)=\(value) is outside its schema: \(reply)")
                    }
                    checked.append("\(name) \(parameter.name)")
                }
            }
            // The ones that disagreed with their schemas before: resale `after` and `flip_window_ms`
            // refused values past 2^63 − 1, the proofs' sizes and history's `after` took `+1`.
            for expected in ["GET /v1/audit/events/{id}/resales after", "GET /v1/audit/events/{id}/holders flip_window_ms",
                             "GET /v1/proofs/inclusion size", "GET /v1/proofs/consistency from", "GET /v1/tickets/{id}/history after",
                             "GET /v1/holders/{key}/history after"] {
                #expect(checked.contains(expected), "\(expected) was not checked: \(checked)")
            }
            let holders = try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "EV"], query: [("flip_window_ms", "\(Int64.max)")], expect: 200)
            #expect(holders["flip_window_ms"]?.int == Int64.max)
            try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: [("after", "\(UInt64.max)")], expect: 200)

            // An `after` that is no id is refused where it names an event or a ticket.
            for bad in ["", "T%201", "%C2%84", String(repeating: "x", count: 129)] {
                try await api.call("GET", "/v1/audit/events", query: [("after", bad)], expect: 400, code: "invalid_parameter")
                try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: [("after", bad)], expect: 400, code: "invalid_parameter")
            }
            let events = try await api.call("GET", "/v1/audit/events", query: [("after", "EV")], expect: 200)
            #expect(events["events"]?.array?.map { $0["event_id"]?.string } == ["EVR"])
            let tickets = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: [("after", "T-3")], expect: 200)
            #expect(tickets["tickets"]?.array?.map { $0["ticket_id"]?.string } == ["T-4"])

            // A history of what is no id is no page, whether or not `after` is given; a valid id
            // that nothing names still has empty pages after its first.
            for bad in ["%C2%84", "T%201", String(repeating: "x", count: 129)] {
                for query in [[], [("after", "0")]] {
                    try await api.call("GET", "/v1/tickets/{id}/history", ["id": bad], query: query, expect: 404, code: "unknown_ticket")
                }
            }
            let unnamed = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "NOPE"], query: [("after", "0")], expect: 200)
            #expect(unnamed["records"]?.array?.isEmpty == true)

            // A block height is digits: `+1` is refused, not read as 1; a height past 2^64 − 1 is
            // one no ledger reaches.
            try await api.call("GET", "/v1/blocks/{height}", ["height": "1"], expect: 200)
            for bad in ["+1", "-0", "0x1", "%201", "1e0"] {
                try await api.call("GET", "/v1/blocks/{height}", ["height": bad], expect: 400, code: "invalid_parameter")
            }
            try await api.call("GET", "/v1/blocks/{height}", ["height": DecimalText.plusOne(String(UInt64.max))], expect: 404, code: "not_found")

            // A listed path asked with a method it does not list answers 404 `not_found`, as the
            // document says: there is no 405. HEAD gets the same status, without a body.
            var paths: [String: Set<String>] = [:]
            for name in doc.operations {
                let (method, template) = OpenAPIDocument.split(name)
                var path = template
                for (key, value) in pathValues { path = path.replacingOccurrences(of: "{\(key)}", with: value) }
                paths[path, default: []].insert(method)
            }
            for (path, methods) in paths.sorted(by: { $0.key < $1.key }) {
                for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD"] where !methods.contains(method) {
                    let reply = try await RawHTTP.request(method, c.api(1), path)
                    #expect(reply.status == 404, "\(method) \(path): \(reply)")
                    if method == "HEAD" {
                        #expect(reply.body.isEmpty, "\(method) \(path): \(reply)")
                    } else {
                        #expect(reply.headers["content-type"] == "application/problem+json" && (try? JSONValue.parse(reply.body))?["code"]?.string == "not_found",
                                "\(method) \(path): \(reply)")
                    }
                }
            }
        }
    }

    /// Signs and submits envelopes of all fourteen kinds, each with the result the ledger must
    /// give it: an issuer registered; EV with the markup-cap contract, a gate and T-1 … T-4 (T-1
    /// given to bob and redeemed, then presented again; T-2 listed over the cap, listed again
    /// and bought by bob; T-3 listed and withdrawn; T-4 voided); EVR with the refund-window
    /// contract, R-1 refunded, then EVR cancelled and R-2 refunded.
    static func submitEveryKind(_ c: LocalCluster) async throws {
        let g = c.chain, s = c.sandbox
        let alice = try await s.newKey("alice"), bob = try await s.newKey("bob"), gate = try await s.newKey("gate")
        let contracts = ContractCLITests.root.appendingPathComponent("genesis/contracts").path
        let markup = try s.write("markup.json", #"{"max_price_pct": 110, "royalty_pct": 5}"#)
        let window = try s.write("window.json", #"{"full_refund_hours": 48, "partial_pct": 50}"#)
        let show = ["--venue", "Hall", "--starts-at", "2027-12-31T20:00:00Z", "--capacity", "10"]
        let steps: [(kind: String, key: String, nonce: UInt64, args: [String], result: String)] = [
            ("register-issuer", g.admin, 1, ["--issuer", bob.publicKey, "--name", "Second organizer"], "ok"),
            ("create-event", g.issuer, 1, ["--event-id", "EV", "--name", "Show"] + show, "ok"),
            ("deploy-contract", g.issuer, 2, ["--source", "\(contracts)/markup-cap-royalty.lua"], "ok"),
            ("bind-contract", g.issuer, 3, ["--event-id", "EV", "--source", "\(contracts)/markup-cap-royalty.lua", "--params", markup], "ok"),
            ("register-gate", g.issuer, 4, ["--event-id", "EV", "--gate", gate.publicKey, "--name", "North"], "ok"),
            ("issue", g.issuer, 5, ["--event-id", "EV", "--count", "4", "--prefix", "T", "--holder", alice.publicKey, "--face-value", "4500"], "ok"),
            ("transfer", alice.path, 1, ["--ticket-id", "T-1", "--to", bob.publicKey], "ok"),
            ("redeem", gate.path, 1, ["--ticket-id", "T-1", "--sequence", "1"], "ok"),
            ("redeem", gate.path, 2, ["--ticket-id", "T-1", "--sequence", "1"], "already_redeemed"),
            ("list-resale", alice.path, 2, ["--ticket-id", "T-2", "--price", "5000"], "contract_denied"),
            ("list-resale", alice.path, 3, ["--ticket-id", "T-2", "--price", "4900"], "ok"),
            ("buy-resale", bob.path, 1, ["--ticket-id", "T-2", "--price", "4900"], "ok"),
            ("list-resale", alice.path, 4, ["--ticket-id", "T-3", "--price", "4600"], "ok"),
            ("cancel-listing", alice.path, 5, ["--ticket-id", "T-3"], "ok"),
            ("void", g.issuer, 6, ["--ticket-id", "T-4", "--reason", "lost"], "ok"),
            ("create-event", g.issuer, 7, ["--event-id", "EVR", "--name", "Rained off"] + show, "ok"),
            ("deploy-contract", g.issuer, 8, ["--source", "\(contracts)/refund-window.lua"], "ok"),
            ("bind-contract", g.issuer, 9, ["--event-id", "EVR", "--source", "\(contracts)/refund-window.lua", "--params", window], "ok"),
            ("issue", g.issuer, 10, ["--event-id", "EVR", "--count", "2", "--prefix", "R", "--holder", alice.publicKey, "--face-value", "3000"], "ok"),
            ("request-refund", alice.path, 6, ["--ticket-id", "R-1"], "ok"),
            ("cancel-event", g.issuer, 11, ["--event-id", "EVR", "--reason", "storm"], "ok"),
            ("request-refund", alice.path, 7, ["--ticket-id", "R-2"], "ok"),
        ]
        for step in steps {
            let line = try await s.op(step.kind, key: step.key, genesis: g.genesis, nonce: step.nonce, step.args)
            let reply = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: line, timeout: 30)
            try #require(reply.status == 200, "\(step.kind) \(step.args): \(reply)")
            #expect(try JSONValue.parse(reply.body)["result"]?.string == step.result, "\(step.kind) \(step.args): \(reply)")
        }
    }
}
