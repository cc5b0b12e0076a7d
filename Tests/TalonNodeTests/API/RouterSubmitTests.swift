import Foundation
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonTestSupport
import Testing

/// `POST /v1/envelopes` through the router in process: receipts for one envelope and for an
/// array, the first receipt for an envelope already in the ledger, each refusal with the
/// code docs/openapi.yaml lists for it, and nothing appended by what is refused.
@Suite(.timeLimit(.minutes(3)))
struct RouterSubmitTests {
    /// The envelope JSON of `op` signed by `key` on the solo node's chain.
    static func line(_ n: SoloNode, _ op: LedgerOperation, by key: SigningKey) -> String {
        String(decoding: JSONForm.encode(n.sign(op, by: key)), as: UTF8.self)
    }

    static func event(_ n: SoloNode, _ id: String, capacity: UInt32 = 10, by key: SigningKey? = nil) -> String {
        line(n, .createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: Scenario.startsAt,
                                         doorsOpenAt: Scenario.startsAt - 3_600_000, capacity: capacity, currency: "EUR")), by: key ?? n.issuer)
    }

    @Test(arguments: InProcessAPI.Way.allCases) func oneEnvelopeOrAnArrayIsAnsweredWithReceipts(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            let n = api.solo
            let s = try await Scenario.populate(api)
            let known = s.steps.count

            // Again: the first receipt, alone or in an array, and no new block.
            let again = try await api.call("POST", "/v1/envelopes", body: try s.line("event"), expect: 200)
            #expect(again["leaf"]?.int == 1 && again["height"]?.int == 2 && again["result"]?.string == "ok")

            // An array: one result per element, in order. The new ones go into one block; an
            // element refused at admission gets its own error and stops nothing.
            let fresh = [Self.event(n, "EV5"), Self.event(n, "EV6")]
            let otherChain = String(decoding: JSONForm.encode(Envelope(chainID: "another-chain", nonce: 1, operation: .cancelEvent(CancelEvent(eventID: "EV", reason: "x")),
                                                                       signedBy: n.issuer)), as: UTF8.self)
            let forged = try flipFirstSignatureDigit(Self.event(n, "EV7"))
            let zeroCapacity = Self.event(n, "EV8", capacity: 0)
            let noStanding = Self.event(n, "EV9", by: s.bob)
            let elements = [fresh[0], try s.line("event"), otherChain, forged, zeroCapacity, noStanding, fresh[1]]
            let batch = try await api.call("POST", "/v1/envelopes", body: "[" + elements.joined(separator: ",") + "]", expect: 200)
            let results = try #require(batch["results"]?.array, "\(batch.reply)")
            try #require(results.count == elements.count, "\(batch.reply)")
            #expect(try results.map { $0["hash"]?.string } == elements.map { try FormatModel.envelopeHash(line: $0) })
            #expect(results.map { $0["result"]?.string } == ["ok", "ok", nil, nil, nil, nil, "ok"])
            #expect(results.map { $0["error"]?["code"]?.string } == [nil, nil, "wrong_chain", "bad_signature", "invalid_field", "not_authorized", nil])
            #expect(results.allSatisfy { $0["error"] == nil || $0["error"]?["message"]?.string?.isEmpty == false })
            #expect(results[1] == again.json, "an envelope already in the ledger is answered its first receipt")
            let block = Int64(known + 1)
            #expect(results[0]["height"]?.int == block && results[6]["height"]?.int == block, "the admitted ones go in one block")
            #expect([results[0], results[6]].map { $0["leaf"]?.int } == [Int64(known), Int64(known + 1)])
            #expect([results[0], results[6]].map { $0["position"]?.int } == [0, 1])

            let head = try await api.call("GET", "/v1/head", expect: 200)
            #expect(head["head"]?["height"]?.int == block && head["head"]?["tree_size"]?.int == Int64(known + 2))
            #expect(try n.node.ledger.record(hash: try #require(Digest(hex: try FormatModel.envelopeHash(line: noStanding)))) == nil,
                    "an envelope without standing is not stored")
        }
    }

    @Test(arguments: InProcessAPI.Way.allCases) func whatIsRefusedAnswersItsDocumentedProblemAndAppendsNothing(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            let n = api.solo
            let stored = Self.event(n, "EV")
            try await api.call("POST", "/v1/envelopes", body: stored, expect: 200)
            let event = Self.event(n, "EV2")
            let before = try await api.call("GET", "/v1/head", expect: 200)

            let otherChain = String(decoding: JSONForm.encode(Envelope(chainID: "another-chain", nonce: 9, operation: .cancelEvent(CancelEvent(eventID: "EV", reason: "x")),
                                                                       signedBy: n.issuer)), as: UTF8.self)
            let refusals: [(String, String, Int, String)] = [
                ("an empty body", "", 400, "invalid_json"),
                ("only whitespace", " \r\n\t", 400, "invalid_json"),
                ("not JSON", "{not json", 400, "invalid_json"),
                ("a JSON string", "\"envelope\"", 400, "invalid_json"),
                ("an array with an element that is no envelope", "[\(event),{\"version\":1}]", 400, "invalid_json"),
                ("an empty array", "[ ]", 400, "invalid_batch"),
                ("version 2", try replacing("\"version\":1", with: "\"version\":2", in: event), 400, "unknown_version"),
                ("a name over 256 bytes", try replacing("\"name\":\"Show\"", with: "\"name\":\"\(String(repeating: "x", count: 257))\"", in: event),
                 400, "overlong_length"),
                ("another chain", otherChain, 400, "wrong_chain"),
                ("a flipped signature", try flipFirstSignatureDigit(event), 400, "bad_signature"),
                ("a signer with no standing", Self.event(n, "EV3", by: .generate()), 403, "not_authorized"),
                ("capacity 0", Self.event(n, "EV4", capacity: 0), 400, "invalid_field"),
            ]
            for (what, body, status, code) in refusals {
                let r = try await api.call("POST", "/v1/envelopes", body: body, expect: status, code: code)
                #expect(r["detail"]?.string?.isEmpty == false, "\(what): \(r.reply)")
            }
            let after = try await api.call("GET", "/v1/head", expect: 200)
            #expect(after["head"] == before["head"], "a refused submission must not change the ledger")
        }
    }

    /// docs/format.md, "JSON form": keys are exact (no unknown, missing, repeated or escaped
    /// key), integers have one spelling and fit their field's type, nesting is bounded; a
    /// string's escapes are its text, so an escaped spelling is the same envelope.
    @Test(arguments: InProcessAPI.Way.allCases) func theJSONFormIsStrict(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            let n = api.solo
            let event = Self.event(n, "EV")
            let first = try await api.call("POST", "/v1/envelopes", body: event, expect: 200)
            let fresh = Self.event(n, "EV2")
            let nonce = try #require(JSONValue.parse(fresh)["nonce"]?.int)
            let malformed: [(String, String)] = [
                ("an unknown key", try replacing("\"version\":1", with: "\"version\":1,\"extra\":0", in: fresh)),
                ("an unknown op key", try replacing("\"type\":\"create_event\"", with: "\"type\":\"create_event\",\"x\":1", in: fresh)),
                ("a missing key", try replacing(",\"venue\":\"Hall\"", with: "", in: fresh)),
                ("a repeated key", try replacing("\"version\":1", with: "\"version\":1,\"version\":1", in: fresh)),
                ("an escaped key", try replacing("\"nonce\":", with: "\"\\u006eonce\":", in: fresh)),
                ("a fraction", try replacing("\"capacity\":10", with: "\"capacity\":10.0", in: fresh)),
                ("an exponent", try replacing("\"capacity\":10", with: "\"capacity\":1e1", in: fresh)),
                ("a leading zero", try replacing("\"capacity\":10", with: "\"capacity\":010", in: fresh)),
                ("a plus sign", try replacing("\"capacity\":10", with: "\"capacity\":+10", in: fresh)),
                ("minus zero", try replacing("\"nonce\":\(nonce)", with: "\"nonce\":-0", in: fresh)),
                ("an integer as a string", try replacing("\"capacity\":10", with: "\"capacity\":\"10\"", in: fresh)),
                ("capacity past u32", try replacing("\"capacity\":10", with: "\"capacity\":4294967296", in: fresh)),
                ("a nonce past u64", try replacing("\"nonce\":\(nonce)", with: "\"nonce\":18446744073709551616", in: fresh)),
                ("a negative nonce", try replacing("\"nonce\":\(nonce)", with: "\"nonce\":-1", in: fresh)),
                ("text after the envelope", fresh + " {}"),
                ("33 nested arrays", String(repeating: "[", count: 33) + String(repeating: "]", count: 33)),
            ]
            for (what, body) in malformed {
                let r = try await api.call("POST", "/v1/envelopes", body: body, expect: 400, code: "invalid_json")
                #expect(r.reply.status == 400, "\(what)")
            }
            // The same text, escaped: the same envelope, answered its first receipt.
            let escaped = try replacing("\"name\":\"Show\"", with: "\"name\":\"\\u0053how\"", in: event)
            let same = try await api.call("POST", "/v1/envelopes", body: escaped, expect: 200)
            #expect(same.json == first.json)

            // Every integer is read exactly: a nonce of 2^64 − 1 and one of 2^53 + 1 are signed and kept.
            for big: UInt64 in [UInt64.max, (1 << 53) + 1] {
                let envelope = Envelope(chainID: n.members.genesis.genesis.chainID, nonce: big,
                                        operation: .cancelEvent(CancelEvent(eventID: "EV", reason: "big nonce \(big)")), signedBy: n.issuer)
                let text = String(decoding: JSONForm.encode(envelope), as: UTF8.self)
                #expect(text.contains("\"nonce\":\(big)"))
                let r = try await api.call("POST", "/v1/envelopes", body: text, expect: 200)
                #expect(r["hash"]?.string == (try FormatModel.envelopeHash(line: text)))
            }
        }
    }

    /// docs/openapi.yaml: a body of at most 16 MiB, refused past it with 413 `body_too_large`.
    @Test(arguments: InProcessAPI.Way.allCases) func aBodyOverSixteenMiBIs413(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(.init(way: way)) { api in
            #expect(NodeAPI(node: api.solo.node, key: api.solo.key, metrics: nil).maxBodyBytes == 16 << 20)
            var over = [UInt8](repeating: UInt8(ascii: " "), count: (16 << 20) + 1)
            over[0] = UInt8(ascii: "[")
            over[over.count - 1] = UInt8(ascii: "]")
            let reply = try await api.send("POST", "/v1/envelopes", body: over)
            #expect(reply.status == 413 && reply.headers["content-type"] == "application/problem+json")
            #expect(try JSONValue.parse(reply.body)["code"]?.string == "body_too_large", "\(reply)")
        }
    }

    /// A body of exactly the limit is read; one byte more is not.
    @Test(arguments: InProcessAPI.Way.allCases) func aBodyIsReadUpToTheLimitExactly(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(InProcessAPI.Setup(maxBodyBytes: 1024, way: way)) { api in
            let atTheLimit = "[" + String(repeating: " ", count: 1022) + "]"
            try await api.call("POST", "/v1/envelopes", body: atTheLimit, expect: 400, code: "invalid_batch")
            try await api.call("POST", "/v1/envelopes", body: atTheLimit + " ", expect: 413, code: "body_too_large")
        }
    }

    /// docs/openapi.yaml: at most 8192 envelopes and 8 MiB of envelope bytes in one
    /// submission (413 `batch_too_large`); checked here with smaller limits.
    @Test(arguments: InProcessAPI.Way.allCases) func aSubmissionOverTheBatchLimitsIs413(_ way: InProcessAPI.Way) async throws {
        #expect(Node.Options().maxBatchEnvelopes == 8192 && Node.Options().maxBatchBytes == 8 << 20)
        try await InProcessAPI.run(InProcessAPI.Setup(node: { $0.maxBatchEnvelopes = 2 }, way: way)) { api in
            let three = (1...3).map { Self.event(api.solo, "EV\($0)") }
            try await api.call("POST", "/v1/envelopes", body: "[" + three.joined(separator: ",") + "]", expect: 413, code: "batch_too_large")
            try await api.call("POST", "/v1/envelopes", body: "[" + three.prefix(2).joined(separator: ",") + "]", expect: 200)
        }
        try await InProcessAPI.run(InProcessAPI.Setup(node: { $0.maxBatchBytes = 300 }, way: way)) { api in
            let two = (1...2).map { Self.event(api.solo, "EV\($0)") }
            let bytes = try two.map { try FormatModel.envelopeBytes(line: $0).count }
            try #require(bytes.allSatisfy { $0 <= 300 } && bytes.reduce(0, +) > 300, "\(bytes)")
            try await api.call("POST", "/v1/envelopes", body: "[" + two.joined(separator: ",") + "]", expect: 413, code: "batch_too_large")
            try await api.call("POST", "/v1/envelopes", body: two[0], expect: 200)
        }
    }

    /// 503 with `Retry-After: 1` when the node cannot take a submission: too many waiting
    /// (`overloaded`), or stopping (`node_stopped`), for writes and linearizable reads alike.
    @Test(arguments: InProcessAPI.Way.allCases) func aNodeThatCannotTakeASubmissionAnswers503(_ way: InProcessAPI.Way) async throws {
        try await InProcessAPI.run(InProcessAPI.Setup(node: { $0.maxWaitingEnvelopes = 0 }, way: way)) { api in
            let r = try await api.call("POST", "/v1/envelopes", body: Self.event(api.solo, "EV"), expect: 503, code: "overloaded")
            #expect(r.reply.headers["retry-after"] == "1")
        }
        try await InProcessAPI.run(.init(way: way)) { api in
            await api.solo.stop()
            try await api.call("POST", "/v1/envelopes", body: Self.event(api.solo, "EV"), expect: 503, code: "node_stopped")
            try await api.call("POST", "/v1/envelopes", body: "[\(Self.event(api.solo, "EV2"))]", expect: 503, code: "node_stopped")
            let linearizable = [("consistency", "linearizable")]
            try await api.call("GET", "/v1/tickets/{id}", ["id": "T-1"], query: linearizable, expect: 503, code: "node_stopped")
            try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], query: linearizable, expect: 503, code: "node_stopped")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV"], query: linearizable, expect: 503, code: "node_stopped")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV"], expect: 404, code: "unknown_event")
        }
    }
}
