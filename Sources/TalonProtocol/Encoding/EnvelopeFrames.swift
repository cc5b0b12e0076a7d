/// The binary submission body of `POST /v1/envelopes` (media type `mediaType`): one or more
/// frames, each a `u32` big-endian length followed by that many bytes of one canonical
/// envelope, and nothing after the last frame (docs/format.md "Envelope frames"). The node
/// decodes it and the CLI encodes it with this one type.
public enum EnvelopeFrames {
    /// The media type of a framed body.
    public static let mediaType = "application/vnd.talon.envelopes"

    /// The framed body of `envelopes`, in order.
    public static func encode(_ envelopes: some Sequence<Envelope>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(envelopes.underestimatedCount * 200)
        for envelope in envelopes {
            let n = UInt32(truncatingIfNeeded: envelope.bytes.count)
            out.append(contentsOf: [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
            out.append(contentsOf: envelope.bytes)
        }
        return out
    }

    /// Decodes a framed body: every frame must hold one canonical envelope
    /// (`Envelope.init(bytes:)`), and nothing may follow the last frame. Nothing is returned
    /// unless every frame decodes, so a failure loses no envelope silently.
    /// - Parameter maxEnvelopes: the most frames accepted; counting stops there, before
    ///   the frames beyond it are decoded.
    /// - Throws: `TalonError(.invalidBatch)` for a body with no frame, `.truncated` when it
    ///   ends inside a frame's length, `.overlongLength` for a frame length beyond the bytes
    ///   left or `Limits.envelopeBytes`, `.batchTooLarge` past `maxEnvelopes` frames, and
    ///   whatever `Envelope.init(bytes:)` throws for a frame's bytes (`non_canonical`,
    ///   `trailing_bytes`, …); every message names the frame (from 0).
    public static func decode(_ body: [UInt8], maxEnvelopes: Int = WriteLimits.batchEnvelopes) throws(TalonError) -> [Envelope] {
        guard !body.isEmpty else {
            throw TalonError(.invalidBatch, "empty body: send one or more frames (u32 big-endian length, then a canonical envelope)")
        }
        var spans: [Range<Int>] = []
        var offset = 0
        while offset < body.count {
            let frame = spans.count
            guard spans.count < maxEnvelopes else {
                throw TalonError(.batchTooLarge, "a submission holds at most \(maxEnvelopes) envelopes; frame \(frame) is one more")
            }
            guard body.count - offset >= 4 else {
                throw TalonError(.truncated, "frame \(frame): the body ends inside its length (\(body.count - offset) of 4 bytes, at offset \(offset))")
            }
            let length = Int(body[offset]) << 24 | Int(body[offset + 1]) << 16 | Int(body[offset + 2]) << 8 | Int(body[offset + 3])
            let start = offset + 4
            guard length <= Limits.envelopeBytes else {
                throw TalonError(.overlongLength, "frame \(frame): length \(length) exceeds the largest envelope, \(Limits.envelopeBytes) bytes")
            }
            guard length <= body.count - start else {
                throw TalonError(.overlongLength, "frame \(frame): length \(length) exceeds the \(body.count - start) bytes left at offset \(offset)")
            }
            spans.append(start..<start + length)
            offset = start + length
        }
        var envelopes: [Envelope] = []
        envelopes.reserveCapacity(spans.count)
        for (frame, span) in spans.enumerated() {
            do {
                envelopes.append(try Envelope(bytes: Array(body[span])))
            } catch {
                throw TalonError(error.code, "frame \(frame): \(error.message)")
            }
        }
        return envelopes
    }
}
