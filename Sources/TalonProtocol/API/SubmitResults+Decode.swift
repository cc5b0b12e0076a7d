extension SubmitResults {
    /// Reads the answer to `POST /v1/envelopes`: the form nodes write (`jsonBytes`, with or
    /// without its closing newline) directly, anything else through `JSONForm.decode`. The
    /// value, and the error for bytes that are not `SubmitResults`, are `JSONForm.decode`'s.
    /// - Throws: `TalonError(.invalidJSON)`.
    public static func decode(json bytes: [UInt8]) throws(TalonError) -> SubmitResults {
        var reader = CanonicalReader(bytes: bytes)
        if let results = reader.results() { return results }
        return try JSONForm.decode(SubmitResults.self, from: bytes)
    }
}

/// Reads exactly the bytes `SubmitResults.jsonBytes` writes for receipts, and gives up (nil)
/// at the first byte that differs: the caller then decodes the general way.
private struct CanonicalReader {
    let bytes: [UInt8]
    var at = 0

    mutating func results() -> SubmitResults? {
        guard literal(#"{"results":["#) else { return nil }
        var results: [SubmitOutcome] = []
        if !literal("]") {
            repeat {
                guard let outcome = receipt() else { return nil }
                results.append(outcome)
            } while literal(",")
            guard literal("]") else { return nil }
        }
        guard literal("}") else { return nil }
        if at < bytes.count, bytes[at] == 0x0A { at += 1 }
        return at == bytes.count ? SubmitResults(results: results) : nil
    }

    private mutating func receipt() -> SubmitOutcome? {
        guard literal(#"{"hash":""#), at + 64 <= bytes.count, let hash = Hex.decode(utf8: bytes[at..<at + 64]).flatMap(Digest.init(bytes:))
        else { return nil }
        at += 64
        guard literal(#"","height":"#), let height = number(max: UInt64.max),
              literal(#","leaf":"#), let leaf = number(max: UInt64.max),
              literal(#","position":"#), let position = number(max: UInt64(UInt32.max)),
              literal(#","result":""#) else { return nil }
        let start = at
        while at < bytes.count, SubmitResults.isPlain(bytes[at]) { at += 1 }
        guard at > start else { return nil }
        let result = String(decoding: bytes[start..<at], as: UTF8.self)
        guard literal(#""}"#) else { return nil }
        return SubmitOutcome(hash: hash, receipt: Receipt(leaf: leaf, height: height, position: UInt32(position), result: result))
    }

    /// A JSON integer as written (no sign, no leading zero, no fraction) that fits `max`.
    private mutating func number(max: UInt64) -> UInt64? {
        let start = at
        var value: UInt64 = 0
        while at < bytes.count, bytes[at] >= 0x30, bytes[at] <= 0x39 {
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(bytes[at] - 0x30))
            guard !o1, !o2, sum <= max else { return nil }
            value = sum
            at += 1
        }
        guard at > start, bytes[start] != 0x30 || at == start + 1 else { return nil }
        return value
    }

    private mutating func literal(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard at + count <= bytes.count, text.withUTF8Buffer({ bytes[at..<at + count].elementsEqual($0) }) else { return false }
        at += count
        return true
    }
}
