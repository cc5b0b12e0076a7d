extension [UInt8] {
    /// The big-endian bytes of `v` (a key that sorts numerically, a length prefix).
    @inlinable
    public init<T: FixedWidthInteger>(bigEndian v: T) {
        self = Swift.withUnsafeBytes(of: v.bigEndian) { Array($0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Appends `v` as big-endian bytes. Copied as a typed buffer, in one move:
    /// `append(contentsOf:)` copies a raw buffer byte by byte, about three times slower.
    @inlinable
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0.assumingMemoryBound(to: UInt8.self)) }
    }

    /// Appends raw bytes (a key's, a digest's), copied as a typed buffer in one move.
    @inlinable
    public mutating func append(raw: UnsafeRawBufferPointer) {
        append(contentsOf: raw.assumingMemoryBound(to: UInt8.self))
    }
}
