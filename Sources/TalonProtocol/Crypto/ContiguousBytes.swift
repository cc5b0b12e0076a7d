/// Something whose bytes can be read in place: arrays, slices and `Digest`.
public protocol ContiguousBytes {
    /// Calls `body` with the bytes; the pointer must not escape the call.
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
