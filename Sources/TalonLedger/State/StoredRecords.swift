public import TalonProtocol
public import TalonStore

// The kernel's records kept in LMDB tables in their canonical bytes.

extension Envelope: StoreValue {
    public var storeBytes: [UInt8] { bytes }
    public init(storeBytes: [UInt8]) throws { try self.init(bytes: storeBytes) }
}

extension Block: StoreValue {
    public var storeBytes: [UInt8] { bytes }
    public init(storeBytes: [UInt8]) throws { try self.init(bytes: storeBytes) }
}
