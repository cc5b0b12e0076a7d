import Foundation
import TalonProtocol
import TalonLedger
import Testing

/// Malformed JSON envelopes: each is refused with `invalid_json`, or `unknown_version` for a
/// well-typed but wrong `"version"`. Values stay small here so that Foundation's
/// `JSONSerialization`, used to edit the JSON independently of `JSONForm`, keeps them exact.
@Suite struct EncodingMalformedJSONTests {
    static let key = SigningKey(seed: [UInt8](repeating: 0x33, count: 32))!
    static let other = SigningKey(seed: [UInt8](repeating: 0x44, count: 32))!.publicKey

    static func envelope(_ op: LedgerOperation) -> Envelope {
        Envelope(chainID: "talon-json", nonce: 7, operation: op, signedBy: key)
    }

    /// One envelope of each kind, with the names of its key-valued op fields.
    static let samples: [(Envelope, keyFields: [String])] = [
        (envelope(.registerIssuer(RegisterIssuer(issuer: other, name: "Org"))), ["issuer"]),
        (envelope(.createEvent(CreateEvent(eventID: "E1", name: "Show", venue: "Hall", startsAt: 1_798_747_200_000,
                                           doorsOpenAt: 1_798_740_000_000, capacity: 10, currency: "EUR"))), []),
        (envelope(.registerGate(RegisterGate(eventID: "E1", gate: other, name: "North", sections: ["A", "B"]))), ["gate"]),
        (envelope(.issue(IssueTickets(eventID: "E1", tickets: [
            TicketSpec(ticketID: "T1", section: "A", seat: "1", faceValue: 4500, holder: other),
            TicketSpec(ticketID: "T2", section: "A", seat: "2", faceValue: 4600, holder: other),
        ]))), []),
        (envelope(.transfer(Transfer(ticketID: "T1", to: other))), ["to"]),
        (envelope(.redeem(Redeem(ticketID: "T1", sequence: 3, scannedAt: 1_798_747_000_000))), []),
        (envelope(.void(VoidTicket(ticketID: "T1", reason: "duplicate"))), []),
    ]
    static var envelopes: [Envelope] { samples.map(\.0) }
    static let transfer = envelope(.transfer(Transfer(ticketID: "T1", to: other)))
    static let issue = envelopes[3]

    /// `e`'s JSON form as a dictionary, edited by `edit`, serialized again.
    static func edited(_ e: Envelope, _ edit: (inout [String: Any]) -> Void) -> [UInt8] {
        var object = try! JSONSerialization.jsonObject(with: Data(JSONForm.encode(e))) as! [String: Any]
        edit(&object)
        return Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// Edits `e`'s `op` object.
    static func editedOp(_ e: Envelope, _ edit: @escaping (inout [String: Any]) -> Void) -> [UInt8] {
        edited(e) { object in
            var op = object["op"] as! [String: Any]
            edit(&op)
            object["op"] = op
        }
    }

    /// `e`'s JSON text with `old` replaced by `new` (exactly once).
    static func replaced(_ e: Envelope, _ old: String, _ new: String) -> [UInt8] {
        let text = String(decoding: JSONForm.encode(e), as: UTF8.self)
        if text.components(separatedBy: old).count != 2 { Issue.record("\(old) must occur once in \(text)") }
        return Array(text.replacingOccurrences(of: old, with: new).utf8)
    }

    private func decode(_ json: [UInt8]) throws(TalonError) -> Envelope { try JSONForm.decode(Envelope.self, from: json) }

    // MARK: the editing harness itself

    /// Unedited, the re-serialized dictionary decodes to the same envelope: every refusal
    /// below comes from the edit alone.
    @Test func harnessRoundTrips() throws {
        for e in Self.envelopes {
            #expect(try decode(Self.edited(e) { _ in }) == e)
            #expect(try decode(Self.editedOp(e) { _ in }) == e)
        }
    }

    // MARK: not JSON, or not an object

    @Test(arguments: ["", " ", "{", "}", "[]", "[{}]", "null", "1", "true", "\"envelope\"", "not json", "{'version':1}",
                      "{\"version\":1", "{\"version\":1,}", "{version:1}"])
    func invalidJSONText(text: String) {
        #expect(throws: TalonError(.invalidJSON)) { try decode(Array(text.utf8)) }
    }

    @Test func invalidJSONBytes() {
        let valid = JSONForm.encode(Self.transfer)
        #expect(throws: TalonError(.invalidJSON)) { try decode(valid + Array("x".utf8)) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(valid + valid) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(valid + [0x00]) }
        // Invalid UTF-8 inside a JSON string, and an escaped lone surrogate.
        for bad: [UInt8] in [[0xC0, 0x80], [0x80], [0xED, 0xA0, 0x80], [0xFF]] {
            let text = Self.replaced(Self.transfer, "\"talon-json\"", "\"talon-QQ\"")
            let at = Bytes.find(Array("QQ".utf8), in: text)!
            var b = text
            b.replaceSubrange(at..<at + 2, with: bad)
            #expect(throws: TalonError(.invalidJSON), "\(bad)") { try decode(b) }
        }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"talon-json\"", "\"talon-\\ud800\"")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"talon-json\"", "\"talon-\\udc00x\"")) }
    }

    /// Every proper prefix of a JSON envelope is incomplete JSON.
    @Test func everyPrefixIsInvalid() {
        for e in Self.envelopes {
            let json = JSONForm.encode(e)
            for n in 0..<json.count {
                #expect(throws: TalonError(.invalidJSON), "\(e.operation.kind.name) cut at \(n)") { try decode(Array(json.prefix(n))) }
            }
        }
    }

    // MARK: wrong types

    @Test func wrongTypesAtTheTop() {
        let e = Self.transfer
        let cases: [(String, Any)] = [
            ("nonce", "7"), ("nonce", -1), ("nonce", 1.5), ("nonce", true), ("nonce", NSNull()), ("nonce", [7]), ("nonce", [String: Any]()),
            ("chain_id", 5), ("chain_id", ["talon-json"]), ("chain_id", NSNull()),
            ("signer", 5), ("signer", NSNull()),
            ("signature", 5), ("signature", [UInt8](repeating: 1, count: 64)),
            ("op", "transfer"), ("op", [Any]()), ("op", NSNull()),
            ("version", "1"), ("version", true), ("version", 1.5),
        ]
        for (field, value) in cases {
            #expect(throws: TalonError(.invalidJSON), "\(field): \(value)") { try decode(Self.edited(e) { $0[field] = value }) }
        }
        // Integers out of their type's range.
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(e, "\"nonce\":7,", "\"nonce\":18446744073709551616,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(e, "\"nonce\":7,", "\"nonce\":-0.5,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(e, "\"nonce\":7,", "\"nonce\":1.5,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(e, "\"nonce\":7,", "\"nonce\":07,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(e, "\"nonce\":7,", "\"nonce\":+7,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(e, "\"nonce\":7,", "\"nonce\":0x7,")) }
    }

    @Test func wrongTypesInTheOperation() {
        let create = Self.envelopes[1], gate = Self.envelopes[2], redeem = Self.envelopes[5]
        let cases: [(Envelope, String, Any)] = [
            (Self.transfer, "ticket_id", 5), (Self.transfer, "ticket_id", NSNull()), (Self.transfer, "to", 5), (Self.transfer, "type", 5),
            (create, "capacity", -1), (create, "capacity", 4_294_967_296), (create, "capacity", "10"), (create, "capacity", 1.5),
            (create, "starts_at", "1798747200000"), (create, "currency", 978), (create, "name", ["Show"]),
            (gate, "sections", "A"), (gate, "sections", [1, 2]), (gate, "sections", [["A"]]), (gate, "sections", NSNull()),
            (Self.issue, "tickets", [String: Any]()), (Self.issue, "tickets", [5]), (Self.issue, "tickets", "T1"),
            (redeem, "sequence", -1), (redeem, "sequence", "3"), (redeem, "scanned_at", 0.5),
        ]
        for (e, field, value) in cases {
            #expect(throws: TalonError(.invalidJSON), "\(e.operation.kind.name).\(field): \(value)") {
                try decode(Self.editedOp(e) { $0[field] = value })
            }
        }
        #expect(throws: TalonError(.invalidJSON)) {
            try decode(Self.replaced(create, "\"starts_at\":1798747200000", "\"starts_at\":9223372036854775808"))
        }
        #expect(throws: TalonError(.invalidJSON)) {
            try decode(Self.replaced(Self.issue, "\"face_value\":4500,\"holder\"", "\"face_value\":-4500,\"holder\""))
        }
    }

    /// docs/format.md: "Integers are JSON integers (no fraction, no exponent)".
    static let integralNumbers = ["7.0", "7e0", "7E0", "0.7e1", "7.000", "70e-1"]

    /// A whole number written with a fraction or exponent is a second spelling of an integer.
    @Test(arguments: integralNumbers)
    func integersWithFractionOrExponent(number: String) {
        let create = Self.envelopes[1], redeem = Self.envelopes[5]
        let cases: [(String, [UInt8])] = [
            ("nonce", Self.replaced(Self.transfer, "\"nonce\":7,", "\"nonce\":\(number),")),
            ("version", Self.replaced(Self.transfer, "\"version\":1}", "\"version\":\(number.replacingOccurrences(of: "7", with: "1"))}")),
            ("capacity", Self.replaced(create, "\"capacity\":10,", "\"capacity\":\(number),")),
            ("sequence", Self.replaced(redeem, "\"sequence\":3,", "\"sequence\":\(number),")),
        ]
        for (field, json) in cases {
            #expect(throws: TalonError(.invalidJSON), "\(field) = \(number)") { try decode(json) }
        }
    }

    // MARK: unknown and missing keys

    @Test func unknownTopLevelKeys() {
        for key in ["extra", "Version", "chainId", "chain-id", "hash", " nonce", "op "] {
            for e in Self.envelopes {
                #expect(throws: TalonError(.invalidJSON), "\(key)") { try decode(Self.edited(e) { $0[key] = 1 }) }
            }
        }
    }

    @Test func unknownKeysInTheOperation() {
        let foreign: [LedgerOperation.Kind: String] = [
            .registerIssuer: "event_id", .createEvent: "sections", .registerGate: "tickets", .issue: "name",
            .transfer: "reason", .redeem: "to", .void: "sequence", .deployContract: "event_id", .bindContract: "source",
        ]
        for e in Self.envelopes {
            for key in ["extra", "Type", "ticketId", foreign[e.operation.kind, default: "extra"]] {
                #expect(throws: TalonError(.invalidJSON), "\(e.operation.kind.name) + \(key)") {
                    try decode(Self.editedOp(e) { $0[key] = "x" })
                }
            }
        }
        // …and inside a ticket of an issue.
        #expect(throws: TalonError(.invalidJSON)) {
            try decode(Self.editedOp(Self.issue) { op in
                var tickets = op["tickets"] as! [[String: Any]]
                tickets[1]["row"] = "7"
                op["tickets"] = tickets
            })
        }
    }

    @Test(arguments: ["deploy_contract", "cancel_event", "Transfer", "TRANSFER", "transfer ", "", "registerIssuer", "register-issuer"])
    func unknownOperationType(type: String) {
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.editedOp(Self.transfer) { $0["type"] = type }) }
    }

    @Test func missingTopLevelFields() {
        for e in Self.envelopes {
            for key in ["version", "chain_id", "signer", "nonce", "op", "signature"] {
                #expect(throws: TalonError(.invalidJSON), "without \(key)") { try decode(Self.edited(e) { $0[key] = nil }) }
            }
        }
    }

    @Test func missingOperationFields() {
        for e in Self.envelopes {
            let keys = (try! JSONSerialization.jsonObject(with: Data(JSONForm.encode(e))) as! [String: Any])["op"] as! [String: Any]
            #expect(keys.count >= 3)
            for key in keys.keys {
                #expect(throws: TalonError(.invalidJSON), "\(e.operation.kind.name) without \(key)") {
                    try decode(Self.editedOp(e) { $0[key] = nil })
                }
            }
        }
        for key in ["ticket_id", "section", "seat", "face_value", "holder"] {
            #expect(throws: TalonError(.invalidJSON), "ticket without \(key)") {
                try decode(Self.editedOp(Self.issue) { op in
                    var tickets = op["tickets"] as! [[String: Any]]
                    tickets[0][key] = nil
                    op["tickets"] = tickets
                })
            }
        }
    }

    // MARK: key and signature text

    /// Text forms of a public key that docs/format.md refuses.
    static func badKeyTexts(_ k: PublicKey) -> [String] {
        let hex = Bytes.hex(k.bytes)
        // One letter digit upper-cased, the rest as they were.
        let letter = hex.firstIndex { "abcdef".contains($0) }!
        let oneUpper = hex[..<letter] + hex[letter...].prefix(1).uppercased() + hex[hex.index(after: letter)...]
        return [
            "ed25519:" + hex.uppercased(),
            "ed25519:" + oneUpper,
            "ED25519:" + hex,
            "Ed25519:" + hex,
            "ed25519-" + hex,
            "ed25519" + hex,
            "curve25519:" + hex,
            hex,
            "ed25519:" + hex.dropLast(2),
            "ed25519:" + hex.dropLast(1),
            "ed25519:" + hex + "00",
            "ed25519:" + hex + "0",
            "ed25519:" + hex.dropLast(1) + "g",
            "ed25519: " + hex.dropLast(1),
            "ed25519:",
            "",
        ]
    }

    @Test func badKeyText() {
        for bad in Self.badKeyTexts(Self.key.publicKey) {
            #expect(throws: TalonError(.invalidJSON), "signer \(bad)") { try decode(Self.edited(Self.transfer) { $0["signer"] = bad }) }
        }
        for (e, keyFields) in Self.samples {
            for field in keyFields {
                for bad in Self.badKeyTexts(Self.other) {
                    #expect(throws: TalonError(.invalidJSON), "\(field) \(bad)") { try decode(Self.editedOp(e) { $0[field] = bad }) }
                }
            }
        }
        for bad in Self.badKeyTexts(Self.other) {
            #expect(throws: TalonError(.invalidJSON), "holder \(bad)") {
                try decode(Self.editedOp(Self.issue) { op in
                    var tickets = op["tickets"] as! [[String: Any]]
                    tickets[1]["holder"] = bad
                    op["tickets"] = tickets
                })
            }
        }
    }

    @Test func badSignatureText() {
        let e = Self.transfer
        let hex = Bytes.hex(e.signature.bytes)
        let bad: [String] = [
            String(hex.dropLast(2)), String(hex.dropLast(1)), hex + "0", hex + "00", String(hex.prefix(64)),
            hex.uppercased(), "0x" + hex.dropFirst(2), "0x" + hex, String(hex.dropLast(1)) + "g", "", " " + hex.dropFirst(1),
        ]
        for s in bad {
            #expect(throws: TalonError(.invalidJSON), "signature \(s)") { try decode(Self.edited(e) { $0["signature"] = s }) }
        }
    }

    // MARK: version

    @Test(arguments: [0, 2, 255])
    func wrongVersion(version: Int) {
        for e in Self.envelopes {
            #expect(throws: TalonError(.unknownVersion)) { try decode(Self.edited(e) { $0["version"] = version }) }
        }
    }

    /// Versions no byte can hold: refused, as a wrong version or as a wrong type.
    @Test(arguments: [256, -1, 65_537])
    func versionOutOfByteRange(version: Int) {
        do {
            _ = try decode(Self.edited(Self.transfer) { $0["version"] = version })
            Issue.record("version \(version) decoded")
        } catch {
            #expect(error == TalonError(.unknownVersion) || error == TalonError(.invalidJSON))
        }
    }

    // MARK: second spellings

    /// Other spellings of an integer: leading zeros, negative zero.
    @Test(arguments: ["07", "007", "-0"])
    func nonCanonicalIntegers(number: String) {
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"nonce\":7,", "\"nonce\":\(number),")) }
    }

    /// A repeated key would let two readers see two different envelopes in one text.
    @Test func repeatedKeysAreRefused() {
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"nonce\":7,", "\"nonce\":7,\"nonce\":7,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"nonce\":7,", "\"nonce\":8,\"nonce\":7,")) }
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"ticket_id\":", "\"ticket_id\":\"T9\",\"ticket_id\":")) }
    }

    /// Keys are plain: an escaped spelling of a known key is refused rather than unescaped.
    @Test func escapedKeysAreRefused() {
        #expect(throws: TalonError(.invalidJSON)) { try decode(Self.replaced(Self.transfer, "\"nonce\":7,", "\"\\u006eonce\":7,")) }
    }

    /// The same envelope with whitespace and escapes inside string values still decodes.
    @Test func insignificantWhitespaceAndValueEscapesDecode() throws {
        let spaced = Self.replaced(Self.transfer, "\"nonce\":7,", " \"nonce\" :\n 7 ,\t")
        #expect(try decode(spaced) == Self.transfer)
        let escaped = Self.replaced(Self.transfer, "\"ticket_id\":\"T1\"", "\"ticket_id\":\"\\u00541\"")
        #expect(try decode(escaped) == Self.transfer)
    }
}
