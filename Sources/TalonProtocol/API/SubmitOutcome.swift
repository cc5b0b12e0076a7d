/// What became of one submitted envelope (docs/openapi.yaml `SubmitReceipt` and
/// `SubmitRefused`): its hash, and either where the ledger put it with its result, or why
/// admission refused it. On the wire the receipt's fields stand beside `hash`.
public struct SubmitOutcome: Hashable, Sendable, Codable {
    /// SHA-256 of the envelope's bytes.
    public var hash: Digest
    /// Where the ledger put it and what applying it gave; nil when it was refused.
    public var receipt: Receipt?
    /// Why admission refused it (an element of an array); nil when it has a receipt.
    public var refusal: SubmitRefusal?

    /// The outcome of an envelope the ledger applied.
    public init(hash: Digest, receipt: Receipt) { self.hash = hash; self.receipt = receipt }

    /// The outcome of an envelope admission refused.
    public init(hash: Digest, refusal: SubmitRefusal) { self.hash = hash; self.refusal = refusal }

    enum CodingKeys: String, CodingKey { case hash, height, leaf, position, result, error }

    /// Reads a receipt's four fields beside `hash`, or `error`; one of them, not both.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        hash = try c.decode(Digest.self, forKey: .hash)
        refusal = try c.decodeIfPresent(SubmitRefusal.self, forKey: .error)
        if refusal == nil {
            receipt = Receipt(leaf: try c.decode(UInt64.self, forKey: .leaf), height: try c.decode(UInt64.self, forKey: .height),
                              position: try c.decode(UInt32.self, forKey: .position), result: try c.decode(String.self, forKey: .result))
        } else if c.contains(.result) {
            throw DecodingError.dataCorruptedError(forKey: .result, in: c, debugDescription: "an outcome has a result or an error, not both")
        }
    }

    /// Writes `hash` and the receipt's fields, or `hash` and `error`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(hash, forKey: .hash)
        if let receipt {
            try c.encode(receipt.height, forKey: .height)
            try c.encode(receipt.leaf, forKey: .leaf)
            try c.encode(receipt.position, forKey: .position)
            try c.encode(receipt.result, forKey: .result)
        }
        try c.encodeIfPresent(refusal, forKey: .error)
    }
}

/// Why admission refused one envelope of an array: its code as the node sent it (text, so a
/// newer node's code reads too) and a message.
public struct SubmitRefusal: Hashable, Sendable, Codable {
    public var code: String
    public var message: String

    /// The refusal a `TalonError` makes.
    public init(_ error: TalonError) { code = error.code.name; message = error.message }
}

/// The answer to an array of envelopes: one outcome per element, in order.
public struct SubmitResults: Hashable, Sendable, Codable {
    public var results: [SubmitOutcome]

    /// The answer holding `results`.
    public init(results: [SubmitOutcome]) { self.results = results }
}

extension SubmitResults {
    /// The same bytes as `JSONForm.encode(self)` (sorted keys, no whitespace), written
    /// directly when every outcome is a receipt whose result is a plain code name, the answer
    /// to nearly every submission; otherwise through `JSONEncoder`. A node writes one per
    /// submission, and the encoder cost more than the rest of the answer.
    public var jsonBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + results.count * 160)
        out.append(contentsOf: #"{"results":["#.utf8)
        for (i, outcome) in results.enumerated() {
            guard let receipt = outcome.receipt, outcome.refusal == nil,
                  !receipt.result.isEmpty, receipt.result.utf8.allSatisfy(Self.isPlain) else { return JSONForm.encode(self) }
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"hash":""#.utf8)
            outcome.hash.withUnsafeBytes { Hex.append($0, to: &out) }
            out.append(contentsOf: #"","height":"#.utf8)
            Self.appendDecimal(receipt.height, to: &out)
            out.append(contentsOf: #","leaf":"#.utf8)
            Self.appendDecimal(receipt.leaf, to: &out)
            out.append(contentsOf: #","position":"#.utf8)
            Self.appendDecimal(UInt64(receipt.position), to: &out)
            out.append(contentsOf: #","result":""#.utf8)
            out.append(contentsOf: receipt.result.utf8)
            out.append(contentsOf: #""}"#.utf8)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// Appends `value` in decimal, as `String(value)` spells it.
    static func appendDecimal(_ value: UInt64, to out: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }

    /// A byte JSON writes as it is inside a string: letters, digits, `_`, `-`, `.` (what
    /// `jsonBytes` writes, and `decode(json:)` reads, directly).
    static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."): true
        default: false
        }
    }
}
