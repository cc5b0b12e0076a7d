import Foundation

/// docs/openapi.yaml, read with `YAMLReader`.
public struct OpenAPIDocument: Sendable {
    public let root: YAMLNode

    public init(root: YAMLNode) { self.root = root }

    /// The keys of a path item that are operations.
    public static let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]

    /// docs/openapi.yaml of the package this file belongs to.
    public static var path: String {
        // Tests/TalonTestSupport/OpenAPIDocument.swift → the package root is three levels up.
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/openapi.yaml").path
    }

    /// The document, read from `path`.
    public static func load() throws -> OpenAPIDocument {
        OpenAPIDocument(root: try YAMLReader.parse(try String(contentsOfFile: path, encoding: .utf8)))
    }

    /// The document, read once per process: the in-process tests each check their answers
    /// against it, and reading 2,600 lines each time would cost more than the routes do.
    public static func shared() throws -> OpenAPIDocument { try once.get() }
    private static let once = Result { try load() }

    /// `"GET /v1/head"` for every operation under `paths`.
    public var operations: Set<String> {
        var out = Set<String>()
        for item in root["paths"]?.entries ?? [] {
            for entry in item.value.entries ?? [] where Self.methods.contains(entry.key) { out.insert("\(entry.key.uppercased()) \(item.key)") }
        }
        return out
    }

    /// `"GET /v1/head"` as its method and path.
    public static func split(_ operation: String) -> (method: String, path: String) {
        let parts = operation.split(separator: " ", maxSplits: 1)
        return (String(parts.first ?? ""), String(parts.last ?? ""))
    }

    /// The `{name}`s of a path template.
    public static func templateNames(_ path: String) -> Set<String> {
        Set(path.split(separator: "/").filter { $0.hasPrefix("{") && $0.hasSuffix("}") }.map { String($0.dropFirst().dropLast()) })
    }

    /// The operation `method path`, or nil when the document lists none.
    public func operation(_ method: String, _ path: String) -> YAMLNode? { root["paths"]?[path]?[method.lowercased()] }

    /// Follows `$ref`s (`#/a/b/c`) until a node without one.
    public func resolve(_ node: YAMLNode) throws -> YAMLNode {
        var node = node
        var hops = 0
        while let ref = node["$ref"]?.scalar {
            guard ref.hasPrefix("#/"), hops < 32 else { throw TestFailure("unsupported $ref \(ref)") }
            var target: YAMLNode? = root
            for part in ref.dropFirst(2).split(separator: "/") { target = target?[String(part)] }
            guard let target else { throw TestFailure("$ref \(ref) names nothing in \(Self.path)") }
            node = target
            hops += 1
        }
        return node
    }

    /// A parameter as the document declares it.
    public struct Parameter: Sendable {
        public let name: String
        /// `path` or `query`.
        public let location: String
        public let schema: YAMLNode?
    }

    /// The parameters of an operation and of its path item.
    public func parameters(of op: YAMLNode, path: String) throws -> [Parameter] {
        let nodes = (root["paths"]?[path]?["parameters"]?.list ?? []) + (op["parameters"]?.list ?? [])
        return try nodes.map { node in
            let p = try resolve(node)
            guard let name = p["name"]?.scalar, let location = p["in"]?.scalar else { throw TestFailure("a parameter of \(path) lacks name or in") }
            return Parameter(name: name, location: location, schema: p["schema"])
        }
    }

    /// The statuses an operation lists.
    public func statuses(of op: YAMLNode) -> [Int] { (op["responses"]?.entries ?? []).compactMap { Int($0.key) } }

    /// The response an operation lists for `status`, `$ref` followed.
    public func response(_ op: YAMLNode, status: Int) throws -> YAMLNode? {
        try op["responses"]?[String(status)].map(resolve)
    }

    /// The media types of a response, each with its schema.
    public func content(of response: YAMLNode) throws -> [(type: String, schema: YAMLNode)] {
        try (response["content"]?.entries ?? []).map { entry in
            guard let schema = entry.value["schema"] else { throw TestFailure("media type \(entry.key) has no schema") }
            return (entry.key, schema)
        }
    }

    /// The headers a response declares, each with its schema.
    public func headers(of response: YAMLNode) throws -> [(name: String, schema: YAMLNode?)] {
        try (response["headers"]?.entries ?? []).map { entry in (entry.key, try resolve(entry.value)["schema"].map(resolve)) }
    }

    /// The problem codes a response lists (`x-problem-codes`).
    public func problemCodes(of response: YAMLNode) -> [String] { response["x-problem-codes"]?.list?.compactMap(\.scalar) ?? [] }

    /// The `enum` of schema `name` under `components/schemas`.
    public func enumeration(_ name: String) -> [String]? {
        root["components"]?["schemas"]?[name]?["enum"]?.list?.compactMap(\.scalar)
    }

    /// The HTTP status the `Problem` schema gives a code (its `x-problem-codes` map).
    public func problemStatus(_ code: String) -> Int? {
        root["components"]?["schemas"]?["Problem"]?["x-problem-codes"]?[code]?.scalar.flatMap { Int($0) }
    }

    /// The `required` lists of a schema: one, or one per `oneOf` alternative.
    public func requiredAlternatives(_ schema: YAMLNode) throws -> [[String]] {
        let s = try resolve(schema)
        if let alternatives = s["oneOf"]?.list { return try alternatives.flatMap { try requiredAlternatives($0) } }
        return [s["required"]?.list?.compactMap(\.scalar) ?? []]
    }
}
