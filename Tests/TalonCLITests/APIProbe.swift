import Foundation
import Synchronization
import TalonProtocol
import Testing

// MARK: - Checks

/// Flips the first hex digit of an envelope line's signature.
func flipFirstSignatureDigit(_ line: String) throws -> String {
    let at = try #require(line.range(of: "\"signature\":\"")).upperBound
    return line.replacingCharacters(in: at..<line.index(after: at), with: line[at] == "0" ? "1" : "0")
}

/// `text` with its one occurrence of `old` replaced.
func replacing(_ old: String, with new: String, in text: String) throws -> String {
    try #require(text.components(separatedBy: old).count == 2, "\(old) should occur once in \(text)")
    return text.replacingOccurrences(of: old, with: new)
}

/// Checks a `SignedHead` the way the document describes it: Ed25519 by the member's genesis
/// key over "TALON-HEAD-V1\0", the genesis hash, height, block hash, tree size, tree root
/// and timestamp, integers big-endian.
func verifySignedHead(_ answer: APIProbe.Answer, genesis: [UInt8]) throws {
    try verifySignedHead(answer.json, genesis: genesis)
}

/// Checks a `SignedHead` object with the genesis file's member key, by docs/format.md's rules.
func verifySignedHead(_ answer: JSONValue, genesis: [UInt8]) throws {
    let node = try #require(answer["node"]?.string)
    let members = try #require(JSONValue.parse(String(decoding: genesis, as: UTF8.self))["members"]?.array)
    let keyText = try #require(members.first { $0["id"]?.string == node }?["key"]?.string, "\(node) is not a genesis member")
    let key = try PublicKey(text: keyText)
    let head = try #require(answer["head"])
    let height = try #require(head["height"]?.int), size = try #require(head["tree_size"]?.int), time = try #require(head["timestamp"]?.int)
    var message = Array("TALON-HEAD-V1".utf8) + [0] + FormatModel.sha256(genesis)
    let blockHash = try #require(head["block_hash"]?.string), treeRoot = try #require(head["tree_root"]?.string)
    message += FormatModel.be(UInt64(height)) + (try FormatModel.unhex(blockHash))
    message += FormatModel.be(UInt64(size)) + (try FormatModel.unhex(treeRoot)) + FormatModel.be(time)
    let signatureText = try #require(answer["signature"]?.string)
    let signature = try #require(Signature(hex: signatureText))
    #expect(key.verify(signature, for: message), "the head's signature does not verify with \(node)'s genesis key")
}

/// Calls documented operations on one node and checks each answer against the document.
final class APIProbe: Sendable {
    struct Answer: Sendable {
        let reply: RawHTTP.Reply
        /// The parsed body when it is JSON, else `.null`.
        let json: JSONValue
        subscript(key: String) -> JSONValue? { json[key] }
    }

    /// What was called and answered: `"GET /v1/head"`, `"GET /v1/head 200"`, `"GET /v1/head 404 not_found"`.
    struct Seen: Sendable {
        var operations: Set<String> = []
        var statuses: Set<String> = []
        var codes: Set<String> = []
    }

    let doc: OpenAPIDocument
    let address: String
    private let log = Mutex(Seen())

    init(doc: OpenAPIDocument, address: String) {
        self.doc = doc
        self.address = address
    }

    var seen: Seen { log.withLock { $0 } }

    /// `method template` with the path parameters filled in and `query` appended; expects
    /// `status` (and the problem `code`, when given) and checks the answer against the document.
    @discardableResult
    func call(_ method: String, _ template: String, _ pathValues: [String: String] = [:], query: [(String, String)] = [],
              body: String? = nil, expect status: Int, code: String? = nil,
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
        let reply = try await RawHTTP.request(method, address, path, body: body, timeout: 30)
        log.withLock { _ = $0.operations.insert(name) }
        #expect(reply.status == status, "\(method) \(path.prefix(200)): \(reply)", sourceLocation: sourceLocation)

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

        var json = JSONValue.null
        if contentType.hasSuffix("json") {
            json = try JSONValue.parse(reply.body)
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
                if let code { #expect(problemCode == code, "\(method) \(path.prefix(200)): \(reply)", sourceLocation: sourceLocation) }
            }
        }
        return Answer(reply: reply, json: json)
    }
}

/// A JSON Schema check of the keywords docs/openapi.yaml uses: `$ref`, `oneOf`, `type`,
/// `const`, `enum`, `pattern`, `minimum`, `maximum`, `minItems`, `maxItems`, `items`,
/// `required`, `properties`, `additionalProperties: false`.
struct SchemaCheck {
    let doc: OpenAPIDocument

    func errors(_ value: JSONValue, _ schema: YAMLNode, at path: String = "$") throws -> [String] {
        let s = try doc.resolve(schema)
        var out: [String] = []
        if let alternatives = s["oneOf"]?.list {
            var failures: [[String]] = []
            for alternative in alternatives { failures.append(try errors(value, alternative, at: path)) }
            let matching = failures.filter(\.isEmpty).count
            if matching != 1 {
                out.append("\(path): matches \(matching) of \(alternatives.count) oneOf alternatives"
                           + (matching == 0 ? " (" + failures.map { $0.joined(separator: "; ") }.joined(separator: " | ") + ")" : ""))
            }
        }
        if let type = s["type"]?.scalar, !value.isOf(type: type) {
            return out + ["\(path): expected \(type), found \(value)"]
        }
        if let constant = s["const"]?.scalar, value.scalarText != constant {
            out.append("\(path): expected \(constant), found \(value)")
        }
        if let options = s["enum"]?.list?.compactMap(\.scalar), !options.contains(value.scalarText ?? "\u{0}") {
            out.append("\(path): \(value) is not one of \(options)")
        }
        if let pattern = s["pattern"]?.scalar, case .string(let text) = value {
            let regex = try NSRegularExpression(pattern: pattern)
            if regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                out.append("\(path): '\(text.prefix(80))' does not match \(pattern)")
            }
        }
        if let minimum = s["minimum"]?.scalar.flatMap({ Int64($0) }), case .int(let n) = value, n < minimum {
            out.append("\(path): \(n) is below \(minimum)")
        }
        if let maximum = s["maximum"]?.scalar.flatMap({ Int64($0) }) {
            if case .int(let n) = value, n > maximum { out.append("\(path): \(n) is above \(maximum)") }
            if case .uint(let n) = value { out.append("\(path): \(n) is above \(maximum)") }
        }
        if case .array(let items) = value {
            if let min = s["minItems"]?.scalar.flatMap({ Int($0) }), items.count < min { out.append("\(path): \(items.count) items, fewer than \(min)") }
            if let max = s["maxItems"]?.scalar.flatMap({ Int($0) }), items.count > max { out.append("\(path): \(items.count) items, more than \(max)") }
            if let itemSchema = s["items"] {
                for (i, item) in items.enumerated() { out += try errors(item, itemSchema, at: "\(path)[\(i)]") }
            }
        }
        if case .object(let fields) = value {
            for key in s["required"]?.list?.compactMap(\.scalar) ?? [] where fields[key] == nil {
                out.append("\(path): lacks required '\(key)'")
            }
            let properties = s["properties"]?.entries ?? []
            for entry in properties {
                if let field = fields[entry.key] { out += try errors(field, entry.value, at: "\(path).\(entry.key)") }
            }
            if s["additionalProperties"]?.scalar == "false" {
                let known = Set(properties.map(\.key))
                for key in fields.keys.sorted() where !known.contains(key) { out.append("\(path): undocumented property '\(key)'") }
            }
        }
        return out
    }
}

// MARK: - RFC 9162 proof checks, written from the RFC (not from Talon's prover)

enum RFC9162 {
    static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { FormatModel.sha256([1] + left + right) }

    /// Section 2.1.3.2: the root an inclusion proof leads to, or nil when it is malformed.
    static func root(leaf: UInt64, size: UInt64, leafHash: [UInt8], path: [[UInt8]]) -> [UInt8]? {
        guard leaf < size else { return nil }
        var fn = leaf, sn = size - 1, r = leafHash
        for p in path {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = node(p, r)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                r = node(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Section 2.1.4.2: whether `path` proves the tree of `second` leaves extends the one of `first`.
    static func consistent(first: UInt64, second: UInt64, firstRoot: [UInt8], secondRoot: [UInt8], path: [[UInt8]]) -> Bool {
        if first == second { return path.isEmpty && firstRoot == secondRoot }
        guard first > 0, first < second, !path.isEmpty else { return false }
        var proof = path
        if first & (first - 1) == 0 { proof.insert(firstRoot, at: 0) }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = proof[0], sr = proof[0]
        for c in proof.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = node(c, fr); sr = node(c, sr)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                sr = node(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}
