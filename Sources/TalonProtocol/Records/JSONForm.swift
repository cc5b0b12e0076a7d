#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads and writes the JSON forms of Talon records: snake_case keys, sorted on output,
/// unknown keys refused on input, so JSON → binary → JSON is lossless.
public enum JSONForm {
    /// Encodes `value` as compact JSON with sorted keys.
    public static func encode(_ value: some Encodable, pretty: Bool = false) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        // Every Talon record type encodes without throwing: only strings, integers, arrays, objects.
        return (try? Array(e.encode(value))) ?? Array("null".utf8)
    }

    /// Decodes `T` from JSON bytes.
    /// - Throws: `TalonError(.invalidJSON)` with the path of the offending field.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws(TalonError) -> T {
        do {
            try StrictJSON.check(bytes)
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let e as TalonError {
            throw e
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw TalonError(.invalidJSON, "missing field '\(path(ctx.codingPath + [key]))'")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw TalonError(.invalidJSON, "wrong type at '\(path(ctx.codingPath))': \(ctx.debugDescription)")
        } catch let DecodingError.valueNotFound(_, ctx) {
            throw TalonError(.invalidJSON, "null at '\(path(ctx.codingPath))'")
        } catch let DecodingError.dataCorrupted(ctx) {
            let underlying = ctx.underlyingError.map { " (\($0))" } ?? ""
            throw TalonError(.invalidJSON, "invalid value at '\(path(ctx.codingPath))': \(ctx.debugDescription)\(underlying)")
        } catch {
            throw TalonError(.invalidJSON, "\(error)")
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "$" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().dropFirst().description
    }
}

/// A coding key that accepts any name, used to find keys a type does not know.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    package init(_ s: String) { stringValue = s }
    package init?(stringValue: String) { self.stringValue = stringValue }
    package init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws when the JSON object holds a key outside `allowed`.
    func rejectUnknownKeys(_ allowed: Set<String>) throws {
        let c = try container(keyedBy: AnyKey.self)
        for k in c.allKeys where !allowed.contains(k.stringValue) {
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath + [k], debugDescription: "unknown field '\(k.stringValue)'"))
        }
    }
}

extension KeyedDecodingContainer where K == AnyKey {
    func get<T: Decodable>(_ key: String, as: T.Type = T.self) throws -> T { try decode(T.self, forKey: AnyKey(key)) }
}

extension KeyedEncodingContainer where K == AnyKey {
    mutating func put(_ value: some Encodable, _ key: String) throws { try encode(value, forKey: AnyKey(key)) }
}
