import Foundation
import Testing
import TalonProtocol
import TalonLedger

/// Statements of docs/format.md outside the byte layouts: the JSON key of `issue`'s tickets,
/// the head at height 0, integers above 2^53 in JSON, and the genesis `format` field.
@Suite struct FormatNotesTests {
    @Test func issueCarriesItsTicketsUnderTheKeyTickets() throws {
        let holder = SigningKey.generate().publicKey
        let issue = Envelope(chainID: "c", nonce: 1, operation: .issue(IssueTickets(eventID: "E1", tickets: [
            TicketSpec(ticketID: "T1", section: "A", seat: "1", faceValue: 4500, holder: holder),
        ])), signedBy: SigningKey.generate())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONForm.encode(issue))) as? [String: Any])
        let op = try #require(json["op"] as? [String: Any])
        #expect(Set(op.keys) == ["type", "event_id", "tickets"])
        let tickets = try #require(op["tickets"] as? [[String: Any]])
        #expect(tickets.count == 1 && Set(tickets[0].keys) == ["ticket_id", "section", "seat", "face_value", "holder"])
        #expect(tickets[0]["holder"] as? String == holder.text)
    }

    @Test func theHeadAtHeightZeroIsTheGenesisWithTimestampZero() throws {
        let f = try LedgerFixture()
        let head = try f.ledger.head()
        #expect(head.height == 0 && head.blockHash == f.genesisFile.hash)
        #expect(head.treeSize == 0 && head.treeRoot == SHA256.hash([UInt8]()))
        #expect(head.timestamp == 0)
        // So block 1 is never dated before 1970, whatever the batch's clock says.
        let event = f.sign(.createEvent(CreateEvent(eventID: "E1", name: "n", venue: "v", startsAt: 10, doorsOpenAt: 5, capacity: 1, currency: "EUR")), by: f.issuer)
        #expect(try f.ledger.apply([event], timestamp: -5_000).block.timestamp == 0)
    }

    @Test func integersAbove2To53TravelExactlyAndRoundingOneBreaksTheSignature() throws {
        let key = SigningKey.generate()
        let nonce: UInt64 = 9_007_199_254_740_993  // 2^53 + 1: no IEEE-754 double holds it
        #expect(UInt64(Double(nonce)) != nonce)
        let envelope = Envelope(chainID: "c", nonce: nonce, operation: .transfer(Transfer(ticketID: "T1", to: key.publicKey)), signedBy: key)
        let text = String(decoding: JSONForm.encode(envelope), as: UTF8.self)
        #expect(text.contains("\"nonce\":9007199254740993,"), "a bare JSON number with every digit: \(text)")
        let back = try JSONForm.decode(Envelope.self, from: Array(text.utf8))
        #expect(back.bytes == envelope.bytes && back.hasValidSignature)
        // What a parser that reads numbers as doubles would write back: other bytes, a broken signature.
        let rounded = try JSONForm.decode(Envelope.self, from: Array(text.replacingOccurrences(of: "9007199254740993", with: "9007199254740992").utf8))
        #expect(rounded.hash != envelope.hash && !rounded.hasValidSignature)
        // The largest u64 too.
        let largest = Envelope(chainID: "c", nonce: .max, operation: .transfer(Transfer(ticketID: "T1", to: key.publicKey)), signedBy: key)
        let largestText = JSONForm.encode(largest)
        #expect(String(decoding: largestText, as: UTF8.self).contains("\"nonce\":18446744073709551615,"))
        #expect(try JSONForm.decode(Envelope.self, from: largestText).bytes == largest.bytes)
        // One past a field's type is refused, not wrapped or rounded.
        let over = String(decoding: largestText, as: UTF8.self).replacingOccurrences(of: "18446744073709551615", with: "18446744073709551616")
        #expect(throws: TalonError(.invalidJSON)) { try JSONForm.decode(Envelope.self, from: Array(over.utf8)) }
        let negative = text.replacingOccurrences(of: "9007199254740993", with: "-1")
        #expect(throws: TalonError(.invalidJSON)) { try JSONForm.decode(Envelope.self, from: Array(negative.utf8)) }
        let event = Envelope(chainID: "c", nonce: 1, operation: .createEvent(CreateEvent(eventID: "E1", name: "n", venue: "v", startsAt: 10,
                                                                                      doorsOpenAt: 5, capacity: UInt32.max, currency: "EUR")), signedBy: key)
        let capacity = String(decoding: JSONForm.encode(event), as: UTF8.self)
        #expect(capacity.contains("\"capacity\":4294967295,"))
        #expect(throws: TalonError(.invalidJSON)) {
            try JSONForm.decode(Envelope.self, from: Array(capacity.replacingOccurrences(of: "4294967295", with: "4294967296").utf8))
        }
    }

    @Test func aGenesisOfAnotherFormatIsRefused() throws {
        let genesis = Genesis(chainID: "talon-test", members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: SigningKey.generate().publicKey)],
                              admins: [SigningKey.generate().publicKey])
        let text = String(decoding: genesis.fileBytes, as: UTF8.self)
        #expect(text.contains("\"format\" : 1,"))
        #expect(try GenesisFile(bytes: genesis.fileBytes).genesis.format == 1)
        for other in ["\"format\" : 2,", "\"format\" : 0,", "\"format\" : \"1\",", "\"format\" : 1.0,", ""] {
            let changed = text.replacingOccurrences(of: "\"format\" : 1,", with: other)
            #expect(throws: TalonError(.invalidGenesis), "\(other.isEmpty ? "no format" : other)") { try GenesisFile(bytes: Array(changed.utf8)) }
        }
        // Any other key is refused; issuers and note may be left out.
        let extra = text.replacingOccurrences(of: "\"format\" : 1,", with: "\"format\" : 1, \"version\" : 1,")
        #expect(throws: TalonError(.invalidGenesis)) { try GenesisFile(bytes: Array(extra.utf8)) }
        #expect(!text.contains("\"note\"") && text.contains("\"issuers\" : ["))
        let withoutIssuers = text.replacingOccurrences(of: "\"issuers\" : [\n\n  ],", with: "")
        #expect(withoutIssuers != text)
        #expect(try GenesisFile(bytes: Array(withoutIssuers.utf8)).genesis.issuers.isEmpty)
    }

    @Test func genesisKeysMustBeValidPoints() throws {
        // Speccheck case 3's key (a component of order 8) and the identity: neither may be
        // given a role by genesis, as neither may be by an envelope.
        let mixed = try #require(PublicKey(bytes: Hex.decode("cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d")!))
        let identity = try #require(PublicKey(bytes: [1] + [UInt8](repeating: 0, count: 31)))
        let good = SigningKey.generate().publicKey
        func genesis(member: PublicKey = good, admin: PublicKey = SigningKey.generate().publicKey, issuer: PublicKey? = nil) -> [UInt8] {
            Genesis(chainID: "talon-test", members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: member)],
                    admins: [admin], issuers: issuer.map { [.init(key: $0, name: "I")] } ?? []).fileBytes
        }
        #expect(throws: Never.self) { try GenesisFile(bytes: genesis(issuer: SigningKey.generate().publicKey)) }
        for bad in [mixed, identity] {
            #expect(throws: TalonError(.invalidGenesis)) { try GenesisFile(bytes: genesis(member: bad)) }
            #expect(throws: TalonError(.invalidGenesis)) { try GenesisFile(bytes: genesis(admin: bad)) }
            #expect(throws: TalonError(.invalidGenesis)) { try GenesisFile(bytes: genesis(issuer: bad)) }
        }
    }
}
