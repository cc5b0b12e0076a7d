import Foundation
import Synchronization
import TalonProtocol
import TalonTestSupport
import Testing

/// docs/openapi.yaml against a real node: every documented operation is called, every
/// answer's status, content type and headers must be documented for that operation, every
/// JSON body must satisfy its documented schema (required properties, types, patterns, no
/// undocumented fields), and every problem must carry a code the document lists for that
/// status. The document is read with a small line-based YAML reader (no dependency).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct OpenAPITests {
    @Test func theDocumentParsesAndEveryOperationHasASuccessResponse() throws {
        let doc = try OpenAPIDocument.load()
        #expect(doc.root["openapi"]?.scalar == "3.1.0")
        #expect(!doc.operations.isEmpty)
        for name in doc.operations.sorted() {
            let (method, path) = OpenAPIDocument.split(name)
            let op = try #require(doc.operation(method, path))
            #expect(doc.statuses(of: op).contains(200), "\(name) documents no 200")
            for status in doc.statuses(of: op) {
                let response = try #require(try doc.response(op, status: status))
                for code in doc.problemCodes(of: response) {
                    #expect(doc.problemStatus(code) == status, "\(name) lists \(code) under \(status); Problem maps it to \(String(describing: doc.problemStatus(code)))")
                }
            }
        }
    }

    /// The document as tools nobody here wrote read it (Tests/openapi/check_document.py): PyYAML
    /// parses it with no key given twice, openapi-spec-validator finds it valid OpenAPI 3.1,
    /// every link names an operation; and the suite's own reader reads the very tree PyYAML does.
    @Test func standardToolsReadTheDocumentAsValidOpenAPI31() async throws {
        let python = try PythonTools.require("python")
        try await withSandbox { s in
            let tree = s.path("tree.json")
            let check = try await PythonTools.run(python, [PythonTools.file("check_document.py"), OpenAPIDocument.path, tree], in: s.dir, timeout: 120)
            try #require(check.status == 0 && check.lines.last == "valid", "\(check)")
            let parsed = try JSONValue.parse(try String(contentsOfFile: tree, encoding: .utf8))
            let differences = Self.differences(try OpenAPIDocument.load().root, parsed, at: "")
            #expect(differences.isEmpty, "the tests' YAML reader and PyYAML read docs/openapi.yaml differently:\n\(differences.prefix(20).joined(separator: "\n"))")
        }
    }

    /// The same check refuses a copy of the document with each fault it is there to catch: the
    /// unquoted `: ` this document once held, a key given twice, a parameter OpenAPI 3.1 does not
    /// allow, and a link to no operation.
    @Test func standardToolsRefuseABrokenDocument() async throws {
        let python = try PythonTools.require("python")
        let text = try String(contentsOfFile: OpenAPIDocument.path, encoding: .utf8)
        let quoted = #"description: "The ticket is redeemed, void or refunded: no pass admits it.""#
        let faults: [(name: String, from: String, to: String, says: String)] = [
            ("an unquoted ': '", quoted, "description: The ticket is redeemed, void or refunded: no pass admits it.", "not YAML"),
            ("a key given twice", "      operationId: getHead\n", "      operationId: getHead\n      operationId: getHeadAgain\n", "repeated key 'operationId'"),
            ("a parameter in the body", "          in: query\n", "          in: body\n", "not OpenAPI 3.1"),
            ("a link to no operation", "              operationId: getTicketHistory\n", "              operationId: getTicketHistoryy\n", "names no operation: getTicketHistoryy"),
        ]
        try await withSandbox { s in
            for fault in faults {
                let at = try #require(text.range(of: fault.from), "docs/openapi.yaml no longer holds \(fault.from.debugDescription)")
                let broken = try s.write("broken.yaml", text.replacingCharacters(in: at, with: fault.to))
                let check = try await PythonTools.run(python, [PythonTools.file("check_document.py"), broken], in: s.dir, timeout: 120)
                #expect(check.status == 1 && check.text.contains(fault.says), "\(fault.name): \(check)")
            }
        }
    }

    /// Where the tests' reader and PyYAML's tree (as JSON) differ. Scalars compare as text (the
    /// reader keeps no types), a literal block scalar without its final line break.
    static func differences(_ node: YAMLNode, _ json: JSONValue, at path: String) -> [String] {
        switch (node, json) {
        case (.map(let entries), .object(let object)):
            let keys = entries.map(\.key)
            guard Set(keys) == Set(object.keys) else { return ["\(path): keys \(keys.sorted()) and \(object.keys.sorted())"] }
            return entries.flatMap { entry in object[entry.key].map { differences(entry.value, $0, at: "\(path)/\(entry.key)") } ?? [] }
        case (.list(let items), .array(let array)):
            guard items.count == array.count else { return ["\(path): \(items.count) and \(array.count) items"] }
            return zip(items, array).enumerated().flatMap { i, pair in differences(pair.0, pair.1, at: "\(path)/\(i)") }
        case (.scalar(let text), _):
            let other: String? = switch json {
            case .null: ""
            case .string(let s): s.hasSuffix("\n") ? String(s.dropLast()) : s
            case .array, .object: nil
            default: json.scalarText
            }
            return other == text ? [] : ["\(path): \(text.prefix(60).debugDescription) and \(json)"]
        default:
            return ["\(path): \(node) and \(json)"]
        }
    }

    @Test func everyDocumentedOperationAnswersAsDocumented() async throws {
        let doc = try OpenAPIDocument.load()
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader()
            let api = APIProbe(doc: doc, address: c.api(1))
            let g = c.chain, s = c.sandbox
            let genesisHash = FormatModel.hex(FormatModel.sha256(g.genesisBytes))

            // Before the first block: height 0, the genesis hash, an empty tree.
            let empty = try await api.call("GET", "/v1/head", expect: 200)
            #expect(empty["head"]?["height"]?.int == 0)
            #expect(empty["head"]?["block_hash"]?.string == genesisHash)
            #expect(empty["head"]?["tree_size"]?.int == 0)
            #expect(empty["head"]?["timestamp"]?.int == 0)
            try verifySignedHead(empty, genesis: g.genesisBytes)

            // Signed envelopes, one of each operation kind.
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
            let gate = try await s.newKey("gate"), organizer = try await s.newKey("organizer")
            let registerIssuer = try await s.op("register-issuer", key: g.admin, genesis: g.genesis, nonce: 1,
                                                "--issuer", organizer.publicKey, "--name", "Second organizer")
            let event = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let issue = try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV", "--count", "3",
                                       "--prefix", "T", "--holder", alice.publicKey, "--face-value", "4500")
            let registerGate = try await s.op("register-gate", key: g.issuer, genesis: g.genesis, nonce: 3, "--event-id", "EV",
                                              "--gate", gate.publicKey, "--name", "Door A")
            let transfer = try await s.op("transfer", key: alice.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--to", bob.publicKey)
            let redeem = try await s.op("redeem", key: gate.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--sequence", "1")
            let void = try await s.op("void", key: g.issuer, genesis: g.genesis, nonce: 4, "--ticket-id", "T-2", "--reason", "lost")
            let stolen = try await s.op("transfer", key: bob.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-3", "--to", bob.publicKey)
            let neverApplied = try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 5, "--event-id", "EV", "--count", "1",
                                              "--prefix", "LATER", "--holder", alice.publicKey, "--face-value", "100")
            let elsewhere = try await s.talon(["op", "create-event", "--key", g.issuer, "--chain-id", "another-chain", "--nonce", "6",
                                               "--event-id", "EV2", "--name", "Elsewhere", "--venue", "Hall",
                                               "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"])
            try #require(elsewhere.status == 0 && elsewhere.lines.count == 1, "\(elsewhere)")
            let otherChain = elsewhere.lines[0]
            // A holder is no issuer: no standing to create an event, refused unstored.
            let noStanding = try await s.op("create-event", key: bob.path, genesis: g.genesis, nonce: 9, "--event-id", "EV3", "--name", "Mine",
                                            "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let forged = try flipFirstSignatureDigit(void)
            let zeroCapacity = try replacing("\"capacity\":10", with: "\"capacity\":0", in: event)
            let versionTwo = try replacing("\"version\":1", with: "\"version\":2", in: event)
            let longName = try replacing("\"name\":\"Show\"", with: "\"name\":\"\(String(repeating: "x", count: 300))\"", in: event)

            // POST one envelope: its receipt.
            var single: [JSONValue] = []
            for line in [registerIssuer, event, issue] {
                let r = try await api.call("POST", "/v1/envelopes", body: line, expect: 200)
                #expect(r["hash"]?.string == (try FormatModel.envelopeHash(line: line)))
                #expect(r["result"]?.string == "ok", "\(r.reply)")
                #expect(r["position"]?.int == 0)
                single.append(r.json)
            }
            #expect(single.map { $0["leaf"]?.int } == [0, 1, 2])
            #expect(single.map { $0["height"]?.int } == [1, 2, 3])
            let eventReceipt = single[1], issueReceipt = single[2]

            // POST an array: one result per element, in order; elements refused at admission
            // get their own error and do not stop the others.
            let first = [registerGate, transfer, otherChain, forged, zeroCapacity]
            let batch = try await api.call("POST", "/v1/envelopes", body: "[" + first.joined(separator: ",") + "]", expect: 200)
            let results = try #require(batch["results"]?.array, "\(batch.reply)")
            try #require(results.count == first.count, "\(batch.reply)")
            #expect(try results.map { $0["hash"]?.string } == first.map { try FormatModel.envelopeHash(line: $0) })
            #expect(results.map { $0["result"]?.string } == ["ok", "ok", nil, nil, nil])
            #expect(results.map { $0["error"]?["code"]?.string } == [nil, nil, "wrong_chain", "bad_signature", "invalid_field"])
            let gateHeight = try #require(results[0]["height"]?.int)
            #expect(gateHeight == 4 && results[1]["height"]?.int == gateHeight, "the admitted ones go in one block")
            #expect(results.prefix(2).map { $0["leaf"]?.int } == [3, 4])
            #expect(results.prefix(2).map { $0["position"]?.int } == [0, 1])
            let transferReceipt = results[1]

            // An envelope already in the ledger is answered its first receipt, alone or in an array.
            let second = [redeem, void, stolen, event]
            let batch2 = try await api.call("POST", "/v1/envelopes", body: "[" + second.joined(separator: ",") + "]", expect: 200)
            let results2 = try #require(batch2["results"]?.array, "\(batch2.reply)")
            try #require(results2.count == second.count, "\(batch2.reply)")
            #expect(try results2.map { $0["hash"]?.string } == second.map { try FormatModel.envelopeHash(line: $0) })
            #expect(results2.map { $0["result"]?.string } == ["ok", "ok", "not_holder", "ok"])
            #expect(results2.prefix(3).map { $0["leaf"]?.int } == [5, 6, 7])
            #expect(results2.prefix(3).map { $0["height"]?.int } == [5, 5, 5])
            #expect(results2[3] == eventReceipt)
            let redeemReceipt = results2[0], stolenReceipt = results2[2]
            let again = try await api.call("POST", "/v1/envelopes", body: event, expect: 200)
            #expect(again.json == eventReceipt)

            // What is refused appends nothing.
            let before = try await api.call("GET", "/v1/head", expect: 200)
            #expect(before["head"]?["height"]?.int == 5 && before["head"]?["tree_size"]?.int == 8)
            try verifySignedHead(before, genesis: g.genesisBytes)
            let refusals: [(String, Int, String)] = [
                ("", 400, "invalid_json"),
                ("{not json", 400, "invalid_json"),
                ("[\(event),{\"version\":1}]", 400, "invalid_json"),
                ("[]", 400, "invalid_batch"),
                (versionTwo, 400, "unknown_version"),
                (longName, 400, "overlong_length"),
                (otherChain, 400, "wrong_chain"),
                (forged, 400, "bad_signature"),
                (noStanding, 403, "not_authorized"),
                (zeroCapacity, 400, "invalid_field"),
                ("[" + String(repeating: " ", count: 17 << 20) + "]", 413, "body_too_large"),
                ("[" + Array(repeating: neverApplied, count: 8193).joined(separator: ",") + "]", 413, "batch_too_large"),
            ]
            for (body, status, code) in refusals {
                try await api.call("POST", "/v1/envelopes", body: body, expect: status, code: code)
            }
            // The binary media type: frames of canonical envelopes, refused with the binary
            // decoder's codes; any other media type is 415.
            let eventEnvelope = try JSONForm.decode(Envelope.self, from: Array(event.utf8))
            let eventBytes = eventEnvelope.bytes
            var badUTF8 = eventBytes, unknownKind = eventBytes
            badUTF8[5] = 0xFF
            let kindAt = 1 + 4 + eventEnvelope.chainID.utf8.count + 32 + 8
            unknownKind[kindAt] = 0xFF
            unknownKind[kindAt + 1] = 0xFF
            let frame = { (bytes: [UInt8]) in [0, 0, UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
            let binaryRefusals: [([UInt8], Int, String)] = [
                ([], 400, "invalid_batch"),
                (frame(eventBytes) + [0], 400, "truncated"),
                (frame(eventBytes + [0]), 400, "trailing_bytes"),
                (frame(badUTF8), 400, "non_canonical"),
                (frame(unknownKind), 400, "unknown_operation"),
                (Array([[UInt8]](repeating: frame(eventBytes), count: 8193).joined()), 413, "batch_too_large"),
            ]
            for (body, status, code) in binaryRefusals {
                try await api.call("POST", "/v1/envelopes", headers: ["Content-Type": EnvelopeFrames.mediaType], bytes: body, expect: status, code: code)
            }
            try await api.call("POST", "/v1/envelopes", headers: ["Content-Type": "text/plain"], body: event, expect: 415, code: "unsupported_media_type")
            let framed = try await api.call("POST", "/v1/envelopes", headers: ["Content-Type": EnvelopeFrames.mediaType],
                                            bytes: EnvelopeFrames.encode([eventEnvelope]), expect: 200)
            #expect(framed["results"]?.array == [eventReceipt], "one frame is answered as an array of one")
            let after = try await api.call("GET", "/v1/head", expect: 200)
            #expect(after["head"] == before["head"], "a refused submission must not change the ledger")
            let head = try #require(after["head"])

            // Status: a one-node cluster leads alone.
            let status = try await api.call("GET", "/v1/status", expect: 200)
            #expect(status["role"]?.string == "leader" && status["node"]?.string == "n1" && status["leader"]?.string == "n1")
            #expect(status["leader_api"]?.string == c.api(1))
            #expect(status["peers"]?.array?.isEmpty == true)
            #expect(status["head"] == head)

            // Blocks.
            let block1 = try await api.call("GET", "/v1/blocks/{height}", ["height": "1"], expect: 200)
            #expect(block1["prev"]?.string == genesisHash)
            #expect(block1["entries"] == .array([.object(["envelope": .string(try FormatModel.envelopeHash(line: registerIssuer)), "result": .string("ok")])]))
            let block4 = try await api.call("GET", "/v1/blocks/{height}", ["height": "4"], expect: 200)
            #expect(block4["entries"]?.array?.map { $0["envelope"]?.string } == [try FormatModel.envelopeHash(line: registerGate), try FormatModel.envelopeHash(line: transfer)])
            #expect(block4["tree_size"]?.int == 5)
            let block5 = try await api.call("GET", "/v1/blocks/{height}", ["height": "5"], expect: 200)
            #expect(block5["entries"]?.array?.map { $0["result"]?.string } == ["ok", "ok", "not_holder"])
            #expect(block5["hash"] == head["block_hash"] && block5["tree_root"] == head["tree_root"] && block5["timestamp"] == head["timestamp"])
            try await api.call("GET", "/v1/blocks/{height}", ["height": "0"], expect: 404, code: "not_found")
            try await api.call("GET", "/v1/blocks/{height}", ["height": "6"], expect: 404, code: "not_found")
            try await api.call("GET", "/v1/blocks/{height}", ["height": "minus-one"], expect: 400, code: "invalid_parameter")

            // Records.
            let transferHash = try FormatModel.envelopeHash(line: transfer)
            let record = try await api.call("GET", "/v1/records/{hash}", ["hash": transferHash], expect: 200)
            #expect(record["hash"]?.string == transferHash)
            #expect(record["envelope"] == (try JSONValue.parse(transfer)))
            #expect(record["receipt"]?["leaf"] == transferReceipt["leaf"] && record["receipt"]?["height"] == transferReceipt["height"])
            #expect(record["receipt"]?["position"] == transferReceipt["position"] && record["receipt"]?["result"]?.string == "ok")
            try await api.call("GET", "/v1/records/{hash}", ["hash": transferHash.uppercased()], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/records/{hash}", ["hash": "zz"], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/records/{hash}", ["hash": String(repeating: "0", count: 64)], expect: 404, code: "not_found")

            // A block with its records in one answer, each envelope also in its canonical bytes,
            // and the binary forms of blocks and envelopes: checked against the test's own
            // model of docs/format.md, not the node's encoder.
            let full = try await api.call("GET", "/v1/blocks/{height}/records", ["height": "5"], expect: 200)
            #expect(full["block"] == block5.json)
            let fullRecords = try #require(full["records"]?.array)
            #expect(try fullRecords.map { $0["bytes"]?.string } == [redeem, void, stolen].map { FormatModel.hex(try FormatModel.envelopeBytes(line: $0)) })
            #expect(try fullRecords.map { $0["hash"]?.string } == [redeem, void, stolen].map { try FormatModel.envelopeHash(line: $0) })
            #expect(try fullRecords.map { $0["envelope"] } == [redeem, void, stolen].map { try JSONValue.parse($0) })
            #expect(fullRecords.map { $0["result"]?.string } == ["ok", "ok", "not_holder"] && fullRecords.map { $0["leaf"]?.int } == [5, 6, 7])
            try await api.call("GET", "/v1/blocks/{height}/records", ["height": "6"], expect: 404, code: "not_found")
            try await api.call("GET", "/v1/blocks/{height}/records", ["height": "x"], expect: 400, code: "invalid_parameter")
            func octets(_ path: String) async throws -> (type: String?, body: [UInt8]) {
                let raw = try await RawHTTP.exchange(c.api(1), Array("GET \(path) HTTP/1.1\r\nHost: t\r\nAccept: application/octet-stream\r\nConnection: close\r\n\r\n".utf8),
                                                     timeout: 15)
                let split = try #require(FormatModel.offsets(of: Array("\r\n\r\n".utf8), in: raw).first)
                let head = String(decoding: raw[..<split], as: UTF8.self).lowercased()
                return (head.split(separator: "\r\n").first { $0.hasPrefix("content-type:") }.map { String($0.dropFirst(13)).trimmingCharacters(in: .whitespaces) },
                        Array(raw[(split + 4)...]))
            }
            let envelopeOctets = try await octets("/v1/records/\(transferHash)")
            let transferBytes = try FormatModel.envelopeBytes(line: transfer)
            #expect(envelopeOctets.type == "application/octet-stream" && envelopeOctets.body == transferBytes)
            let blockOctets = try await octets("/v1/blocks/5")
            #expect(blockOctets.type == "application/octet-stream")
            #expect(FormatModel.hex(FormatModel.sha256(Array(blockOctets.body.prefix(125)))) == head["block_hash"]?.string,
                    "the stored form starts with the header (125 bytes), whose SHA-256 is the block hash")

            // Proofs, checked with the RFC's own algorithms: the transfer is in the signed head's
            // tree, and the head's tree extends the first block's.
            let proof = try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", transferHash)], expect: 200)
            let path = try (proof["path"]?.array ?? []).map { try FormatModel.unhex(try #require($0.string)) }
            let leafHash = try FormatModel.unhex(try #require(proof["leaf_hash"]?.string))
            #expect(leafHash == FormatModel.sha256([0] + (try FormatModel.envelopeBytes(line: transfer))))
            let size = try #require(head["tree_size"]?.int).magnitude
            let leafIndex = try #require(proof["leaf"]?.int).magnitude
            let root = RFC9162.root(leaf: UInt64(leafIndex), size: UInt64(size), leafHash: leafHash, path: path)
            #expect(root.map(FormatModel.hex) == head["tree_root"]?.string && proof["root"] == head["tree_root"])
            #expect(proof["head"]?["head"]?["tree_root"] == head["tree_root"], "the proof comes with the signed head it is against")
            if var tampered = path.first {
                tampered[0] ^= 1
                #expect(RFC9162.root(leaf: UInt64(leafIndex), size: UInt64(size), leafHash: leafHash, path: [tampered] + path.dropFirst())
                        .map(FormatModel.hex) != head["tree_root"]?.string, "a tampered proof fails")
            }
            let earlier = try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", transferHash), ("size", "\(leafIndex + 1)")], expect: 200)
            #expect(earlier["head"] == nil && earlier["tree_size"]?.int == Int64(leafIndex + 1))
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", transferHash), ("size", "\(leafIndex)")], expect: 400, code: "proof_out_of_range")
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", transferHash), ("size", "\(size + 1)")], expect: 400, code: "proof_out_of_range")
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", "zz")], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/proofs/inclusion", query: [("hash", String(repeating: "0", count: 64))], expect: 404, code: "not_found")
            let consistency = try await api.call("GET", "/v1/proofs/consistency", query: [("from", "1"), ("to", "\(size)")], expect: 200)
            let firstRoot = try FormatModel.unhex(try #require(consistency["from_root"]?.string))
            #expect(firstRoot == FormatModel.sha256([0] + (try FormatModel.envelopeBytes(line: registerIssuer))), "a one-leaf tree's root is its leaf hash")
            #expect(consistency["to_root"] == head["tree_root"])
            #expect(RFC9162.consistent(first: 1, second: UInt64(size), firstRoot: firstRoot,
                                       secondRoot: try FormatModel.unhex(try #require(head["tree_root"]?.string)),
                                       path: try (consistency["path"]?.array ?? []).map { try FormatModel.unhex(try #require($0.string)) }))
            try await api.call("GET", "/v1/proofs/consistency", query: [("from", "\(size)"), ("to", "1")], expect: 400, code: "proof_out_of_range")
            try await api.call("GET", "/v1/proofs/consistency", query: [("from", "1")], expect: 400, code: "invalid_parameter")

            // Tickets: T-1 went to bob and was redeemed, T-2 was voided, T-3 stayed with alice.
            let t1 = try await api.call("GET", "/v1/tickets/{id}", ["id": "T-1"], expect: 200)
            #expect(t1["ticket"]?["holder"]?.string == bob.publicKey && t1["ticket"]?["sequence"]?.int == 1)
            #expect(t1["ticket"]?["status"]?.string == "redeemed" && t1["ticket"]?["redeemed_by"]?.string == gate.publicKey)
            #expect(t1["ticket"]?["issued_height"] == issueReceipt["height"] && t1["ticket"]?["updated_height"] == redeemReceipt["height"])
            #expect(t1["ticket"]?["event_id"]?.string == "EV" && t1["ticket"]?["face_value"]?.int == 4500)
            #expect(t1["served_at"]?["consistency"]?.string == "local" && t1["served_at"]?["height"] == head["height"])
            let t2 = try await api.call("GET", "/v1/tickets/{id}", ["id": "T-2"], query: [("consistency", "linearizable")], expect: 200)
            #expect(t2["ticket"]?["status"]?.string == "void" && t2["ticket"]?["redeemed_by"] == nil)
            #expect(t2["served_at"]?["consistency"]?.string == "linearizable")
            let t3 = try await api.call("GET", "/v1/tickets/{id}", ["id": "T-3"], query: [("consistency", "local")], expect: 200)
            #expect(t3["ticket"]?["holder"]?.string == alice.publicKey && t3["ticket"]?["status"]?.string == "active")
            try await api.call("GET", "/v1/tickets/{id}", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            try await api.call("GET", "/v1/tickets/{id}", ["id": "T-1"], query: [("consistency", "sometimes")], expect: 400, code: "invalid_parameter")

            // History: oldest first, rejected attempts included, paged by leaf.
            let issueHash = try FormatModel.envelopeHash(line: issue)
            let h1 = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], expect: 200)
            #expect(h1["records"]?.array?.map { $0["hash"]?.string } == [issueHash, transferHash, try FormatModel.envelopeHash(line: redeem)])
            let page = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"],
                                          query: [("after", "\(issueReceipt["leaf"]?.int ?? -1)"), ("limit", "1"), ("consistency", "linearizable")], expect: 200)
            #expect(page["records"]?.array?.map { $0["hash"]?.string } == [transferHash])
            #expect(page["served_at"]?["consistency"]?.string == "linearizable")
            let h3 = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-3"], query: [("limit", "1000")], expect: 200)
            #expect(h3["records"]?.array?.map { $0["receipt"]?["result"]?.string } == ["ok", "not_holder"])
            #expect(h3["records"]?.array?.last?["receipt"]?["leaf"] == stolenReceipt["leaf"])
            try await api.call("GET", "/v1/tickets/{id}/history", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            for query in [[("limit", "0")], [("limit", "1001")], [("limit", "ten")], [("after", "-1")], [("consistency", "eventual")]] {
                try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], query: query, expect: 400, code: "invalid_parameter")
            }

            // A holder's history: bob received T-1, had it redeemed, and tried to move T-3.
            let bobs = try await api.call("GET", "/v1/holders/{key}/history", ["key": bob.publicKey], expect: 200)
            #expect(bobs["records"]?.array?.map { $0["hash"]?.string } == [transferHash, try FormatModel.envelopeHash(line: redeem),
                                                                         try FormatModel.envelopeHash(line: stolen)])
            try await api.call("GET", "/v1/holders/{key}/history", ["key": "bob"], expect: 400, code: "invalid_parameter")

            // Events.
            let issuerKey = try #require(JSONValue.parse(event)["signer"]?.string)
            let ev = try await api.call("GET", "/v1/events/{id}", ["id": "EV"], expect: 200)
            #expect(ev["event"]?["issuer"]?.string == issuerKey && ev["event"]?["issued"]?.int == 3 && ev["event"]?["capacity"]?.int == 10)
            #expect(ev["event"]?["created_height"] == eventReceipt["height"] && ev["event"]?["name"]?.string == "Show")
            let evLinear = try await api.call("GET", "/v1/events/{id}", ["id": "EV"], query: [("consistency", "linearizable")], expect: 200)
            #expect(evLinear["served_at"]?["consistency"]?.string == "linearizable")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV2"], expect: 404, code: "unknown_event")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV"], query: [("consistency", "strong")], expect: 400, code: "invalid_parameter")

            // Health and metrics.
            let health = try await api.call("GET", "/healthz", expect: 200)
            #expect(health["role"]?.string == "leader")
            let metrics = try await api.call("GET", "/metrics", expect: 200)
            #expect(metrics.reply.text.contains("# TYPE ") && metrics.reply.text.contains("hb_requests"), "\(metrics.reply.text.prefix(400))")

            // A path the document does not list answers a documented problem.
            let nowhere = try await RawHTTP.request("GET", c.api(1), "/v1/nothing-here")
            #expect(nowhere.status == 404 && nowhere.headers["content-type"] == "application/problem+json", "\(nowhere)")
            let problem = try JSONValue.parse(nowhere.body)
            #expect(try SchemaCheck(doc: doc).errors(problem, .map([YAMLEntry(key: "$ref", value: .scalar("#/components/schemas/Problem"))])) == [])
            #expect(problem["code"]?.string == "not_found" && doc.problemStatus("not_found") == 404)

            // The audit and gate operations have suites of their own (AuditAPITests, GateAPITests).
            APIProbe.expectCovered(api.seen, doc, operations: doc.operations.filter { !AuditAPITests.isAudit($0) && !GateAPITests.isGate($0) })
        }
    }

    @Test func withoutALeaderWritesAndLinearizableReadsAnswer503WithRetryAfter() async throws {
        let doc = try OpenAPIDocument.load()
        // Two members, one started: it can never win an election.
        try await withCluster(size: 2) { c in
            try c.start(1)
            let deadline = Date().addingTimeInterval(20)
            while await c.status(1) == nil {
                guard Date() < deadline else { throw SandboxError("n1 never answered\n\(c.logs())") }
                try await Task.sleep(for: .milliseconds(50))
            }
            let api = APIProbe(doc: doc, address: c.api(1))
            let g = c.chain
            let event = try await c.sandbox.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV", "--name", "Show",
                                               "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let refused = try await api.call("POST", "/v1/envelopes", body: event, expect: 503, code: "no_leader")
            #expect(refused.reply.headers["retry-after"] == "1")
            try await api.call("POST", "/v1/envelopes", body: "[\(event)]", expect: 503, code: "no_leader")
            let linearizable = [("consistency", "linearizable")]
            try await api.call("GET", "/v1/tickets/{id}", ["id": "T-1"], query: linearizable, expect: 503, code: "no_leader")
            try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], query: linearizable, expect: 503, code: "no_leader")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV"], query: linearizable, expect: 503, code: "no_leader")

            // Local reads and the rest still answer; no leader is named.
            try await api.call("GET", "/v1/events/{id}", ["id": "EV"], expect: 404, code: "unknown_event")
            let status = try await api.call("GET", "/v1/status", expect: 200)
            #expect(status["role"]?.string != "leader" && status["leader"] == nil && status["leader_api"] == nil)
            #expect(status["peers"]?.array?.isEmpty == true, "only a leader tracks its peers")
            let health = try await api.call("GET", "/healthz", expect: 200)
            #expect(health["role"]?.string != "leader")
            try await api.call("GET", "/v1/head", expect: 200)
        }
    }
}
