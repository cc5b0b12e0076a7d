
/// Reads values in Talon's canonical binary form, refusing anything that is not canonical:
/// lengths beyond the input or a field's limit, invalid UTF-8, and (via `finish`) trailing bytes.
public struct ByteReader {
    private let bytes: [UInt8]
    /// The offset of the next unread byte.
    public private(set) var offset: Int

    /// A reader over `bytes` from `offset`.
    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Bytes not yet read.
    public var remaining: Int { bytes.count - offset }

    /// Throws unless every byte was read.
    /// - Throws: `TalonError(.trailingBytes)`.
    public func finish() throws(TalonError) {
        if remaining != 0 { throw TalonError(.trailingBytes, "\(remaining) bytes after the end of the value") }
    }

    private mutating func take(_ n: Int) throws(TalonError) -> ArraySlice<UInt8> {
        guard n <= remaining else { throw TalonError(.truncated, "needs \(n) bytes at offset \(offset), \(remaining) left") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws(TalonError) -> T {
        let s = try take(MemoryLayout<T>.size)
        var v: T = 0
        for b in s { v = v << 8 | T(b) }
        return v
    }

    /// One byte.
    public mutating func u8() throws(TalonError) -> UInt8 { try integer(UInt8.self) }
    /// 2 bytes, big-endian.
    public mutating func u16() throws(TalonError) -> UInt16 { try integer(UInt16.self) }
    /// 4 bytes, big-endian.
    public mutating func u32() throws(TalonError) -> UInt32 { try integer(UInt32.self) }
    /// 8 bytes, big-endian.
    public mutating func u64() throws(TalonError) -> UInt64 { try integer(UInt64.self) }
    /// 8 bytes, big-endian two's complement.
    public mutating func i64() throws(TalonError) -> Int64 { Int64(bitPattern: try integer(UInt64.self)) }
    /// `n` bytes as they are.
    public mutating func raw(_ n: Int) throws(TalonError) -> [UInt8] { Array(try take(n)) }

    /// Steps over `n` bytes without copying them.
    /// - Throws: `TalonError(.truncated)`.
    public mutating func skip(_ n: Int) throws(TalonError) { _ = try take(n) }

    /// A u32 length then that many bytes, as a view into the input (no copy, no UTF-8 check).
    /// - Throws: as `data(max:)`.
    public mutating func view(max: Int) throws(TalonError) -> ArraySlice<UInt8> {
        let n = Int(try u32())
        guard n <= max else { throw TalonError(.overlongLength, "length \(n) exceeds the limit \(max) at offset \(offset - 4)") }
        guard n <= remaining else { throw TalonError(.overlongLength, "length \(n) exceeds the \(remaining) bytes left at offset \(offset - 4)") }
        return try take(n)
    }

    /// A u32 length then that many bytes; the length may not exceed `max` nor the input.
    /// - Throws: `TalonError(.overlongLength)`, `TalonError(.truncated)`.
    public mutating func data(max: Int) throws(TalonError) -> [UInt8] { Array(try view(max: max)) }

    /// A u32 length then that many bytes of valid UTF-8.
    /// - Throws: `TalonError(.nonCanonical)` on invalid UTF-8, and as `data(max:)`.
    public mutating func string(max: Int) throws(TalonError) -> String {
        let b = try view(max: max)
        // Decoding repairs invalid UTF-8, so the bytes come back unchanged only when they
        // were valid (this is cheaper than the generic `String(validating:as:)`). A repair
        // can keep the length (a cut four-byte sequence becomes one three-byte U+FFFD), so
        // the bytes are compared, through the contiguous UTF-8, not the byte-wise view.
        var s = String(decoding: b, as: UTF8.self)
        guard s.utf8.count == b.count, s.withUTF8({ $0.elementsEqual(b) }) else {
            throw TalonError(.nonCanonical, "invalid UTF-8 in a string ending at offset \(offset)")
        }
        return s
    }

    /// 32 key bytes.
    public mutating func key() throws(TalonError) -> PublicKey {
        guard let k = PublicKey(bytes: try take(32)) else { throw TalonError(.truncated) }
        return k
    }

    /// 32 digest bytes.
    public mutating func digest() throws(TalonError) -> Digest {
        guard let d = Digest(bytes: try take(32)) else { throw TalonError(.truncated) }
        return d
    }

    /// A u32 count then that many elements; the count may not exceed `max`, nor the bytes
    /// left divided by `minElementSize`.
    public mutating func list<T>(max: Int, minElementSize: Int, _ each: (inout ByteReader) throws(TalonError) -> T) throws(TalonError) -> [T] {
        let n = Int(try u32())
        guard n <= max, n * minElementSize <= remaining else {
            throw TalonError(.overlongLength, "count \(n) exceeds the limit or the bytes left at offset \(offset - 4)")
        }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try each(&self)) }
        return out
    }
}
