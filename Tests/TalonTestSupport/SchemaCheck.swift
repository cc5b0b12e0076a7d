import Foundation

/// A JSON Schema check of the keywords docs/openapi.yaml uses: `$ref`, `oneOf`, `type`,
/// `const`, `enum`, `pattern`, `minimum`, `maximum`, `minItems`, `maxItems`, `items`,
/// `required`, `properties`, `additionalProperties: false`.
public struct SchemaCheck {
    public let doc: OpenAPIDocument

    public init(doc: OpenAPIDocument) { self.doc = doc }

    /// What in `value` breaks `schema`, one line each with the JSON path; empty when it conforms.
    public func errors(_ value: JSONValue, _ schema: YAMLNode, at path: String = "$") throws -> [String] {
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
