import TalonProtocol
@testable import TalonNode
import TalonTestSupport
import Testing

/// `POST /v1/envelopes` with `Content-Type: application/vnd.talon.envelopes` through the
/// router in process: frames answered as a JSON array is, every malformed body refused with
/// the code docs/openapi.yaml lists and nothing appended, and the media types the route reads.
@Suite(.timeLimit(.minutes(3)))
struct RouterBinarySubmitTests {
    static let binary = ["Content-Type": EnvelopeFrames.mediaType]

    static func event(_ n: SoloNode, _ id: String, chainID: String? = nil) -> Envelope {
        let op = LedgerOperation.createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: Scenario.startsAt,
                                                         doorsOpenAt: Scenario.startsAt - 3_600_000, capacity: 10, currency: "EUR"))
        guard let chainID else { return n.sign(op, by: n.issuer) }
        return Envelope(chainID: chainID, nonce: 1, operation: op, signedBy: n.issuer)
    }

    static func prefix(_ length: Int) -> [UInt8] {
        let n = UInt32(truncatingIfNeeded: length)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
    }

    @Test(arguments: InProcessAPI.Way.allCases) func framesAreAnsweredAsAnArray(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            let n = api.solo
            // One frame: still `SubmitResults`, one result.
            let first = Self.event(n, "EV1")
            let one = try await api.call("POST", "/v1/envelopes", headers: Self.binary, bytes: EnvelopeFrames.encode([first]), expect: 200)
            let only = try #require(one["results"]?.array, "\(one.reply)")
            #expect(only.count == 1 && only[0]["hash"]?.string == first.hash.hex && only[0]["result"]?.string == "ok")

            // Many: one result per frame, in order; the known one gets its first receipt, the
            // refused one its own error, and the new ones share a block.
            let fresh = [Self.event(n, "EV2"), Self.event(n, "EV3")]
            let otherChain = Self.event(n, "EV4", chainID: "another-chain")
            let frames = [fresh[0], first, otherChain, fresh[1]]
            let many = try await api.call("POST", "/v1/envelopes", headers: Self.binary, bytes: EnvelopeFrames.encode(frames), expect: 200)
            let results = try #require(many["results"]?.array, "\(many.reply)")
            try #require(results.count == frames.count, "\(many.reply)")
            #expect(results.map { $0["hash"]?.string } == frames.map { $0.hash.hex })
            #expect(results.map { $0["result"]?.string } == ["ok", "ok", nil, "ok"])
            #expect(results.map { $0["error"]?["code"]?.string } == [nil, nil, "wrong_chain", nil])
            #expect(results[1] == only[0], "an envelope already in the ledger is answered its first receipt")
            #expect(results[0]["height"] == results[3]["height"] && results[0]["height"] != only[0]["height"])

            // The same envelopes in a JSON array answer the same.
            let json = "[" + frames.map { String(decoding: JSONForm.encode($0), as: UTF8.self) }.joined(separator: ",") + "]"
            let again = try await api.call("POST", "/v1/envelopes", body: json, expect: 200)
            #expect(again.json == many.json)
        }
    }

    @Test(arguments: InProcessAPI.Way.allCases) func malformedBodiesAreRefusedAndAppendNothing(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            let n = api.solo
            let good = Self.event(n, "EV1").bytes, fine = EnvelopeFrames.encode([Self.event(n, "EV2")])
            var badUTF8 = good
            badUTF8[5] = 0xFF
            var version = good
            version[0] = 2
            let refusals: [(String, [UInt8], Int, String)] = [
                ("an empty body", [], 400, "invalid_batch"),
                ("a cut length", fine + [0, 0], 400, "truncated"),
                ("a cut frame", Array(fine.dropLast()), 400, "overlong_length"),
                ("a length over the largest envelope", Self.prefix(Limits.envelopeBytes + 1) + good, 400, "overlong_length"),
                ("bytes after the envelope in its frame", fine + Self.prefix(good.count + 1) + good + [0], 400, "trailing_bytes"),
                ("an empty frame", fine + Self.prefix(0), 400, "truncated"),
                ("invalid UTF-8", fine + Self.prefix(good.count) + badUTF8, 400, "non_canonical"),
                ("version 2", fine + Self.prefix(version.count) + version, 400, "unknown_version"),
                ("JSON sent as binary", Array(String(decoding: JSONForm.encode(Self.event(n, "EV3")), as: UTF8.self).utf8), 400, "overlong_length"),
                ("8,193 frames", Array([[UInt8]](repeating: fine, count: 8193).joined()), 413, "batch_too_large"),
            ]
            let before = try await api.call("GET", "/v1/head", expect: 200)
            for (what, body, status, code) in refusals {
                let answer = try await api.call("POST", "/v1/envelopes", headers: Self.binary, bytes: body, expect: status, code: code)
                #expect(answer["code"]?.string == code, "\(what): \(answer.reply)")
            }
            let after = try await api.call("GET", "/v1/head", expect: 200)
            #expect(after["head"] == before["head"], "a refused body appends nothing, not even its good frames")
        }
    }

    @Test(arguments: InProcessAPI.Way.allCases) func theBodyLimitHoldsForFrames(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(maxBodyBytes: 64, way: way)) { api in
            let body = EnvelopeFrames.encode([Self.event(api.solo, "EV1")])
            try await api.call("POST", "/v1/envelopes", headers: Self.binary, bytes: body, expect: 413, code: "body_too_large")
        }
    }

    /// No `Content-Type` and `application/json` (any case, with parameters) are JSON, as before
    /// the binary type; the binary type takes parameters too; any other type is 415.
    @Test(arguments: InProcessAPI.Way.allCases) func theRouteReadsTwoMediaTypes(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            let n = api.solo
            let json = { (id: String) in String(decoding: JSONForm.encode(Self.event(n, id)), as: UTF8.self) }
            let plain = try await api.send("POST", "/v1/envelopes", body: Array(json("EV1").utf8))
            let plainAnswer = try JSONValue.parse(plain.body)
            #expect(plain.status == 200 && plainAnswer["result"]?.string == "ok", "\(plain)")
            for (i, type) in ["application/json", "Application/JSON; charset=utf-8"].enumerated() {
                let reply = try await api.call("POST", "/v1/envelopes", headers: ["Content-Type": type], body: json("EV\(i + 2)"), expect: 200)
                #expect(reply["result"]?.string == "ok", "\(type): \(reply.reply)")
            }
            let withParameter = try await api.call("POST", "/v1/envelopes", headers: ["Content-Type": EnvelopeFrames.mediaType + "; v=1"],
                                                   bytes: EnvelopeFrames.encode([Self.event(n, "EV4")]), expect: 200)
            #expect(withParameter["results"]?.array?.count == 1)
            for type in ["text/plain", "application/octet-stream", "application/x-www-form-urlencoded", ""] {
                try await api.call("POST", "/v1/envelopes", headers: ["Content-Type": type], body: json("EV9"), expect: 415, code: "unsupported_media_type")
            }
            #expect(try Submission.media(nil) == .json)
            #expect(try Submission.media(" application/json ;x") == .json)
            #expect(throws: TalonError(.unsupportedMediaType)) { try Submission.media("application/jsonx") }
        }
    }
}
