import Foundation
import PropertyBased
import TalonProtocol
import TalonLedger
import Testing

/// Round trips of generated envelopes of every operation kind through the binary and the
/// JSON form, and what a properly signed envelope must satisfy.
@Suite struct EncodingRoundTripTests {
    static let kinds = LedgerOperation.Kind.allCases

    @Test(arguments: kinds)
    func binaryRoundTrip(kind: LedgerOperation.Kind) async {
        await propertyCheck(count: 100, input: EnvelopeGen.anyEnvelopes(kind)) { s in
            let e = s.envelope
            #expect(e.operation.kind == kind)
            // The size and the signature's place follow docs/format.md's layout.
            #expect(e.bytes.count == EnvelopeLayout.size(e))
            #expect(e.bytes.first == 1, "version byte")
            #expect(Array(e.bytes.suffix(64)) == e.signature.bytes)
            #expect(e.hash == SHA256.hash(e.bytes))

            let decoded = try Envelope(bytes: e.bytes)
            #expect(decoded == e)
            #expect(decoded.bytes == e.bytes)
            #expect(decoded.hash == e.hash)
            #expect(decoded.chainID.utf8.elementsEqual(e.chainID.utf8), "strings come back byte for byte")
            #expect(decoded.operation == e.operation)
            #expect(decoded.nonce == e.nonce && decoded.signer == e.signer && decoded.signature == e.signature)
        }
    }

    @Test(arguments: kinds)
    func jsonRoundTrip(kind: LedgerOperation.Kind) async {
        await propertyCheck(count: 100, input: EnvelopeGen.anyEnvelopes(kind)) { s in
            let e = s.envelope
            let json = JSONForm.encode(e)
            let decoded = try JSONForm.decode(Envelope.self, from: json)
            #expect(decoded == e)
            #expect(decoded.bytes == e.bytes)
            // JSON → binary → JSON: identical JSON bytes.
            let viaBinary = try Envelope(bytes: decoded.bytes)
            #expect(JSONForm.encode(viaBinary) == json)
            // And the pretty form reads back to the same envelope.
            #expect(try JSONForm.decode(Envelope.self, from: JSONForm.encode(e, pretty: true)) == e)
        }
    }

    /// The JSON form's shape, checked with an independent JSON parser: exact key sets,
    /// the text forms of keys and signatures, integers written as plain decimal integers.
    @Test(arguments: kinds)
    func jsonShape(kind: LedgerOperation.Kind) async {
        let opFields: [LedgerOperation.Kind: Set<String>] = [
            .registerIssuer: ["issuer", "name"],
            .createEvent: ["event_id", "name", "venue", "starts_at", "doors_open_at", "capacity", "currency"],
            .registerGate: ["event_id", "gate", "name", "sections"],
            .issue: ["event_id", "tickets"],
            .transfer: ["ticket_id", "to"],
            .redeem: ["ticket_id", "sequence", "scanned_at"],
            .void: ["ticket_id", "reason"],
            .deployContract: ["source"],
            .bindContract: ["event_id", "contract", "params"],
            .listResale: ["ticket_id", "price", "fees"], .cancelListing: ["ticket_id"], .buyResale: ["ticket_id", "price", "fees"],
            .requestRefund: ["ticket_id"], .cancelEvent: ["event_id", "reason"],
        ]
        let names: [LedgerOperation.Kind: String] = [
            .registerIssuer: "register_issuer", .createEvent: "create_event", .registerGate: "register_gate",
            .issue: "issue", .transfer: "transfer", .redeem: "redeem", .void: "void",
            .deployContract: "deploy_contract", .bindContract: "bind_contract", .listResale: "list_resale",
            .cancelListing: "cancel_listing", .buyResale: "buy_resale", .requestRefund: "request_refund", .cancelEvent: "cancel_event",
        ]
        await propertyCheck(count: 30, input: EnvelopeGen.anyEnvelopes(kind)) { s in
            let e = s.envelope
            let json = JSONForm.encode(e)
            let text = String(decoding: json, as: UTF8.self)
            let top = try #require(try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])
            #expect(Set(top.keys) == ["version", "chain_id", "signer", "nonce", "op", "signature"])
            #expect(top["version"] as? Int == 1)
            #expect(top["chain_id"] as? String == e.chainID)
            #expect(top["signer"] as? String == "ed25519:" + Bytes.hex(e.signer.bytes))
            #expect(top["signature"] as? String == Bytes.hex(e.bytes.suffix(64)))
            let op = try #require(top["op"] as? [String: Any])
            #expect(Set(op.keys) == (try #require(opFields[kind])).union(["type"]))
            #expect(op["type"] as? String == names[kind])
            // Keys are sorted on output: "chain_id" < "nonce" < "op" < "signature" < "signer" < "version".
            #expect(text.hasPrefix("{\"chain_id\":"))
            #expect(text.contains("\"nonce\":\(e.nonce),\"op\":{"), "nonce as a plain integer")
            #expect(text.hasSuffix(",\"version\":1}"))
            switch e.operation {
            case .createEvent(let o):
                #expect(text.contains("\"starts_at\":\(o.startsAt),"))
                #expect(text.contains("\"doors_open_at\":\(o.doorsOpenAt),"))
                #expect(text.contains("\"capacity\":\(o.capacity),"))
            case .redeem(let o):
                #expect(text.contains("\"sequence\":\(o.sequence),"))
                #expect(text.contains("\"scanned_at\":\(o.scannedAt),"))
            case .issue(let o):
                let tickets = try #require(op["tickets"] as? [[String: Any]])
                #expect(tickets.count == o.tickets.count)
                for (t, j) in zip(o.tickets, tickets) {
                    #expect(Set(j.keys) == ["ticket_id", "section", "seat", "face_value", "holder"])
                    #expect(j["holder"] as? String == "ed25519:" + Bytes.hex(t.holder.bytes))
                    #expect(text.contains("\"face_value\":\(t.faceValue),"))
                }
            case .registerGate(let o):
                #expect(op["sections"] as? [String] == o.sections)
            default:
                break
            }
        }
    }

    /// Properly signed envelopes with valid fields verify and pass admission, before and
    /// after a round trip through either form.
    @Test func signedValidEnvelopesAreAdmitted() async {
        await propertyCheck(count: 200, input: EnvelopeGen.envelopes(valid: true)) { s in
            let e = s.envelope
            #expect(e.signer == s.key.publicKey)
            #expect(e.hasValidSignature)
            #expect(throws: Never.self) { try e.admit(chainID: e.chainID) }
            let fromBinary = try Envelope(bytes: e.bytes)
            #expect(fromBinary.hasValidSignature)
            #expect(throws: Never.self) { try fromBinary.admit(chainID: e.chainID) }
            let fromJSON = try JSONForm.decode(Envelope.self, from: JSONForm.encode(e))
            #expect(throws: Never.self) { try fromJSON.admit(chainID: e.chainID) }
        }
    }

    /// Even with fields out of range, the signature over the canonical bytes verifies.
    @Test func unconstrainedEnvelopesStillVerify() async {
        await propertyCheck(count: 100, input: EnvelopeGen.envelopes(valid: false)) { s in
            #expect(s.envelope.hasValidSignature)
            let decoded = try Envelope(bytes: s.envelope.bytes)
            #expect(decoded.hasValidSignature)
        }
    }

    /// Every field at exactly its limit decodes (the limits are inclusive) and round-trips.
    @Test func fieldsAtTheirLimitsRoundTrip() throws {
        let key = SigningKey(seed: [UInt8](repeating: 7, count: 32))!
        let k = key.publicKey
        let id128 = String(repeating: "a", count: Limits.idBytes)
        let text256 = String(repeating: "é", count: Limits.textBytes / 2)   // 2 bytes each
        let reason1024 = String(repeating: "😀", count: Limits.reasonBytes / 4)  // 4 bytes each
        let chain256 = String(repeating: "c", count: Limits.textBytes)
        let ops: [LedgerOperation] = [
            .registerIssuer(RegisterIssuer(issuer: k, name: text256)),
            .createEvent(CreateEvent(eventID: id128, name: text256, venue: text256, startsAt: .max, doorsOpenAt: .min,
                                     capacity: .max, currency: text256)),
            .registerGate(RegisterGate(eventID: id128, gate: k, name: text256,
                                       sections: (0..<Limits.sectionsPerGate).map { "S\($0)" + String(repeating: "s", count: 200) })),
            .issue(IssueTickets(eventID: id128, tickets: (0..<Limits.ticketsPerIssue).map {
                TicketSpec(ticketID: "T\($0)", section: "", seat: "", faceValue: .max, holder: k)
            })),
            .transfer(Transfer(ticketID: id128, to: k)),
            .redeem(Redeem(ticketID: id128, sequence: .max, scannedAt: .min)),
            .void(VoidTicket(ticketID: id128, reason: reason1024)),
        ]
        for op in ops {
            let e = Envelope(chainID: chain256, nonce: .max, operation: op, signedBy: key)
            #expect(e.bytes.count <= Limits.envelopeBytes)
            let decoded = try Envelope(bytes: e.bytes)
            #expect(decoded == e, "\(op.kind.name)")
            #expect(try JSONForm.decode(Envelope.self, from: JSONForm.encode(e)) == e, "\(op.kind.name)")
        }
    }
}
