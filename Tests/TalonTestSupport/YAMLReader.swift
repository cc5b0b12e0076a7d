import Foundation

/// One `key: value` of a YAML mapping.
public struct YAMLEntry: Sendable {
    public let key: String
    public let value: YAMLNode

    public init(key: String, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// A YAML value: a scalar (kept as text), a list or a mapping (in document order).
public enum YAMLNode: Sendable {
    case scalar(String)
    case list([YAMLNode])
    case map([YAMLEntry])

    public subscript(key: String) -> YAMLNode? {
        if case .map(let entries) = self { return entries.first { $0.key == key }?.value }
        return nil
    }
    public var scalar: String? { if case .scalar(let s) = self { s } else { nil } }
    public var list: [YAMLNode]? { if case .list(let l) = self { l } else { nil } }
    public var entries: [YAMLEntry]? { if case .map(let e) = self { e } else { nil } }
}

/// Reads the block-style subset of YAML the API document is written in: mappings and
/// sequences by indentation (spaces only), `- key: value` sequence items, plain, single- and
/// double-quoted scalars, flow sequences of scalars (`[a, b]`), block scalars (`|`, `>`)
/// and comments. Anything else (anchors, flow mappings, tabs) is an error.
public struct YAMLReader {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private var lines: [String]
    private var at = 0

    public static func parse(_ text: String) throws -> YAMLNode {
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
