import Foundation
import Synchronization
import TalonProtocol
import Testing

// MARK: - The document

/// docs/openapi.yaml, read with `YAMLReader`.
struct OpenAPIDocument: Sendable {
    let root: YAMLNode

    static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// docs/openapi.yaml of the package this file belongs to.
    static var path: String {
        // Tests/TalonCLITests/OpenAPITests.swift → the package root is three levels up.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/openapi.yaml").path
    }

    static func load() throws -> OpenAPIDocument {
        OpenAPIDocument(root: try YAMLReader.parse(try String(contentsOfFile: path, encoding: .utf8)))
    }

    /// `"GET /v1/head"` for every operation under `paths`.
    var operations: Set<String> {
        var out = Set<String>()
        for item in root["paths"]?.entries ?? [] {
            for entry in item.value.entries ?? [] where Self.methods.contains(entry.key) { out.insert("\(entry.key.uppercased()) \(item.key)") }
        }
        return out
    }

    static func split(_ operation: String) -> (method: String, path: String) {
        let parts = operation.split(separator: " ", maxSplits: 1)
        return (String(parts.first ?? ""), String(parts.last ?? ""))
    }

    /// The `{name}`s of a path template.
    static func templateNames(_ path: String) -> Set<String> {
        Set(path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) })
    }

    func operation(_ method: String, _ path: String) -> YAMLNode? { root["paths"]?[path]?[method.lowercased()] }

    /// Follows `$ref`s (`#/a/b/c`) until a node without one.
    func resolve(_ node: YAMLNode) throws -> YAMLNode {
        var node = node
        var hops = 0
        while let ref = node["$ref"]?.scalar {
            guard ref.hasPrefix("#/"), hops < 32 else { throw SandboxError("unsupported $ref \(ref)") }
            var target: YAMLNode? = root
            for part in ref.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
            guard let target else { throw SandboxError("$ref \(ref) names nothing in \(Self.path)") }
            node = target
            hops += 1
        }
        return node
    }

    struct Parameter: Sendable {
        let name: String
        let location: String
        let schema: YAMLNode?
    }

    /// The parameters of an operation and of its path item.
    func parameters(of op: YAMLNode, path: String) throws -> [Parameter] {
        let nodes = (root["paths"]?[path]?["parameters"]?.list ?? []) + (op["parameters"]?.list ?? [])
        return try nodes.map { node in
            let p = try resolve(node)
            guard let name = p["name"]?.scalar, let location = p["in"]?.scalar else { throw SandboxError("a parameter of \(path) lacks name or in") }
            return Parameter(name: name, location: location, schema: p["schema"])
        }
    }

    func statuses(of op: YAMLNode) -> [Int] { (op["responses"]?.entries ?? []).compactMap { Int($0.key) } }

    func response(_ op: YAMLNode, status: Int) throws -> YAMLNode? {
        try op["responses"]?[String(status)].map(resolve)
    }

    func content(of response: YAMLNode) throws -> [(type: String, schema: YAMLNode)] {
        try (response["content"]?.entries ?? []).map { entry in
            guard let schema = entry.value["schema"] else { throw SandboxError("media type \(entry.key) has no schema") }
            return (entry.key, schema)
        }
    }

    func headers(of response: YAMLNode) throws -> [(name: String, schema: YAMLNode?)] {
        try (response["headers"]?.entries ?? []).map { entry in (entry.key, try resolve(entry.value)["schema"].map(resolve)) }
    }

    /// The problem codes a response lists (`x-problem-codes`).
    func problemCodes(of response: YAMLNode) -> [String] { response["x-problem-codes"]?.list?.compactMap(\.scalar) ?? [] }

    /// The `enum` of schema `name` under `components/schemas`.
    func enumeration(_ name: String) -> [String]? {
        root["components"]?["schemas"]?[name]?["enum"]?.list?.compactMap(\.scalar)
    }

    /// The HTTP status the `Problem` schema gives a code (its `x-problem-codes` map).
    func problemStatus(_ code: String) -> Int? {
        root["components"]?["schemas"]?["Problem"]?["x-problem-codes"]?[code]?.scalar.flatMap { Int($0) }
    }

    /// The `required` lists of a schema: one, or one per `oneOf` alternative.
    func requiredAlternatives(_ schema: YAMLNode) throws -> [[String]] {
        let s = try resolve(schema)
        if let alternatives = s["oneOf"]?.list { return try alternatives.flatMap { try requiredAlternatives($0) } }
        return [s["required"]?.list?.compactMap(\.scalar) ?? []]
    }
}

// MARK: - A small YAML reader

struct YAMLEntry: Sendable {
    let key: String
    let value: YAMLNode
}

/// A YAML value: a scalar (kept as text), a list or a mapping (in document order).
enum YAMLNode: Sendable {
    case scalar(String)
    case list([YAMLNode])
    case map([YAMLEntry])

    subscript(key: String) -> YAMLNode? {
        if case .map(let entries) = self { return entries.first { $0.key == key }?.value }
        return nil
    }
    var scalar: String? { if case .scalar(let s) = self { s } else { nil } }
    var list: [YAMLNode]? { if case .list(let l) = self { l } else { nil } }
    var entries: [YAMLEntry]? { if case .map(let e) = self { e } else { nil } }
}

/// Reads the block-style subset of YAML the API document is written in: mappings and
/// sequences by indentation (spaces only), `- key: value` sequence items, plain, single- and
/// double-quoted scalars, flow sequences of scalars (`[a, b]`), block scalars (`|`, `>`)
/// and comments. Anything else (anchors, flow mappings, tabs) is an error.
struct YAMLReader {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private var lines: [String]
    private var at = 0

    static func parse(_ text: String) throws -> YAMLNode {
        var reader = YAMLReader(lines: text.components(separatedBy: "\n").map { $0.hasSuffix("\r") ? String($0.dropLast()) : $0 })
        let root = try reader.node(deeperThan: -1)
        reader.skipBlank()
        guard reader.at == reader.lines.count else { throw reader.fail("unexpected content") }
        return root
    }

    private init(lines: [String]) { self.lines = lines }

    private func fail(_ what: String) -> Failure {
        Failure(description: "docs/openapi.yaml line \(at + 1): \(what): \(at < lines.count ? lines[at] : "end of file")")
    }

    private static func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }

    private static func isBlank(_ line: String) -> Bool {
        let t = line.trimmingCharacters(in: .whitespaces)
        return t.isEmpty || t.hasPrefix("#")
    }

    private mutating func skipBlank() { while at < lines.count, Self.isBlank(lines[at]) { at += 1 } }

    /// The node starting at the next line, if it is indented more than `parent`; else an
    /// empty scalar.
    private mutating func node(deeperThan parent: Int) throws -> YAMLNode {
        skipBlank()
        guard at < lines.count else { return .scalar("") }
        let line = lines[at]
        guard !line.prefix(while: { $0 == " " || $0 == "\t" }).contains("\t") else { throw fail("tab indentation") }
        let indent = Self.indent(line)
        guard indent > parent else { return .scalar("") }
        let text = line.dropFirst(indent)
        return text == "-" || text.hasPrefix("- ") ? try sequence(indent) : try mapping(indent)
    }

    private mutating func mapping(_ indent: Int) throws -> YAMLNode {
        var entries: [YAMLEntry] = []
        while true {
            skipBlank()
            guard at < lines.count else { break }
            let lineIndent = Self.indent(lines[at])
            if lineIndent < indent { break }
            guard lineIndent == indent else { throw fail("unexpected indentation") }
            let text = String(lines[at].dropFirst(indent))
            if text == "-" || text.hasPrefix("- ") { break }
            guard let (key, rest) = try Self.splitKey(text) else { throw fail("expected 'key: value'") }
            guard !entries.contains(where: { $0.key == key }) else { throw fail("repeated key '\(key)'") }
            at += 1
            let value: YAMLNode
            if rest.isEmpty {
                value = try node(deeperThan: indent)
            } else if ["|", "|-", "|+", ">", ">-", ">+"].contains(rest) {
                value = .scalar(blockScalar(deeperThan: indent, folded: rest.hasPrefix(">")))
            } else {
                value = try scalar(rest)
            }
            entries.append(YAMLEntry(key: key, value: value))
        }
        return .map(entries)
    }

    private mutating func sequence(_ indent: Int) throws -> YAMLNode {
        var items: [YAMLNode] = []
        while true {
            skipBlank()
            guard at < lines.count, Self.indent(lines[at]) == indent else { break }
            let text = String(lines[at].dropFirst(indent))
            guard text == "-" || text.hasPrefix("- ") else { break }
            let rest = text.dropFirst(1).drop { $0 == " " }
            if rest.isEmpty {
                at += 1
                items.append(try node(deeperThan: indent))
            } else if try Self.splitKey(String(rest)) != nil {
                // `- key: value`: a mapping whose first entry shares the dash's line.
                let inner = indent + (text.count - rest.count)
                lines[at] = String(repeating: " ", count: inner) + rest
                items.append(try mapping(inner))
            } else {
                at += 1
                items.append(try scalar(String(rest)))
            }
        }
        return .list(items)
    }

    /// The lines after a `|` or `>` indicator, indented more than `parent`.
    private mutating func blockScalar(deeperThan parent: Int, folded: Bool) -> String {
        var body: [String] = []
        var contentIndent: Int?
        while at < lines.count {
            let line = lines[at]
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                body.append("")
                at += 1
                continue
            }
            let indent = Self.indent(line)
            guard indent > parent else { break }
            if contentIndent == nil { contentIndent = indent }
            body.append(String(line.dropFirst(min(indent, contentIndent ?? indent))))
            at += 1
        }
        while body.last == "" { body.removeLast() }
        return body.joined(separator: folded ? " " : "\n")
    }

    /// `key: rest` or `key:`, with a plain or double-quoted key; nil for a line that is not
    /// a mapping entry.
    private static func splitKey(_ text: String) throws -> (String, String)? {
        if text.hasPrefix("\"") || text.hasPrefix("'") {
            let quote = text.first ?? "\""
            guard let close = text.dropFirst().firstIndex(of: quote) else { return nil }
            let after = text[text.index(after: close)...]
            guard after == ":" || after.hasPrefix(": ") else { return nil }
            return (String(text[text.index(after: text.startIndex)..<close]), after.dropFirst().trimmingCharacters(in: .whitespaces))
        }
        if text.hasPrefix("[") || text.hasPrefix("{") { return nil }
        if let colon = text.range(of: ": ") {
            let key = String(text[..<colon.lowerBound])
            guard !key.contains(" #") else { return nil }
            return (key, text[colon.upperBound...].trimmingCharacters(in: .whitespaces))
        }
        if text.hasSuffix(":") { return (String(text.dropLast()), "") }
        return nil
    }

    /// A scalar or a flow sequence of scalars.
    private func scalar(_ text: String) throws -> YAMLNode {
        if text.hasPrefix("[") {
            guard let close = text.lastIndex(of: "]") else { throw fail("unclosed flow sequence") }
            let rest = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
            guard rest.isEmpty || rest.hasPrefix("#") else { throw fail("text after a flow sequence") }
            var items: [YAMLNode] = []
            var current = "", quote: Character?
            for ch in text[text.index(after: text.startIndex)..<close] {
                if let q = quote {
                    current.append(ch)
                    if ch == q { quote = nil }
                } else if ch == "\"" || ch == "'" {
                    quote = ch
                    current.append(ch)
                } else if ch == "," {
                    items.append(.scalar(try Self.unquote(current.trimmingCharacters(in: .whitespaces))))
                    current = ""
                } else if ch == "[" || ch == "{" {
                    throw fail("nested flow collections are not supported")
                } else {
                    current.append(ch)
                }
            }
            let last = current.trimmingCharacters(in: .whitespaces)
            if !last.isEmpty || !items.isEmpty { items.append(.scalar(try Self.unquote(last))) }
            return .list(items)
        }
        if text.hasPrefix("{") || text.hasPrefix("&") || text.hasPrefix("*") || text.hasPrefix("!") {
            throw fail("flow mappings, anchors, aliases and tags are not supported")
        }
        do { return .scalar(try Self.unquote(text)) } catch { throw fail("\(error)") }
    }

    /// The value of a plain (comment stripped), single- or double-quoted scalar.
    private static func unquote(_ text: String) throws -> String {
        if text.hasPrefix("\"") {
            var out = "", escaped = false, closed = false
            for ch in text.dropFirst() {
                if closed {
                    if ch == "#" { break }
                    guard ch == " " else { throw Failure(description: "text after a quoted scalar") }
                } else if escaped {
                    switch ch {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "0": out.append("\0")
                    default: out.append(ch)
                    }
                    escaped = false
                } else if ch == "\\" {
                    escaped = true
                } else if ch == "\"" {
                    closed = true
                } else {
                    out.append(ch)
                }
            }
            guard closed else { throw Failure(description: "unclosed double quote") }
            return out
        }
        if text.hasPrefix("'") {
            let body = text.dropFirst()
            guard let close = body.range(of: "'", options: .backwards) else { throw Failure(description: "unclosed single quote") }
            return String(body[..<close.lowerBound]).replacingOccurrences(of: "''", with: "'")
        }
        let plain = text.range(of: " #").map { String(text[..<$0.lowerBound]) } ?? text
        return plain.trimmingCharacters(in: .whitespaces)
    }
}

// MARK: - JSON values

/// Any JSON value, integers kept exact.
enum JSONValue: Decodable, Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null
        } else if let v = try? c.decode(Bool.self) { self = .bool(v)
        } else if let v = try? c.decode(Int64.self) { self = .int(v)
        } else if let v = try? c.decode(UInt64.self) { self = .uint(v)
        } else if let v = try? c.decode(Double.self) { self = .double(v)
        } else if let v = try? c.decode(String.self) { self = .string(v)
        } else if let v = try? c.decode([JSONValue].self) { self = .array(v)
        } else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ text: String) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) } catch {
            throw SandboxError("not JSON: \(text.prefix(300).debugDescription): \(error)")
        }
    }

    subscript(key: String) -> JSONValue? { if case .object(let o) = self { o[key] } else { nil } }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    var int: Int64? {
        switch self {
        case .int(let n): n
        case .uint(let n): Int64(exactly: n)
        default: nil
        }
    }
    var keys: Set<String> { if case .object(let o) = self { Set(o.keys) } else { [] } }

    func isOf(type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("integer", .uint), ("number", .int), ("number", .uint),
             ("number", .double), ("string", .string), ("array", .array), ("object", .object): true
        default: false
        }
    }

    /// The text of a scalar as YAML writes it, to compare with `const` and `enum`.
    var scalarText: String? {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let n): "\(n)"
        case .uint(let n): "\(n)"
        case .double(let d): "\(d)"
        case .string(let s): s
        case .array, .object: nil
        }
    }

    var description: String {
        switch self {
        case .string(let s): "\"\(s.prefix(80))\""
        case .array(let a): "array of \(a.count)"
        case .object(let o): "object with \(o.keys.sorted())"
        default: scalarText ?? "?"
        }
    }
}
