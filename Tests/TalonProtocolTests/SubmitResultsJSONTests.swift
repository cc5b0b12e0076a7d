import Testing
import TalonProtocol

/// `SubmitResults.jsonBytes` writes receipts itself: its bytes must be `JSONForm.encode`'s.
@Suite struct SubmitResultsJSONTests {
    @Test func receiptsAreWrittenAsTheEncoderWritesThem() {
        var rng = SystemRandomNumberGenerator()
        for count in [0, 1, 2, 7, 64] {
            let results = (0..<count).map { i in
                SubmitOutcome(hash: SHA256.hash([UInt8(truncatingIfNeeded: i), UInt8.random(in: 0...255, using: &rng)]),
                              receipt: Receipt(leaf: UInt64.random(in: 0...UInt64.max, using: &rng), height: UInt64(i) << 40,
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
