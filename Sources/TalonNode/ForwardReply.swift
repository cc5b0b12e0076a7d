public import TalonLedger

/// The leader's answer to a forwarded submission: one receipt per envelope, or why it was
/// not taken. Bytes: `0 · count u32 · (leaf u64 · height u64 · position u32 · result)*` or
/// `1 · code · message`, strings as `length u16 · UTF-8`.
public enum ForwardReply: Sendable, Hashable {
    case receipts([Receipt])
    case failed(NodeError)

    var bytes: [UInt8] {
        var w: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { w.append(contentsOf: $0) } }
        func put(_ s: String) {
            let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
            put(UInt16(utf8.count))
            w += utf8
        }
        switch self {
        case .receipts(let receipts):
            w.append(0)
            put(UInt32(receipts.count))
            for r in receipts { put(r.leaf); put(r.height); put(r.position); put(r.result) }
        case .failed(let error):
            w.append(1)
            put(error.code)
            put(error.message)
        }
        return w
    }

    init(_ r: inout FrameReader) throws(NodeError) {
        switch try r.u8() {
        case 0:
            let count = try r.u32()
            guard count <= r.remaining / 22 else { throw NodeError.malformedFrame.with("\(count) receipts cannot fit in the frame") }
            var receipts: [Receipt] = []
            for _ in 0..<count {
                let leaf = try r.u64(), height = try r.u64(), position = try r.u32()
                receipts.append(Receipt(leaf: leaf, height: height, position: position, result: try r.string()))
            }
            self = .receipts(receipts)
        case 1:
            let code = try r.string()
            self = .failed(NodeError(code, try r.string()))
        case let kind:
            throw NodeError.malformedFrame.with("unknown forward reply kind \(kind)")
        }
    }
}

/// Reads big-endian fields from a frame body; running short is `NodeError.malformedFrame`.
struct FrameReader {
    private let bytes: ArraySlice<UInt8>
    private var at: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        at = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - at }

    private mutating func take(_ n: Int) throws(NodeError) -> ArraySlice<UInt8> {
        guard remaining >= n else { throw NodeError.malformedFrame.with("frame ends \(n - remaining) bytes early") }
        defer { at += n }
        return bytes[at..<at + n]
    }

    private mutating func int<T: FixedWidthInteger>(_: T.Type) throws(NodeError) -> T {
        try take(MemoryLayout<T>.size).reduce(0) { $0 << 8 | T($1) }
    }

    mutating func u8() throws(NodeError) -> UInt8 { try int(UInt8.self) }
    mutating func u32() throws(NodeError) -> UInt32 { try int(UInt32.self) }
    mutating func u64() throws(NodeError) -> UInt64 { try int(UInt64.self) }

    mutating func string() throws(NodeError) -> String {
        let n = Int(try int(UInt16.self))
        guard let s = String(validating: try take(n), as: UTF8.self) else {
            throw NodeError.malformedFrame.with("string is not UTF-8")
        }
        return s
    }

    func finish() throws(NodeError) {
        guard remaining == 0 else { throw NodeError.malformedFrame.with("\(remaining) bytes after the frame's fields") }
    }
}
