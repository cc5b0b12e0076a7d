import TalonProtocol

/// A value with a byte form for LMDB. Decoding stored bytes that do not parse throws,
/// so a damaged store surfaces as an error, never as a wrong value.
public protocol StoreValue {
    /// The bytes stored for this value.
    var storeBytes: [UInt8] { get }
    /// Decodes stored bytes.
    init(storeBytes: [UInt8]) throws
}

/// A key whose byte form sorts in the order of its values.
public protocol StoreKey: StoreValue {}

extension UInt64: StoreKey {
    /// 8 bytes, big-endian, so byte order is numeric order.
    public var storeBytes: [UInt8] { [UInt8](bigEndian: self) }
    public init(storeBytes b: [UInt8]) throws {
        guard b.count == 8 else { throw TalonError(.storeCorrupt, "expected an 8-byte integer, found \(b.count) bytes") }
        self = b.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

extension String: StoreKey {
    /// The UTF-8 bytes.
    public var storeBytes: [UInt8] { Array(utf8) }
    public init(storeBytes b: [UInt8]) throws {
        guard let s = String(validating: b, as: UTF8.self) else { throw TalonError(.storeCorrupt, "stored key is not UTF-8") }
        self = s
    }
}

extension Array: StoreValue, StoreKey where Element == UInt8 {
    /// The bytes themselves.
    public var storeBytes: [UInt8] { self }
    public init(storeBytes b: [UInt8]) { self = b }
}

/// A table whose keys and values are Swift types, encoded on the way in and decoded on the
/// way out.
public struct TypedTable<Key: StoreKey, Value: StoreValue>: Sendable {
    /// The underlying table.
    public let table: Table

    /// Types the table `table`.
    public init(_ table: Table) { self.table = table }

    /// The value under `key`, or nil.
    public func get(_ txn: Transaction, _ key: Key) throws -> Value? {
        try txn.get(table, key.storeBytes).map { try Value(storeBytes: $0) }
    }

    /// Stores `value` under `key`; with `append`, `key` must sort after every key present.
    public func put(_ txn: Transaction, _ key: Key, _ value: Value, append: Bool = false) throws {
        try txn.put(table, key.storeBytes, value.storeBytes, append: append)
    }

    /// Removes `key`; false when it was absent.
    @discardableResult
    public func delete(_ txn: Transaction, _ key: Key) throws -> Bool {
        try txn.delete(table, key.storeBytes)
    }

    /// The entry with the greatest key, or nil.
    public func last(_ txn: Transaction) throws -> (key: Key, value: Value)? {
        try txn.last(table).map { (try Key(storeBytes: $0.key), try Value(storeBytes: $0.value)) }
    }

    /// Visits entries in key order from `from` (inclusive) to `to` (exclusive) until `body` returns false.
    public func scan(_ txn: Transaction, from: Key? = nil, to: Key? = nil, _ body: (Key, Value) throws -> Bool) throws {
        try txn.scan(table, from: from?.storeBytes, to: to?.storeBytes) { k, v in
            try body(try Key(storeBytes: k), try Value(storeBytes: v))
        }
    }
}
