/// An error from TalonStore, with a stable `code` and a human message. Equal when codes are equal.
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable, machine-readable code.
    public let code: String
    /// What went wrong, for a person.
    public let message: String
    /// The LMDB or errno return code, when there is one.
    public let status: Int32

    /// An error with a stable code and a message.
    public init(_ code: String, _ message: String, status: Int32 = 0) {
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String { "\(code): \(message)" }
    public static func == (a: StoreError, b: StoreError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// The environment could not be opened or created.
    public static let openFailed = StoreError("store_open_failed", "")
    /// A stored value does not decode: the store is damaged.
    public static let corrupt = StoreError("store_corrupt", "")
    /// LMDB reported an error.
    public static let lmdb = StoreError("store_error", "")
    /// A key or value is larger than LMDB allows.
    public static let tooLarge = StoreError("store_value_too_large", "")
    /// A put with `append` was given a key that does not sort after the last one.
    public static let notAppending = StoreError("store_not_appending", "")
}
