import PropertyBased
import TalonProtocol
import TalonLedger

// Generators for the encoding tests: signed envelopes of every operation kind, built from
// random seeds, ids from the id alphabet, unicode text and integers over their full ranges.

/// A signed envelope together with the key that signed it.
struct SignedEnvelope: Sendable, CustomStringConvertible {
    let envelope: Envelope
    let key: SigningKey

    var description: String { String(decoding: JSONForm.encode(envelope), as: UTF8.self) }
}

/// Builds random envelopes from a random number generator.
///
/// With `valid: true` every field obeys docs/format.md's admission rules (ids of the id
/// alphabet, text without control characters, capacity ≥ 1, doors before start, ISO 4217
/// currency, 1+ unique tickets, unique sections). With `valid: false` fields are only held
/// to the decoder's size limits: empty ids and lists, control characters, capacity 0, …
enum EnvelopeGen {
    /// `A–Z a–z 0–9 . _ : / -`, the bytes an id may hold.
    static let idAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-".utf8)

    /// Ranges of scalars none of which is a control character (general category Cc).
    private static let textRanges: [ClosedRange<UInt32>] = [
        0x20...0x7E,        // printable ASCII
        0xA0...0xFF,        // Latin-1 supplement
        0x100...0x17F,      // Latin extended-A
        0x300...0x36F,      // combining marks, also at the start of a string
        0x391...0x3C9,      // Greek
        0x410...0x44F,      // Cyrillic
        0x5D0...0x5EA,      // Hebrew (right to left)
        0x200B...0x200D,    // zero-width space and joiners (format, not control)
        0x4E00...0x9FFF,    // CJK
        0xE000...0xE0FF,    // private use
        0x1F300...0x1F64F,  // emoji, 4 bytes of UTF-8
        0x10000...0x1007F,  // Linear B, 4 bytes
    ]
    /// Control characters (C0, DEL, C1), which only invalid text may hold.
    private static let controlRanges: [ClosedRange<UInt32>] = [0x00...0x1F, 0x7F...0x9F]

    static func bytes(_ n: Int, using rng: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<n).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
    }

    static func signingKey(using rng: inout some RandomNumberGenerator) -> SigningKey {
        SigningKey(seed: bytes(32, using: &rng))!
    }

    static func publicKey(using rng: inout some RandomNumberGenerator) -> PublicKey {
        signingKey(using: &rng).publicKey
    }

    /// True with probability `p`.
    static func chance(_ p: Double, using rng: inout some RandomNumberGenerator) -> Bool {
        Double.random(in: 0..<1, using: &rng) < p
    }

    /// A valid id: 1–128 bytes of the id alphabet, sometimes exactly 1 or 128.
    static func id(using rng: inout some RandomNumberGenerator) -> String {
        let n: Int
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: n = Limits.idBytes
        case 1: n = 1
        default: n = Int.random(in: 1...24, using: &rng)
        }
        return String(decoding: (0..<n).map { _ in idAlphabet.randomElement(using: &rng)! }, as: UTF8.self)
    }

    private static func scalar(from ranges: [ClosedRange<UInt32>], using rng: inout some RandomNumberGenerator) -> Unicode.Scalar {
        let range = ranges.randomElement(using: &rng)!
        return Unicode.Scalar(UInt32.random(in: range, using: &rng))!
    }

    /// Text of at most `maxBytes` UTF-8 bytes; sometimes exactly `maxBytes`. With
    /// `controls`, some scalars are control characters.
    static func text(maxBytes: Int, allowEmpty: Bool, controls: Bool = false, using rng: inout some RandomNumberGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        var size = 0
        func add(_ s: Unicode.Scalar) { scalars.append(s); size += String(s).utf8.count }
        let fill = chance(0.1, using: &rng)
        let count = fill ? Int.max : Int.random(in: (allowEmpty ? 0 : 1)...16, using: &rng)
        var added = 0
        while added < count, size + 4 <= maxBytes {
            let s = controls && chance(0.2, using: &rng)
                ? scalar(from: controlRanges, using: &rng) : scalar(from: textRanges, using: &rng)
            add(s)
            added += 1
        }
        // Fill to exactly `maxBytes` with ASCII (or to at least one scalar if none fitted).
        while (fill && size < maxBytes) || (!allowEmpty && size == 0) {
            add(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &rng)))
        }
        return String(scalars)
    }

    /// Any value, with the edges (min, max, 0, ±1) over-represented.
    static func int64(using rng: inout some RandomNumberGenerator) -> Int64 {
        chance(0.3, using: &rng)
            ? [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max].randomElement(using: &rng)!
            : Int64.random(in: .min ... .max, using: &rng)
    }

    static func uint64(using rng: inout some RandomNumberGenerator) -> UInt64 {
        chance(0.3, using: &rng)
            ? [0, 1, UInt64(Int64.max), UInt64.max - 1, UInt64.max].randomElement(using: &rng)!
            : UInt64.random(in: .min ... .max, using: &rng)
    }

    static func uint32(atLeast low: UInt32, using rng: inout some RandomNumberGenerator) -> UInt32 {
        chance(0.3, using: &rng)
            ? [low, low + 1, UInt32.max - 1, UInt32.max].randomElement(using: &rng)!
            : UInt32.random(in: low ... .max, using: &rng)
    }

    private static func idField(_ valid: Bool, using rng: inout some RandomNumberGenerator) -> String {
        valid || chance(0.5, using: &rng) ? id(using: &rng) : text(maxBytes: Limits.idBytes, allowEmpty: true, controls: true, using: &rng)
    }

    private static func textField(_ valid: Bool, allowEmpty: Bool = false, maxBytes: Int = Limits.textBytes,
                                  using rng: inout some RandomNumberGenerator) -> String {
        text(maxBytes: maxBytes, allowEmpty: allowEmpty || !valid, controls: !valid, using: &rng)
    }

    /// `count` strings, all different (under Swift's `String` equality, the stricter notion).
    private static func distinct<R: RandomNumberGenerator>(_ count: Int, _ make: (inout R) -> String, using rng: inout R) -> [String] {
        var seen = Set<String>(), out: [String] = []
        while out.count < count {
            let s = make(&rng)
            if seen.insert(s).inserted { out.append(s) }
        }
        return out
    }

    /// A random operation of `kind`.
    static func operation(_ kind: LedgerOperation.Kind, valid: Bool, using rng: inout some RandomNumberGenerator) -> LedgerOperation {
        switch kind {
        case .registerIssuer:
            return .registerIssuer(RegisterIssuer(issuer: publicKey(using: &rng), name: textField(valid, using: &rng)))
        case .createEvent:
            var times = [int64(using: &rng), int64(using: &rng)]
            if valid { times.sort() }
            let currency = valid
                ? String(decoding: (0..<3).map { _ in UInt8.random(in: 65...90, using: &rng) }, as: UTF8.self)
                : textField(false, using: &rng)
            return .createEvent(CreateEvent(
                eventID: idField(valid, using: &rng), name: textField(valid, using: &rng), venue: textField(valid, using: &rng),
                startsAt: times[1], doorsOpenAt: times[0], capacity: uint32(atLeast: valid ? 1 : 0, using: &rng), currency: currency))
        case .registerGate:
            let count = chance(0.05, using: &rng) ? Limits.sectionsPerGate : Int.random(in: 0...4, using: &rng)
            let sections = valid
                ? distinct(count, { text(maxBytes: 12, allowEmpty: false, using: &$0) }, using: &rng)
                : (0..<count).map { _ in textField(false, using: &rng) }
            return .registerGate(RegisterGate(eventID: idField(valid, using: &rng), gate: publicKey(using: &rng),
                                              name: textField(valid, using: &rng), sections: sections))
        case .issue:
            let count = chance(0.05, using: &rng) ? 20 : Int.random(in: (valid ? 1 : 0)...4, using: &rng)
            let ids = valid ? distinct(count, { id(using: &$0) }, using: &rng) : (0..<count).map { _ in idField(false, using: &rng) }
            let tickets = ids.map { ticketID in
                TicketSpec(ticketID: ticketID, section: textField(valid, allowEmpty: true, using: &rng),
                           seat: textField(valid, allowEmpty: true, using: &rng), faceValue: valid ? uint64(using: &rng) % (Limits.maxAmount + 1) : uint64(using: &rng),
                           holder: publicKey(using: &rng))
            }
            return .issue(IssueTickets(eventID: idField(valid, using: &rng), tickets: tickets))
        case .transfer:
            return .transfer(Transfer(ticketID: idField(valid, using: &rng), to: publicKey(using: &rng)))
        case .redeem:
            return .redeem(Redeem(ticketID: idField(valid, using: &rng), sequence: uint64(using: &rng), scannedAt: int64(using: &rng)))
        case .void:
            return .void(VoidTicket(ticketID: idField(valid, using: &rng),
                                    reason: textField(valid, allowEmpty: true, maxBytes: Limits.reasonBytes, using: &rng)))
        case .deployContract:
            return .deployContract(DeployContract(source: valid ? "function on_transfer() return true end -- " + text(maxBytes: 40, allowEmpty: true, using: &rng) : ""))
        case .bindContract:
            let params = valid ? "{\"limit\": \(Int.random(in: 0...1000, using: &rng))}" : ["[1]", "{", "{\"x\": 1.5}", "null"].randomElement(using: &rng) ?? "["
            var digest = [UInt8](repeating: 0, count: 32)
            for i in digest.indices { digest[i] = UInt8.random(in: 0...255, using: &rng) }
            return .bindContract(BindContract(eventID: valid ? id(using: &rng) : idField(Bool.random(using: &rng), using: &rng),
                                              contract: Digest(bytes: digest) ?? SHA256.hash([]), params: params))
        case .listResale:
            return .listResale(ListResale(ticketID: idField(valid, using: &rng), price: UInt64.random(in: 0...Limits.maxAmount, using: &rng),
                                          fees: UInt64.random(in: 0...Limits.maxAmount, using: &rng)))
        case .cancelListing:
            return .cancelListing(CancelListing(ticketID: idField(valid, using: &rng)))
        case .buyResale:
            return .buyResale(BuyResale(ticketID: idField(valid, using: &rng),
                                        price: valid ? UInt64.random(in: 0...Limits.maxAmount, using: &rng) : Limits.maxAmount + 1,
                                        fees: UInt64.random(in: 0...Limits.maxAmount, using: &rng)))
        case .requestRefund:
            return .requestRefund(RequestRefund(ticketID: idField(valid, using: &rng)))
        case .cancelEvent:
            return .cancelEvent(CancelEvent(eventID: idField(valid, using: &rng),
                                            reason: textField(valid, allowEmpty: true, maxBytes: Limits.reasonBytes, using: &rng)))
        }
    }

    /// A signed envelope of `kind` (a random kind when nil).
    static func signed(_ kind: LedgerOperation.Kind?, valid: Bool, using rng: inout some RandomNumberGenerator) -> SignedEnvelope {
        let kind = kind ?? LedgerOperation.Kind.allCases.randomElement(using: &rng)!
        let key = signingKey(using: &rng)
        let chainID = valid ? id(using: &rng) : text(maxBytes: Limits.textBytes, allowEmpty: true, controls: true, using: &rng)
        let op = operation(kind, valid: valid, using: &rng)
        let e = Envelope(chainID: chainID, nonce: uint64(using: &rng), operation: op, signedBy: key)
        return SignedEnvelope(envelope: e, key: key)
    }

    /// Property-based generator of signed envelopes.
    static func envelopes(_ kind: LedgerOperation.Kind? = nil, valid: Bool) -> Generator<SignedEnvelope, Shrink.None<SignedEnvelope>> {
        Generator { rng in signed(kind, valid: valid, using: &rng) }
    }

    /// A random number generator seeded from the property's, for choices made inside a
    /// property body (so a `.fixedSeed` replays them too).
    static var rngs: Generator<Xoshiro, Shrink.None<Xoshiro>> {
        Generator { rng in Xoshiro(seed: (rng.next() | 1, rng.next(), rng.next(), rng.next())) }
    }

    /// Valid or unconstrained envelopes, half each.
    static func anyEnvelopes(_ kind: LedgerOperation.Kind? = nil) -> Generator<SignedEnvelope, Shrink.None<SignedEnvelope>> {
        Generator { rng in signed(kind, valid: chance(0.5, using: &rng), using: &rng) }
    }
}

// MARK: - byte helpers shared by the encoding tests

enum Bytes {
    /// `v` as 4 big-endian bytes, written out by hand.
    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    /// Reads 4 big-endian bytes at `offset`.
    static func u32(_ b: [UInt8], at offset: Int) -> UInt32 {
        b[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
    /// `b` with `replacement` written over it from `offset`.
    static func patch(_ b: [UInt8], at offset: Int, with replacement: [UInt8]) -> [UInt8] {
        var out = b
        out.replaceSubrange(offset..<offset + replacement.count, with: replacement)
        return out
    }
    /// Lowercase hex, written out independently of the kernel's `Hex`.
    static func hex(_ b: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef")
        return String(b.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }
    /// The byte offset of the first occurrence of `needle` in `haystack`.
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for i in start...(haystack.count - needle.count) where haystack[i..<i + needle.count].elementsEqual(needle) { return i }
        return nil
    }
}

// MARK: - the envelope layout of docs/format.md, rebuilt from an envelope's fields

/// One piece of an encoded envelope.
enum Segment: Equatable {
    /// A fixed number of bytes (integers, keys, the signature).
    case fixed(Int)
    /// A `string`: a u32 length then that many bytes.
    case string(Int)
    /// A `list` count (the elements follow as their own segments); `minElement` is the
    /// smallest encoding one element can have.
    case count(Int, minElement: Int)
}

/// docs/format.md's envelope layout, computed from an envelope's fields, never from its bytes.
enum EnvelopeLayout {
    /// The smallest `ticket`: three empty strings, a u64 and a key.
    static let minTicketBytes = 3 * 4 + 8 + 32
    /// The smallest section: an empty string.
    static let minSectionBytes = 4

    static func segments(_ e: Envelope) -> [Segment] {
        var s: [Segment] = [.fixed(1), .string(e.chainID.utf8.count), .fixed(32), .fixed(8), .fixed(2)]
        func str(_ x: String) { s.append(.string(x.utf8.count)) }
        switch e.operation {
        case .registerIssuer(let o):
            s.append(.fixed(32)); str(o.name)
        case .createEvent(let o):
            str(o.eventID); str(o.name); str(o.venue); s += [.fixed(8), .fixed(8), .fixed(4)]; str(o.currency)
        case .registerGate(let o):
            str(o.eventID); s.append(.fixed(32)); str(o.name)
            s.append(.count(o.sections.count, minElement: minSectionBytes))
            o.sections.forEach(str)
        case .issue(let o):
            str(o.eventID)
            s.append(.count(o.tickets.count, minElement: minTicketBytes))
            for t in o.tickets { str(t.ticketID); str(t.section); str(t.seat); s += [.fixed(8), .fixed(32)] }
        case .transfer(let o):
            str(o.ticketID); s.append(.fixed(32))
        case .redeem(let o):
            str(o.ticketID); s += [.fixed(8), .fixed(8)]
        case .void(let o):
            str(o.ticketID); str(o.reason)
        case .deployContract(let o):
            str(o.source)
        case .bindContract(let o):
            str(o.eventID); s.append(.fixed(32)); str(o.params)
        case .listResale(let o):
            str(o.ticketID); s += [.fixed(8), .fixed(8)]
        case .cancelListing(let o):
            str(o.ticketID)
        case .buyResale(let o):
            str(o.ticketID); s += [.fixed(8), .fixed(8)]
        case .requestRefund(let o):
            str(o.ticketID)
        case .cancelEvent(let o):
            str(o.eventID); str(o.reason)
        }
        s.append(.fixed(64))
        return s
    }

    /// The encoded size.
    static func size(_ e: Envelope) -> Int {
        segments(e).reduce(0) {
            switch $1 {
            case .fixed(let n): $0 + n
            case .string(let n): $0 + 4 + n
            case .count: $0 + 4
            }
        }
    }

    /// The offset at which segment `index` starts.
    static func offset(of index: Int, in e: Envelope) -> Int {
        segments(e).prefix(index).reduce(0) {
            switch $1 {
            case .fixed(let n): $0 + n
            case .string(let n): $0 + 4 + n
            case .count: $0 + 4
            }
        }
    }

    /// The code a canonical decoder gives for the first `length` bytes of `e`; nil when
    /// those bytes are the whole envelope.
    ///
    /// Where the cut falls decides the code: inside a fixed-width value, a length prefix or
    /// a count it is `truncated`; inside a string's bytes the intact length then exceeds the
    /// bytes left, so it is `overlong_length`; a list count whose smallest possible elements
    /// no longer fit is `overlong_length` too.
    static func truncationCode(_ e: Envelope, length: Int) -> TalonError? {
        var o = 0
        for segment in segments(e) {
            switch segment {
            case .fixed(let n):
                if length < o + n { return TalonError(.truncated) }
                o += n
            case .string(let n):
                if length < o + 4 { return TalonError(.truncated) }
                if n > length - (o + 4) { return TalonError(.overlongLength) }
                o += 4 + n
            case .count(let c, let minElement):
                if length < o + 4 { return TalonError(.truncated) }
                if c * minElement > length - (o + 4) { return TalonError(.overlongLength) }
                o += 4
            }
        }
        return length == o ? nil : TalonError(.trailingBytes)
    }
}
