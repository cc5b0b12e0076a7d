import TalonLedger
public import TalonProtocol

/// The leader's answer to a forwarded submission: one outcome per envelope (a receipt, or
/// the reason admission refused it), or why the whole submission was not taken. Bytes:
/// `2 · count u32 · outcome*` where an outcome is `0 · leaf u64 · height u64 · position u32 ·
/// result` or `1 · code · message`; or `1 · code · message` for the whole; strings as
/// `length u16 · UTF-8`; a `code` is the name of a registered `Code`, and any other name
/// makes the frame malformed. (Kind 0, receipts only, was the form before per-envelope refusals.)
public enum ForwardReply: Sendable, Hashable {
    case outcomes([EnvelopeOutcome])
    case failed(TalonError)

    var bytes: [UInt8] {
        var w: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { w.appendBigEndian(v) }
        func put(_ s: String) {
            let utf8 = Array(s.utf8.prefix(Int(UInt16.max)))
            put(UInt16(utf8.count))
            w += utf8
        }
        switch self {
        case .outcomes(let outcomes):
            w.append(2)
            put(UInt32(outcomes.count))
            for outcome in outcomes {
                switch outcome {
                case .receipt(let r):
                    w.append(0)
                    put(r.leaf); put(r.height); put(r.position); put(r.result)
                case .rejected(let e):
                    w.append(1)
                    put(e.code.name); put(e.message)
                }
            }
        case .failed(let error):
            w.append(1)
            put(error.code.name)
            put(error.message)
        }
        return w
    }

    init(_ r: inout FrameReader) throws(TalonError) {
        switch try r.u8() {
        case 2:
            let count = try r.u32()
            // The smallest outcome is a refusal with two empty strings: 5 bytes.
            guard count <= r.remaining / 5 else { throw TalonError(.peerMalformed, "\(count) outcomes cannot fit in the frame") }
            var outcomes: [EnvelopeOutcome] = []
            for _ in 0..<count {
                switch try r.u8() {
                case 0:
                    let leaf = try r.u64(), height = try r.u64(), position = try r.u32()
                    outcomes.append(.receipt(Receipt(leaf: leaf, height: height, position: position, result: try r.string())))
                case 1:
                    let code = try r.code()
                    outcomes.append(.rejected(TalonError(code, try r.string())))
                case let kind:
                    throw TalonError(.peerMalformed, "unknown envelope outcome kind \(kind)")
                }
            }
            self = .outcomes(outcomes)
        case 1:
            let code = try r.code()
            self = .failed(TalonError(code, try r.string()))
        case let kind:
            throw TalonError(.peerMalformed, "unknown forward reply kind \(kind)")
        }
    }
}

/// Reads big-endian fields from a frame body; running short is `TalonError(.peerMalformed)`.
struct FrameReader {
    private let bytes: ArraySlice<UInt8>
    private var at: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        at = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - at }

    private mutating func take(_ n: Int) throws(TalonError) -> ArraySlice<UInt8> {
        guard remaining >= n else { throw TalonError(.peerMalformed, "frame ends \(n - remaining) bytes early") }
        defer { at += n }
        return bytes[at..<at + n]
    }

    private mutating func int<T: FixedWidthInteger>(_: T.Type) throws(TalonError) -> T {
        try take(MemoryLayout<T>.size).reduce(0) { $0 << 8 | T($1) }
    }

    mutating func u8() throws(TalonError) -> UInt8 { try int(UInt8.self) }
    mutating func u32() throws(TalonError) -> UInt32 { try int(UInt32.self) }
    mutating func u64() throws(TalonError) -> UInt64 { try int(UInt64.self) }

    mutating func string() throws(TalonError) -> String {
        let n = Int(try int(UInt16.self))
        guard let s = String(validating: try take(n), as: UTF8.self) else {
            throw TalonError(.peerMalformed, "string is not UTF-8")
        }
        return s
    }

    /// A string naming a code of the registry; any other is a malformed frame.
    mutating func code() throws(TalonError) -> Code {
        let name = try string()
        guard let code = Code(rawValue: name) else { throw TalonError(.peerMalformed, "unknown code \(name.prefix(64))") }
        return code
    }

    func finish() throws(TalonError) {
        guard remaining == 0 else { throw TalonError(.peerMalformed, "\(remaining) bytes after the frame's fields") }
    }
}
