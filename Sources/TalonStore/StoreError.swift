public import TalonProtocol

/// An error from TalonStore: a registered code and a human message. Equal when codes are equal.
public struct StoreError: CodedError, Hashable {
    /// The stable code, e.g. `store_map_full`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String
    /// The LMDB or errno return code, when there is one.
    public let status: Int32

    /// An error with a registered code and a message.
    public init(_ code: Code, _ message: String, status: Int32 = 0) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// Equal when the codes are equal; the message and status are ignored.
    public static func == (a: StoreError, b: StoreError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// The environment could not be opened or created.
    public static let openFailed = StoreError(.storeOpenFailed, "")
    /// A stored value does not decode: the store is damaged.
    public static let corrupt = StoreError(.storeCorrupt, "")
    /// LMDB reported an error.
    public static let lmdb = StoreError(.storeError, "")
    /// A key or value is larger than LMDB allows.
    public static let tooLarge = StoreError(.storeValueTooLarge, "")
    /// A put with `append` was given a key that does not sort after the last one.
    public static let notAppending = StoreError(.storeNotAppending, "")
}
