
/// Appends values in Talon's canonical binary form: fixed-width big-endian integers,
/// u32-length-prefixed byte strings, raw fixed-size keys, hashes and signatures.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty writer.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    /// Appends 2 bytes, big-endian.
    public mutating func u16(_ v: UInt16) { bytes.appendBigEndian(v) }
    /// Appends 4 bytes, big-endian.
    public mutating func u32(_ v: UInt32) { bytes.appendBigEndian(v) }
    /// Appends 8 bytes, big-endian.
    public mutating func u64(_ v: UInt64) { bytes.appendBigEndian(v) }
    /// Appends 8 bytes, big-endian two's complement.
    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }
    /// Appends bytes as they are, with no length.
    public mutating func raw(_ v: some Sequence<UInt8>) { bytes.append(contentsOf: v) }
    /// Appends a u32 length, then the bytes.
    public mutating func data(_ v: [UInt8]) {
        u32(UInt32(v.count))
        bytes.append(contentsOf: v)
    }
    /// Appends a u32 length, then the UTF-8 bytes.
    public mutating func string(_ v: String) {
        u32(UInt32(v.utf8.count))
        // Through the contiguous UTF-8 (`withUTF8`): appending the `utf8` view walks it
        // byte by byte, about twice as slow for the short strings records hold.
        var v = v
        v.withUTF8 { bytes.append(contentsOf: $0) }
    }
    /// Appends the 32 key bytes.
    public mutating func key(_ v: PublicKey) { v.withUnsafeBytes { bytes.append(raw: $0) } }
    /// Appends the 32 digest bytes.
    public mutating func digest(_ v: Digest) { v.withUnsafeBytes { bytes.append(raw: $0) } }
    /// Appends a u32 count, then each element.
    public mutating func list<T>(_ items: [T], _ each: (inout ByteWriter, T) -> Void) {
        u32(UInt32(items.count))
        for item in items { each(&self, item) }
    }
}
