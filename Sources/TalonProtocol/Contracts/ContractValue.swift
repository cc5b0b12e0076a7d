/// A value a contract sees: the context and parameters are built from these, and they
/// become Lua values (integers, strings, booleans, tables with string keys, arrays).
///
/// There are no floats: money is an integer number of minor units.
public enum ContractValue: Hashable, Sendable {
    /// A Lua integer.
    case int(Int64)
    /// A Lua string (UTF-8).
    case string(String)
    /// A Lua boolean.
    case bool(Bool)
    /// A Lua table with string keys (read-only in the script).
    case table([String: ContractValue])
    /// A Lua array, indices 1...n (read-only in the script).
    case array([ContractValue])

    /// The integer, if this is one.
    public var intValue: Int64? { if case .int(let v) = self { v } else { nil } }
    /// The string, if this is one.
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    /// The boolean, if this is one.
    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    /// The table, if this is one.
    public var tableValue: [String: ContractValue]? { if case .table(let v) = self { v } else { nil } }
}

extension ContractValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral
{
    /// An integer value.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A table value; a repeated key keeps the last value.
    public init(dictionaryLiteral elements: (String, ContractValue)...) {
        self = .table(Dictionary(elements, uniquingKeysWith: { $1 }))
    }
    /// An array value.
    public init(arrayLiteral elements: ContractValue...) { self = .array(elements) }
}

/// JSON: integers, strings, booleans, objects and arrays. Floats and `null` are refused.
extension ContractValue: Codable {
    /// Decodes a JSON value; refuses floats and null.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int64.self) { self = .int(i) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let t = try? container.decode([String: ContractValue].self) { self = .table(t) }
        else if let a = try? container.decode([ContractValue].self) { self = .array(a) }
        else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an integer, string, boolean, object or array (no floats, no null)")
        }
    }

    /// Encodes the value as JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        case .bool(let v): try container.encode(v)
        case .table(let v): try container.encode(v)
        case .array(let v): try container.encode(v)
        }
    }
}
