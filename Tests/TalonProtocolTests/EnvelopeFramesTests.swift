import TalonProtocol
import TalonRaft
import Testing

/// The binary submission body (`EnvelopeFrames`): frames round-trip, and every malformed
/// body is refused with its stable code, naming the frame, before any envelope is returned.
@Suite struct EnvelopeFramesTests {
    static let key = SigningKey(seed: [UInt8](repeating: 0x31, count: 32))!
    static let other = SigningKey(seed: [UInt8](repeating: 0x32, count: 32))!.publicKey

    static func transfer(_ i: Int) -> Envelope {
        Envelope(chainID: "talon-frames", nonce: UInt64(i + 1), operation: .transfer(Transfer(ticketID: "T-\(i)", to: other)), signedBy: key)
    }

    static let envelopes = (0..<5).map(transfer)

    /// `length` as the u32 big-endian prefix of a frame.
    static func prefix(_ length: Int) -> [UInt8] {
        let n = UInt32(truncatingIfNeeded: length)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }

    static func frame(_ bytes: [UInt8]) -> [UInt8] { prefix(bytes.count) + bytes }

    /// The error decoding `body` gives, or nil when it decodes.
    static func error(_ body: [UInt8], maxEnvelopes: Int = WriteLimits.batchEnvelopes) -> TalonError? {
        do { _ = try EnvelopeFrames.decode(body, maxEnvelopes: maxEnvelopes); return nil } catch { return error }
    }

    @Test func oneAndManyFramesRoundTrip() throws {
        for count in [1, 2, 5] {
            let some = Array(Self.envelopes.prefix(count))
            let body = EnvelopeFrames.encode(some)
            #expect(body == some.flatMap { Self.frame($0.bytes) }, "u32 big-endian length, then the canonical bytes")
            #expect(try EnvelopeFrames.decode(body) == some)
        }
        #expect(EnvelopeFrames.mediaType == "application/vnd.talon.envelopes")
    }

    @Test func anEmptyBodyHoldsNoFrame() {
        #expect(Self.error([]) == TalonError(.invalidBatch))
    }

    /// 1–3 bytes where a length should be: the body ends inside it.
    @Test func aTruncatedLengthIsTruncated() {
        let whole = EnvelopeFrames.encode(Array(Self.envelopes.prefix(2)))
        for extra in 1...3 {
            let body = whole + Array(Self.prefix(100).prefix(extra))
            let error = Self.error(body)
            #expect(error == TalonError(.truncated), "\(extra) bytes after the last frame")
            #expect(error?.message.hasPrefix("frame 2:") == true, "\(String(describing: error))")
        }
    }

    /// A length beyond the bytes left: the format's `overlong_length`, as for a string.
    @Test func aTruncatedFrameIsOverlong() {
        let body = EnvelopeFrames.encode(Array(Self.envelopes.prefix(2)))
        let error = Self.error(Array(body.dropLast()))
        #expect(error == TalonError(.overlongLength))
        #expect(error?.message.hasPrefix("frame 1:") == true, "\(String(describing: error))")
    }

    @Test func aLengthOverTheLargestEnvelopeIsRefusedBeforeReading() {
        // Enough bytes follow, so only the limit refuses it.
        let body = Self.prefix(Limits.envelopeBytes + 1) + [UInt8](repeating: 0, count: Limits.envelopeBytes + 1)
        let error = Self.error(body)
        #expect(error == TalonError(.overlongLength))
        #expect(error?.message.contains("largest envelope") == true, "\(String(describing: error))")
        #expect(Self.error(Self.prefix(Int(UInt32.max))) == TalonError(.overlongLength))
    }

    /// Bytes after a complete envelope inside its frame are the envelope's trailing bytes.
    @Test func trailingBytesInsideAFrame() {
        let body = Self.frame(Self.envelopes[0].bytes) + Self.frame(Self.envelopes[1].bytes + [0])
        let error = Self.error(body)
        #expect(error == TalonError(.trailingBytes))
        #expect(error?.message.hasPrefix("frame 1:") == true)
    }

    @Test func anEmptyFrameIsTruncated() {
        #expect(Self.error(Self.prefix(0)) == TalonError(.truncated))
    }

    /// Bytes that decode but are not the one canonical form (invalid UTF-8 in the chain id),
    /// and the decoder's other refusals, reach the caller with their codes.
    @Test func aFrameThatIsNotOneCanonicalEnvelope() {
        let bytes = Self.envelopes[0].bytes
        var badUTF8 = bytes
        badUTF8[5] = 0xFF   // the chain id's first byte (after version u8 and its u32 length)
        var version = bytes
        version[0] = 2
        var kind = bytes
        let kindOffset = 1 + 4 + "talon-frames".utf8.count + 32 + 8
        kind[kindOffset] = 0xFF
        kind[kindOffset + 1] = 0xFF
        for (envelope, code) in [(badUTF8, Code.nonCanonical), (version, .unknownVersion), (kind, .unknownOperation)] {
            let body = Self.frame(bytes) + Self.frame(envelope)
            let error = Self.error(body)
            #expect(error == TalonError(code))
            #expect(error?.message.hasPrefix("frame 1:") == true, "\(String(describing: error))")
        }
    }

    @Test func moreFramesThanTheLimitIsBatchTooLarge() throws {
        let body = EnvelopeFrames.encode(Self.envelopes)
        #expect(try EnvelopeFrames.decode(body, maxEnvelopes: 5).count == 5)
        #expect(Self.error(body, maxEnvelopes: 4) == TalonError(.batchTooLarge))
        // The count is checked as frames are found, before any envelope is decoded.
        #expect(Self.error(body + Self.prefix(3) + [1, 2, 3], maxEnvelopes: 5) == TalonError(.batchTooLarge))
    }

    /// Every cut of a body, and random bytes written over it, give a refusal with one of the
    /// decoder's codes or envelopes that re-encode to exactly the body: never a crash.
    @Test func randomCutsAndDamageNeverCrash() {
        let body = EnvelopeFrames.encode(Self.envelopes)
        let codes: Set<TalonError> = [TalonError(.invalidBatch), TalonError(.truncated), TalonError(.overlongLength), TalonError(.trailingBytes),
                                      TalonError(.nonCanonical), TalonError(.unknownVersion), TalonError(.unknownOperation)]
        for length in 0..<body.count {
            let cut = Array(body.prefix(length))
            if let error = Self.error(cut) { #expect(codes.contains(error), "cut at \(length): \(error)") } else {
                #expect(length == 0 || EnvelopeFrames.encode((try? EnvelopeFrames.decode(cut)) ?? []) == cut)
            }
        }
        var rng = SplitMix64(seed: 20)
        for round in 0..<2000 {
            var damaged = body
            for _ in 0...(rng.next() % 4) { damaged[Int(rng.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            let cut = Array(damaged.prefix(Int(rng.next() % UInt64(damaged.count + 1))))
            do {
                let decoded = try EnvelopeFrames.decode(cut)
                #expect(EnvelopeFrames.encode(decoded) == cut, "seed 20 round \(round): decoded but not canonical")
            } catch {
                #expect(codes.contains(error), "seed 20 round \(round): \(error)")
            }
        }
    }
}
