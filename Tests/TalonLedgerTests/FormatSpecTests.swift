import Testing
import TalonProtocol
import TalonLedger

/// Rebuilds bytes by hand from docs/format.md, without the encoder, and checks the code
/// produces exactly them.
@Suite struct FormatSpecTests {
    private func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    private func str(_ s: String) -> [UInt8] { be(UInt32(s.utf8.count)) + Array(s.utf8) }

    // RFC 8032 test key 1, so the expected signature is fixed by the spec, not by us.
    private let key = SigningKey(seed: Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!)!
    private let other = SigningKey(seed: Hex.decode("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")!)!

    @Test func transferEnvelopeBytes() throws {
        let e = Envelope(chainID: "talon-x", nonce: 0x0102_0304_0506_0708,
                         operation: .transfer(Transfer(ticketID: "T-1", to: other.publicKey)), signedBy: key)
        let body: [UInt8] = [0x01] + str("talon-x") + key.publicKey.bytes + [1, 2, 3, 4, 5, 6, 7, 8]
            + [0x00, 0x05] + str("T-1") + other.publicKey.bytes
        let message = Array("TALON-ENVELOPE-V1".utf8) + [0x00] + body
        #expect(e.signedMessage == message)
        #expect(key.publicKey.verify(e.signature, for: message))
        #expect(e.bytes == body + e.signature.bytes)
        #expect(e.signature == key.sign(message), "Ed25519 is deterministic: the same message, the same signature")
        #expect(e.hash == SHA256.hash(body + e.signature.bytes))
    }

    @Test func everyOperationLayout() {
        let k = other.publicKey
        let cases: [(LedgerOperation, [UInt8])] = [
            (.registerIssuer(RegisterIssuer(issuer: k, name: "Org")), [0, 1] + k.bytes + str("Org")),
            (.createEvent(CreateEvent(eventID: "E", name: "N", venue: "V", startsAt: -1, doorsOpenAt: -2, capacity: 7, currency: "EUR")),
             [0, 2] + str("E") + str("N") + str("V") + [UInt8](repeating: 0xFF, count: 8) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
                + [0, 0, 0, 7] + str("EUR")),
            (.registerGate(RegisterGate(eventID: "E", gate: k, name: "G", sections: ["A", "B"])),
             [0, 3] + str("E") + k.bytes + str("G") + [0, 0, 0, 2] + str("A") + str("B")),
            (.issue(IssueTickets(eventID: "E", tickets: [TicketSpec(ticketID: "T", section: "S", seat: "1", faceValue: 4500, holder: k)])),
             [0, 4] + str("E") + [0, 0, 0, 1] + str("T") + str("S") + str("1") + [0, 0, 0, 0, 0, 0, 0x11, 0x94] + k.bytes),
            (.redeem(Redeem(ticketID: "T", sequence: 3, scannedAt: 256)), [0, 6] + str("T") + [0, 0, 0, 0, 0, 0, 0, 3] + [0, 0, 0, 0, 0, 0, 1, 0]),
            (.void(VoidTicket(ticketID: "T", reason: "")), [0, 7] + str("T") + [0, 0, 0, 0]),
            (.deployContract(DeployContract(source: "x = 1")), [0, 8] + str("x = 1")),
            (.bindContract(BindContract(eventID: "E", contract: SHA256.hash(Array("x = 1".utf8)), params: "{}")),
             [0, 9] + str("E") + SHA256.hash(Array("x = 1".utf8)).bytes + str("{}")),
            (.listResale(ListResale(ticketID: "T", price: 5000, fees: 1)), [0, 10] + str("T") + [0, 0, 0, 0, 0, 0, 0x13, 0x88] + [0, 0, 0, 0, 0, 0, 0, 1]),
            (.cancelListing(CancelListing(ticketID: "T")), [0, 11] + str("T")),
            (.buyResale(BuyResale(ticketID: "T", price: 256, fees: 2)), [0, 12] + str("T") + [0, 0, 0, 0, 0, 0, 1, 0] + [0, 0, 0, 0, 0, 0, 0, 2]),
            (.requestRefund(RequestRefund(ticketID: "T")), [0, 13] + str("T")),
            (.cancelEvent(CancelEvent(eventID: "E", reason: "rain")), [0, 14] + str("E") + str("rain")),
        ]
        for (op, expected) in cases {
            var w = ByteWriter()
            op.encode(into: &w)
            #expect(w.bytes == expected, "\(op.kind.name)")
        }
    }

    @Test func blockHeaderAndChain() throws {
        let f = try LedgerFixture()
        f.clock = 0x10
        try f.createEvent()
        let rejected = f.sign(.transfer(Transfer(ticketID: "NOPE", to: other.publicKey)), by: key)
        let applied = try f.ledger.apply([rejected], timestamp: 5000)
        let b1 = try #require(try f.ledger.block(height: 1))
        let e1 = try #require(try f.ledger.record(leaf: 0)).envelope

        // Merkle root of two leaves by RFC 6962: H(0x01 || H(0x00 || e0) || H(0x00 || e1)).
        let leaf0 = SHA256.hash([0x00] + e1.bytes), leaf1 = SHA256.hash([0x00] + rejected.bytes)
        let root2 = SHA256.hash([0x01] + leaf0.bytes + leaf1.bytes)
        // Block version 2: entries_digest is the Merkle root of the entries; one entry, no
        // decision: H(0x00 || envelope hash || string result || 0x00).
        let entries2 = SHA256.hash([0x00] + rejected.hash.bytes + str("unknown_ticket") + [0x00])
        let header2: [UInt8] = [0x02] + be(UInt64(2)) + b1.hash.bytes + be(Int64(5000)) + be(UInt32(1))
            + entries2.bytes + be(UInt64(2)) + root2.bytes
        #expect(applied.block.headerBytes == header2)
        #expect(applied.hash == SHA256.hash(header2))

        // Block 1 chains to the genesis file and holds one leaf: the root is the leaf hash.
        let header1: [UInt8] = [0x02] + be(UInt64(1)) + SHA256.hash(f.genesisFile.bytes).bytes + be(Int64(1000 + 0x10)) + be(UInt32(1))
            + SHA256.hash([0x00] + e1.hash.bytes + str("ok") + [0x00]).bytes + be(UInt64(1)) + leaf0.bytes
        #expect(b1.hash == SHA256.hash(header1))
    }
}
