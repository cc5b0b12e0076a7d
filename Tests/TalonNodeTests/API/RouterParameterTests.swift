import Foundation
import TalonProtocol
import TalonTestSupport
import Testing

/// Parameters at the edges of their documented schemas, and paths and methods the document
/// does not list, through the router in process: what docs/openapi.yaml declares is exactly
/// what the API accepts.
@Suite(.timeLimit(.minutes(3)))
struct RouterParameterTests {
    /// Every integer query parameter takes its schema's minimum and maximum written in digits;
    /// one past the maximum, one below the minimum (or `-1`), a sign, a space and an overlong
    /// number are `invalid_parameter`.
    @Test func everyIntegerParameterTakesExactlyItsSchemasRange() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let doc = api.probe.doc
            let hash = try s.hash("transfer")
            let pathValues = ["hash": hash, "height": "1", "key": s.bob.publicKey.text]
            // Ticket routes name T-2 (active, so it has a certificate), event routes EV.
            func fill(_ template: String) -> String {
                var path = template.replacingOccurrences(of: "{id}", with: template.hasPrefix("/v1/tickets/") || template.hasPrefix("/v1/audit/tickets/") ? "T-2" : "EV")
                for (key, value) in pathValues { path = path.replacingOccurrences(of: "{\(key)}", with: value) }
                return path
            }
            let required: [String: [(String, String)]] = ["/v1/proofs/inclusion": [("hash", hash)], "/v1/proofs/consistency": [("from", "1"), ("to", "1")]]
            var checked: [String] = []
            for name in doc.operations.sorted() {
                let (method, template) = OpenAPIDocument.split(name)
                let op = try #require(doc.operation(method, template))
                for parameter in try doc.parameters(of: op, path: template) where parameter.location == "query" {
                    let schema = try doc.resolve(try #require(parameter.schema))
                    guard schema["type"]?.scalar == "integer" else { continue }
                    let minimum = try #require(schema["minimum"]?.scalar, "\(name) \(parameter.name): no minimum")
                    let maximum = try #require(schema["maximum"]?.scalar, "\(name) \(parameter.name): no maximum")
                    let others = (required[template] ?? []).filter { $0.0 != parameter.name }
                    func target(_ value: String) -> String {
                        fill(template) + "?" + (others + [(parameter.name, value)]).map { "\($0.0)=\($0.1)" }.joined(separator: "&")
                    }
                    for value in [minimum, maximum] {
                        let reply = try await api.send(method, target(value))
                        let code = (try? JSONValue.parse(reply.body))?["code"]?.string
                        #expect(reply.status != 400 || code != "invalid_parameter", "\(name) \(parameter.name)=\(value) is in its schema: \(reply)")
                    }
                    let below = minimum == "0" ? "-1" : String(try #require(Int(minimum)) - 1)
                    for value in [DecimalText.plusOne(maximum), below, "%2B" + minimum, "+" + minimum, "%20" + minimum, minimum + "%20",
                                  maximum + "0", String(repeating: "9", count: 300), "", "0x1", "1e1"] {
                        let reply = try await api.send(method, target(value))
                        #expect(reply.status == 400 && (try? JSONValue.parse(reply.body))?["code"]?.string == "invalid_parameter",
                                "\(name) \(parameter.name)=\(value) is outside its schema: \(reply)")
                    }
                    checked.append("\(name) \(parameter.name)")
                }
            }
            for expected in ["GET /v1/audit/events/{id}/resales after", "GET /v1/audit/events/{id}/holders flip_window_ms",
                             "GET /v1/proofs/inclusion size", "GET /v1/proofs/consistency from", "GET /v1/proofs/consistency to",
                             "GET /v1/tickets/{id}/history after", "GET /v1/tickets/{id}/history limit", "GET /v1/events/{id}/tickets limit",
                             "GET /v1/audit/events limit", "GET /v1/holders/{key}/history after", "GET /v1/holders/{key}/history limit"] {
                #expect(checked.contains(expected), "\(expected) was not checked: \(checked)")
            }
        }
    }

    /// A path the document does not list, or a listed path asked with a method it does not
    /// list, answers 404 `not_found` as a problem: there is no 405.
    @Test func unlistedPathsAndMethodsAnswer404() async throws {
        try await InProcessAPI.run { api in
            let doc = api.probe.doc
            let problem = YAMLNode.map([YAMLEntry(key: "$ref", value: .scalar("#/components/schemas/Problem"))])
            func expectNotFound(_ method: String, _ target: String) async throws {
                let reply = try await api.send(method, target)
                #expect(reply.status == 404 && reply.headers["content-type"] == "application/problem+json", "\(method) \(target): \(reply)")
                let json = try JSONValue.parse(reply.body)
                #expect(json["code"]?.string == "not_found" && json["status"]?.int == 404, "\(method) \(target): \(reply)")
                #expect(try SchemaCheck(doc: doc).errors(json, problem).isEmpty, "\(method) \(target): \(reply)")
            }
            for target in ["/", "/v1", "/v1/", "/v1/nothing-here", "/v1/head/extra", "/v1/blocks", "/v1/records", "/v1/proofs",
                           "/v1/tickets", "/v1/tickets/T-1/history/extra", "/v1/audit", "/audit/extra", "/metrics/x", "/V1/head",
                           "/healthz/", "/v1/head/", "//v1/head", "/v1//head", "/v1/tickets/T-1/", "/v1/tickets//history"] {
                try await expectNotFound("GET", target)
            }
            var paths: [String: Set<String>] = [:]
            for name in doc.operations {
                let (method, template) = OpenAPIDocument.split(name)
                var path = template
                for (key, value) in ["id": "EV", "hash": String(repeating: "0", count: 64), "height": "1"] {
                    path = path.replacingOccurrences(of: "{\(key)}", with: value)
                }
                paths[path, default: []].insert(method)
            }
            for (path, methods) in paths.sorted(by: { $0.key < $1.key }) {
                for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "HEAD"] where !methods.contains(method) {
                    try await expectNotFound(method, path)
                }
            }
        }
    }
}
