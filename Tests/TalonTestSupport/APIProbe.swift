import Foundation
import Synchronization
public import Testing

/// Calls documented operations on one node and checks each answer against docs/openapi.yaml:
/// the status, content type and headers are documented for the operation, a JSON body meets
/// its schema, and a problem carries a code the document lists for that status, with the
/// status the `Problem` schema gives it. How a request reaches the node is the caller's: a
/// socket to a `talon` process, or Hummingbird's router in process.
public final class APIProbe: Sendable {
    /// An HTTP answer as the probe sees it.
    public struct Reply: Sendable, CustomStringConvertible {
        public let status: Int
        /// Header names in lowercase.
        public let headers: [String: String]
        public let body: [UInt8]

        public init(status: Int, headers: [String: String], body: [UInt8]) {
            self.status = status
            self.headers = headers
            self.body = body
        }

        /// The body as UTF-8 text.
        public var text: String { String(decoding: body, as: UTF8.self) }
        public var description: String { "HTTP \(status) \(text.prefix(600))" }
    }

    /// Sends `method` to `target` (path and query) with `headers` and an optional body.
    public typealias Send = @Sendable (_ method: String, _ target: String, _ headers: [String: String], _ body: [UInt8]?) async throws -> Reply

    /// An answer: the reply and its body parsed when it is JSON.
    public struct Answer: Sendable {
        public let reply: Reply
        /// The parsed body when it is JSON, else `.null`.
        public let json: JSONValue
        public subscript(key: String) -> JSONValue? { json[key] }
    }

    /// What was called and answered: `"GET /v1/head"`, `"GET /v1/head 200"`, `"GET /v1/head 404 not_found"`.
    public struct Seen: Sendable {
        public var operations: Set<String> = []
        public var statuses: Set<String> = []
        public var codes: Set<String> = []

        /// What was seen of `names` alone.
        public func only(_ names: Set<String>) -> Seen {
            func keep(_ entry: String) -> Bool { names.contains { entry == $0 || entry.hasPrefix($0 + " ") } }
            return Seen(operations: operations.filter(keep), statuses: statuses.filter(keep), codes: codes.filter(keep))
        }
    }

    public let doc: OpenAPIDocument
    private let send: Send
    private let log = Mutex(Seen())

    public init(doc: OpenAPIDocument, send: @escaping Send) {
        self.doc = doc
        self.send = send
    }

    public var seen: Seen { log.withLock { $0 } }

    /// `method template` with the path parameters filled in and `query` appended (values sent
    /// as given, so a test can send any bytes); expects `status` (and the problem `code`, when
    /// given) and checks the answer against the document. The body is `bytes` when given (a
    /// binary body), else `body`'s UTF-8.
    @discardableResult
    public func call(_ method: String, _ template: String, _ pathValues: [String: String] = [:], query: [(String, String)] = [],
                     headers: [String: String] = [:], body: String? = nil, bytes: [UInt8]? = nil, expect status: Int, code: String? = nil,
                     sourceLocation: SourceLocation = #_sourceLocation) async throws -> Answer {
        let name = "\(method) \(template)"
        let op = try #require(doc.operation(method, template), "\(name) is not in docs/openapi.yaml", sourceLocation: sourceLocation)
        let parameters = try doc.parameters(of: op, path: template)
        let pathNames = Set(parameters.filter { $0.location == "path" }.map(\.name))
        #expect(pathNames == Set(pathValues.keys), "\(name): documented path parameters \(pathNames.sorted())", sourceLocation: sourceLocation)
        #expect(pathNames == OpenAPIDocument.templateNames(template), "\(name): the path's {names} and its parameters differ", sourceLocation: sourceLocation)
        let queryNames = Set(parameters.filter { $0.location == "query" }.map(\.name))
        for (key, _) in query {
            #expect(queryNames.contains(key), "\(name): query parameter \(key) is not documented", sourceLocation: sourceLocation)
        }

        var path = template
        for (key, value) in pathValues { path = path.replacingOccurrences(of: "{\(key)}", with: value) }
        if !query.isEmpty { path += "?" + query.map { "\($0.0)=\($0.1)" }.joined(separator: "&") }
        let reply = try await send(method, path, headers, bytes ?? body.map { Array($0.utf8) })
        log.withLock { _ = $0.operations.insert(name) }
        #expect(reply.status == status, "\(method) \(path.prefix(200)): \(reply)", sourceLocation: sourceLocation)
        let json = try check(reply, of: op, name: name, sourceLocation: sourceLocation)
        if let code { #expect(json["code"]?.string == code, "\(method) \(path.prefix(200)): \(reply)", sourceLocation: sourceLocation) }
        return Answer(reply: reply, json: json)
    }

    /// Checks `reply` against what the document says of operation `op` (`name`); returns
    /// the body parsed when it is JSON, else `.null`.
    private func check(_ reply: Reply, of op: YAMLNode, name: String, sourceLocation: SourceLocation) throws -> JSONValue {
        let response = try #require(try doc.response(op, status: reply.status),
                                    "\(name) answered \(reply.status), which the document does not list: \(reply)", sourceLocation: sourceLocation)
        log.withLock { _ = $0.statuses.insert("\(name) \(reply.status)") }
        let contentType = reply.headers["content-type"] ?? ""
        let media = try doc.content(of: response)
        let documented = try #require(media.first { $0.type == contentType },
                                      "\(name) \(reply.status): content type '\(contentType)' is not among \(media.map(\.type))",
                                      sourceLocation: sourceLocation)
        for header in try doc.headers(of: response) {
            let value = reply.headers[header.name.lowercased()]
            #expect(value != nil, "\(name) \(reply.status): documented header \(header.name) is missing", sourceLocation: sourceLocation)
            if let value, header.schema?["type"]?.scalar == "integer" {
                let minimum = header.schema?["minimum"]?.scalar.flatMap { Int($0) } ?? Int.min
                #expect(Int(value).map { $0 >= minimum } == true, "\(name): \(header.name) is \(value)", sourceLocation: sourceLocation)
            }
        }
        guard contentType.hasSuffix("json") else { return .null }

        let json = try JSONValue.parse(reply.body)
        if (200..<300).contains(reply.status) {
            // Every top-level property the document requires (of one oneOf alternative).
            let alternatives = try doc.requiredAlternatives(documented.schema)
            let present = json.keys
            #expect(alternatives.contains { $0.allSatisfy(present.contains) },
                    "\(name): the body lacks required properties \(alternatives) (has \(present.sorted()))", sourceLocation: sourceLocation)
        }
        let errors = try SchemaCheck(doc: doc).errors(json, documented.schema)
        #expect(errors.isEmpty, "\(name) \(reply.status) does not match its schema:\n\(errors.joined(separator: "\n"))\n\(reply)",
                sourceLocation: sourceLocation)
        if contentType == "application/problem+json" {
            let problemCode = json["code"]?.string ?? ""
            log.withLock { _ = $0.codes.insert("\(name) \(reply.status) \(problemCode)") }
            #expect(doc.problemCodes(of: response).contains(problemCode),
                    "\(name) \(reply.status): code \(problemCode) is not documented for it", sourceLocation: sourceLocation)
            #expect(doc.problemStatus(problemCode) == reply.status,
                    "Problem maps \(problemCode) to \(String(describing: doc.problemStatus(problemCode))), served with \(reply.status)",
                    sourceLocation: sourceLocation)
            #expect(json["status"]?.int == Int64(reply.status), sourceLocation: sourceLocation)
            #expect(json["type"]?.string == "urn:talon:problem:\(problemCode)", sourceLocation: sourceLocation)
            #expect(json["title"]?.string == Self.reasonPhrases[reply.status], "the title is the status's reason phrase: \(reply)",
                    sourceLocation: sourceLocation)
        }
        return json
    }

    /// RFC 9110's reason phrases (section 15) of the statuses docs/openapi.yaml lists.
    public static let reasonPhrases = [200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict",
                                       413: "Content Too Large", 415: "Unsupported Media Type", 500: "Internal Server Error", 503: "Service Unavailable",
                                       507: "Insufficient Storage"]

    /// The operations called are exactly `operations`, and every documented status of them
    /// but 500 (a failed store), 503 (another test) and 507 (a full disk: StoreFullTests) was
    /// seen, with every problem code the document lists for it.
    public static func expectCovered(_ seen: Seen, _ doc: OpenAPIDocument, operations: Set<String>,
                                     except skipped: Set<Int> = [500, 503, 507], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(seen.operations == operations, sourceLocation: sourceLocation)
        for name in operations.sorted() {
            let (method, path) = OpenAPIDocument.split(name)
            guard let op = doc.operation(method, path), case let statuses = doc.statuses(of: op) else {
                Issue.record("\(name) is not readable in the document", sourceLocation: sourceLocation)
                continue
            }
            for status in statuses where !skipped.contains(status) {
                #expect(seen.statuses.contains("\(name) \(status)"), "\(name) \(status) was documented but never answered", sourceLocation: sourceLocation)
                guard let response = try? doc.response(op, status: status) else { continue }
                for code in doc.problemCodes(of: response) {
                    #expect(seen.codes.contains("\(name) \(status) \(code)"), "\(name) \(status) \(code) was documented but never answered",
                            sourceLocation: sourceLocation)
                }
            }
        }
    }
}
