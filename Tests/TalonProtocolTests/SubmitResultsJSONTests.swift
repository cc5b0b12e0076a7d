import Testing
import TalonProtocol

/// `SubmitResults.jsonBytes` writes receipts itself: its bytes must be `JSONForm.encode`'s.
@Suite struct SubmitResultsJSONTests {
    /// Decimal edges the writer must spell as `String` does; nil draws a random value.
    static let edges: [UInt64?] = [0, 9, 10, 99, 100, 999_999_999_999_999_999, 10_000_000_000_000_000_000, UInt64.max, nil, nil]

    @Test func receiptsAreWrittenAsTheEncoderWritesThem() {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 7, 64] {
            let results = (0..<count).map { i in
                SubmitOutcome(hash: SHA256.hash([UInt8(truncatingIfNeeded: i), UInt8.random(in: 0...255, using: &rng)]),
                              receipt: Receipt(leaf: Self.edges[i % Self.edges.count] ?? UInt64.random(in: 0...UInt64.max, using: &rng),
                                               height: UInt64(i) << 40,
                                               position: UInt32.random(in: 0...UInt32.max, using: &rng),
                                               result: ["ok", "not_authorized", "price_cap-1.2"][i % 3]))
            }
            let answer = SubmitResults(results: results)
            #expect(answer.jsonBytes == JSONForm.encode(answer), "\(count) receipts")
        }
    }

    @Test func refusalsAndUnusualResultsGoThroughTheEncoder() {
        let hash = SHA256.hash([1])
        let cases = [
            SubmitResults(results: [SubmitOutcome(hash: hash, receipt: Receipt(leaf: 1, height: 1, position: 0, result: "ok")),
                                    SubmitOutcome(hash: hash, refusal: SubmitRefusal(TalonError(.badSignature, "a \"quoted\" message\n")))]),
            SubmitResults(results: [SubmitOutcome(hash: hash, receipt: Receipt(leaf: 1, height: 1, position: 0, result: "needs \"escaping\"/é"))]),
            SubmitResults(results: [SubmitOutcome(hash: hash, receipt: Receipt(leaf: 1, height: 1, position: 0, result: ""))]),
        ]
        for answer in cases { #expect(answer.jsonBytes == JSONForm.encode(answer)) }
    }
}

/// `SubmitResults.decode(json:)` reads the nodes' own form directly: it must give
/// `JSONForm.decode`'s value for it, and `JSONForm.decode`'s verdict for anything else.
@Suite struct SubmitResultsDecodeTests {
    static func receipts(_ count: Int) -> SubmitResults {
        var rng = SystemRandomNumberGenerator()
        return SubmitResults(results: (0..<count).map { i in
            SubmitOutcome(hash: SHA256.hash([UInt8(truncatingIfNeeded: i), UInt8.random(in: 0...255, using: &rng)]),
                          receipt: Receipt(leaf: [0, 1, UInt64.max, UInt64.random(in: 0...UInt64.max, using: &rng)][i % 4],
                                           height: [UInt64.max, 0, 10, UInt64(i) << 40][i % 4],
                                           position: [0, UInt32.max, 7, UInt32.random(in: 0...UInt32.max, using: &rng)][i % 4],
                                           result: ["ok", "not_authorized", "price_cap-1.2", "Z"][i % 4]))
        })
    }

    /// Both decoders' verdict on `bytes`: the value, or the error code.
    static func verdicts(_ bytes: [UInt8]) -> (fast: Result<SubmitResults, TalonError>, general: Result<SubmitResults, TalonError>) {
        (Result { () throws(TalonError) in try SubmitResults.decode(json: bytes) },
         Result { () throws(TalonError) in try JSONForm.decode(SubmitResults.self, from: bytes) })
    }

    static func same(_ v: (fast: Result<SubmitResults, TalonError>, general: Result<SubmitResults, TalonError>)) -> Bool {
        switch (v.fast, v.general) {
        case (.success(let a), .success(let b)): a == b
        case (.failure(let a), .failure(let b)): a.code == b.code
        default: false
        }
    }

    @Test func readsWhatNodesWrite() throws {
        for count in [0, 1, 2, 5, 64] {
            let answer = Self.receipts(count)
            #expect(try SubmitResults.decode(json: answer.jsonBytes) == answer)
            #expect(try SubmitResults.decode(json: answer.jsonBytes + [0x0A]) == answer, "with the node's closing newline")
            #expect(try JSONForm.decode(SubmitResults.self, from: answer.jsonBytes) == answer)
        }
    }

    @Test func otherFormsAndRefusalsReadAsTheGeneralDecoderReadsThem() throws {
        let hash = SHA256.hash([1])
        let refused = SubmitResults(results: [SubmitOutcome(hash: hash, refusal: SubmitRefusal(TalonError(.badSignature, "a \"bad\" one")))])
        #expect(try SubmitResults.decode(json: refused.jsonBytes) == refused)
        let hex = hash.hex
        let texts = [
            #"{ "results": [ {"hash":"\#(hex)","height":1,"leaf":2,"position":3,"result":"ok"} ] }"#,
            #"{"results":[{"leaf":2,"hash":"\#(hex)","height":1,"position":3,"result":"ok"}]}"#,
            #"{"results":[{"hash":"\#(hex.uppercased())","height":1,"leaf":2,"position":3,"result":"ok"}]}"#,
            #"{"results":[{"hash":"\#(hex)","height":01,"leaf":2,"position":3,"result":"ok"}]}"#,
            #"{"results":[{"hash":"\#(hex)","height":1,"leaf":2,"position":4294967296,"result":"ok"}]}"#,
            #"{"results":[{"hash":"\#(hex)","height":18446744073709551616,"leaf":2,"position":3,"result":"ok"}]}"#,
            #"{"results":[{"hash":"\#(hex)","height":1,"leaf":2,"position":3,"result":"ok"}]}  "#,
            #"{"results":[{"hash":"\#(hex)","height":1,"leaf":2,"position":3,"result":""}]}"#,
            #"{"results":[{"hash":"\#(hex)","height":1,"leaf":2,"position":3,"result":"ok"},]}"#,
            #"{"results":[]}"#, #"{"results":[]}x"#, "", "{}", "\n",
        ]
        for text in texts {
            let v = Self.verdicts(Array(text.utf8))
            #expect(Self.same(v), "\(text): \(v)")
        }
    }

    /// Every prefix and every one-byte change of a node's answer gets the general decoder's
    /// verdict: the direct reader never accepts what that one refuses, nor reads it otherwise.
    @Test func everyPrefixAndOneByteChangeGetsTheGeneralVerdict() {
        let bytes = Self.receipts(2).jsonBytes + [0x0A]
        for end in 0..<bytes.count { #expect(Self.same(Self.verdicts(Array(bytes[..<end]))), "prefix of \(end) bytes") }
        let replacements: [UInt8] = [0x20, 0x22, 0x2C, 0x2D, 0x30, 0x31, 0x39, 0x41, 0x5C, 0x61, 0x66, 0x67, 0x7B, 0x7D, 0x0A, 0x00]
        for i in bytes.indices {
            for b in replacements where b != bytes[i] {
                var changed = bytes
                changed[i] = b
                let v = Self.verdicts(changed)
                #expect(Self.same(v), "byte \(i) set to \(b): \(v)")
            }
        }
    }
}
