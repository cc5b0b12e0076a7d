import Foundation

/// Any JSON value, integers kept exact.
public enum JSONValue: Decodable, Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
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

    /// `text` parsed.
    /// - Throws: `TestFailure` when it is not JSON.
    public static func parse(_ text: String) throws -> JSONValue {
        do { return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) } catch {
            throw TestFailure("not JSON: \(text.prefix(300).debugDescription): \(error)")
        }
    }

    /// `bytes` parsed as UTF-8 JSON.
    public static func parse(_ bytes: [UInt8]) throws -> JSONValue { try parse(String(decoding: bytes, as: UTF8.self)) }

    public subscript(key: String) -> JSONValue? { if case .object(let o) = self { o[key] } else { nil } }

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var array: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var int: Int64? {
        switch self {
        case .int(let n): n
        case .uint(let n): Int64(exactly: n)
        default: nil
        }
    }
    /// Any number, as a `Double`.
    public var number: Double? {
        switch self {
        case .int(let n): Double(n)
        case .uint(let n): Double(n)
        case .double(let n): n
        default: nil
        }
    }
    public var keys: Set<String> { if case .object(let o) = self { Set(o.keys) } else { [] } }

    public func isOf(type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("integer", .int), ("integer", .uint), ("number", .int), ("number", .uint),
             ("number", .double), ("string", .string), ("array", .array), ("object", .object): true
        default: false
        }
    }

    /// The text of a scalar as YAML writes it, to compare with `const` and `enum`.
    public var scalarText: String? {
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

    public var description: String {
        switch self {
        case .string(let s): "\"\(s.prefix(80))\""
        case .array(let a): "array of \(a.count)"
        case .object(let o): "object with \(o.keys.sorted())"
        default: scalarText ?? "?"
        }
    }
}
