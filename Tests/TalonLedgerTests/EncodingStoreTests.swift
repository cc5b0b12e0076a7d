import Foundation
import TalonProtocol
import TalonLedger
import Testing

/// A real ledger in a temporary directory; removed when the value goes.
private final class TempLedger {
    let dir = NSTemporaryDirectory() + "talon-encoding-" + UUID().uuidString
    let admin = SigningKey(seed: [UInt8](repeating: 0xA1, count: 32))!
    let issuer = SigningKey(seed: [UInt8](repeating: 0xA2, count: 32))!
    let genesis: GenesisFile
    let ledger: Ledger

    init(chainID: String = "talon-store") throws {
        genesis = try GenesisFile(bytes: Genesis(
            chainID: chainID,
            members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: SigningKey(seed: [UInt8](repeating: 0xA3, count: 32))!.publicKey)],
            admins: [admin.publicKey],
            issuers: [.init(key: issuer.publicKey, name: "Genesis issuer")]).fileBytes)
        ledger = try Ledger(path: dir, genesis: genesis)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    /// What a node does with binary input: decode, admit, and only then apply.
    func submit(binary bytes: [UInt8]) throws(TalonError) -> [String] {
        let e = try Envelope(bytes: bytes)
        return try submit(e)
    }

    /// What a node does with JSON input.
    func submit(json: [UInt8]) throws(TalonError) -> [String] {
        try submit(JSONForm.decode(Envelope.self, from: json))
    }

    private func submit(_ e: Envelope) throws(TalonError) -> [String] {
        try e.admit(chainID: ledger.chainID)
        return try ledger.apply([e], timestamp: 1_800_000_000_000).receipts.map(\.result)
    }

    /// The store is as it was created: no block, no leaf, no state, the nonce unspent.
    func expectUntouched(signer: PublicKey, nonce: UInt64, hash: Digest?, _ label: String) throws {
        let head = try ledger.head()
        #expect(head.height == 0, "\(label)")
        #expect(head.treeSize == 0, "\(label)")
        #expect(head.blockHash == genesis.hash, "\(label)")
        #expect(try ledger.block(height: 1) == nil, "\(label)")
        #expect(try ledger.record(leaf: 0) == nil, "\(label)")
        if let hash { #expect(try ledger.record(hash: hash) == nil, "\(label)") }
        #expect(try ledger.nonceUsed(signer, nonce) == false, "\(label)")
        #expect(try ledger.event("E1") == nil, "\(label)")
    }
}

/// Malformed input of every kind is refused before it reaches the store, and leaves the
/// ledger unchanged and usable.
@Suite struct EncodingStoreTests {
    static let stranger = SigningKey(seed: [UInt8](repeating: 0xA4, count: 32))!

    static func event(capacity: UInt32 = 100, currency: String = "EUR", name: String = "Show") -> LedgerOperation {
        .createEvent(CreateEvent(eventID: "E1", name: name, venue: "Hall", startsAt: 1_900_000_000_000,
                                 doorsOpenAt: 1_899_990_000_000, capacity: capacity, currency: currency))
    }

    @Test func malformedInputLeavesTheStoreUntouched() throws {
        let t = try TempLedger()
        let chain = t.genesis.genesis.chainID
        let nonce: UInt64 = 1
        let good = Envelope(chainID: chain, nonce: nonce, operation: Self.event(), signedBy: t.issuer)
        let b = good.bytes
        let kindOffset = 1 + 4 + chain.utf8.count + 32 + 8
        // Same length as the placeholder "Show", so only the bytes change.
        let placeholder = Envelope(chainID: chain, nonce: nonce, operation: Self.event(name: "QQQQ"), signedBy: t.issuer)
        let nameAt = Bytes.find(Array("QQQQ".utf8), in: placeholder.bytes)!
        let sigFlipped = Bytes.patch(b, at: b.count - 10, with: [b[b.count - 10] ^ 0x04])

        let binary: [(String, [UInt8], TalonError)] = [
            ("truncated", Array(b.dropLast(1)), TalonError(.truncated)),
            ("truncated in the chain id", Array(b.prefix(7)), TalonError(.overlongLength)),
            ("trailing byte", b + [0], TalonError(.trailingBytes)),
            ("trailing bytes", b + b, TalonError(.trailingBytes)),
            ("version 2", Bytes.patch(b, at: 0, with: [2]), TalonError(.unknownVersion)),
            ("kind 15", Bytes.patch(b, at: kindOffset, with: [0, 15]), TalonError(.unknownOperation)),
            ("chain id length 0xFFFFFFFF", Bytes.patch(b, at: 1, with: [0xFF, 0xFF, 0xFF, 0xFF]), TalonError(.overlongLength)),
            ("ticket count of 2^32-1",
             Envelope(chainID: chain, nonce: nonce, operation: .issue(IssueTickets(eventID: "E1", tickets: [])), signedBy: t.issuer).bytes
                .enumerated().map { $0.offset >= kindOffset + 2 + 6 && $0.offset < kindOffset + 2 + 10 ? 0xFF : $0.element },
             TalonError(.overlongLength)),
            ("invalid UTF-8", Bytes.patch(placeholder.bytes, at: nameAt, with: [0x41, 0xED, 0xA0, 0x80]), TalonError(.nonCanonical)),
            ("over the envelope limit", b + [UInt8](repeating: 0, count: Limits.envelopeBytes), TalonError(.overlongLength)),
            ("wrong chain", Envelope(chainID: "talon-other", nonce: nonce, operation: Self.event(), signedBy: t.issuer).bytes, TalonError(.wrongChain)),
            ("flipped signature bit", sigFlipped, TalonError(.badSignature)),
            ("flipped nonce bit", Bytes.patch(b, at: kindOffset - 1, with: [b[kindOffset - 1] ^ 0x02]), TalonError(.badSignature)),
            ("signed by another key", Envelope(chainID: chain, signer: t.issuer.publicKey, nonce: nonce, operation: Self.event(),
                                               signature: Self.stranger.sign(good.signedMessage)).bytes, TalonError(.badSignature)),
            ("capacity 0", Envelope(chainID: chain, nonce: nonce, operation: Self.event(capacity: 0), signedBy: t.issuer).bytes, TalonError(.invalidField)),
            ("currency eur", Envelope(chainID: chain, nonce: nonce, operation: Self.event(currency: "eur"), signedBy: t.issuer).bytes, TalonError(.invalidField)),
            ("control character", Envelope(chainID: chain, nonce: nonce, operation: Self.event(name: "Sh\now"), signedBy: t.issuer).bytes, TalonError(.invalidField)),
        ]
        for (label, bytes, code) in binary {
            #expect(throws: code, "\(label)") { try t.submit(binary: bytes) }
            try t.expectUntouched(signer: t.issuer.publicKey, nonce: nonce, hash: SHA256.hash(bytes), label)
        }

        let json = JSONForm.encode(good)
        let text = String(decoding: json, as: UTF8.self)
        let jsonCases: [(String, [UInt8], TalonError)] = [
            ("not JSON", Array("{\"version\":1".utf8), TalonError(.invalidJSON)),
            ("cut JSON", Array(json.dropLast()), TalonError(.invalidJSON)),
            ("unknown key", Array(text.replacingOccurrences(of: "\"version\":1}", with: "\"version\":1,\"x\":0}").utf8), TalonError(.invalidJSON)),
            ("string nonce", Array(text.replacingOccurrences(of: "\"nonce\":1,", with: "\"nonce\":\"1\",").utf8), TalonError(.invalidJSON)),
            ("version 2", Array(text.replacingOccurrences(of: "\"version\":1}", with: "\"version\":2}").utf8), TalonError(.unknownVersion)),
            ("upper-case signer", Array(text.replacingOccurrences(of: t.issuer.publicKey.text, with: "ed25519:" + Bytes.hex(t.issuer.publicKey.bytes).uppercased()).utf8), TalonError(.invalidJSON)),
            ("bad signature", JSONForm.encode(try Envelope(bytes: sigFlipped)), TalonError(.badSignature)),
        ]
        for (label, bytes, code) in jsonCases {
            #expect(bytes != json, "\(label) edits the JSON")
            #expect(throws: code, "\(label)") { try t.submit(json: bytes) }
            try t.expectUntouched(signer: t.issuer.publicKey, nonce: nonce, hash: nil, label)
        }

        // Still usable: the same signer's same nonce, properly signed, applies.
        #expect(try t.submit(binary: good.bytes) == ["ok"])
        let head = try t.ledger.head()
        #expect(head.height == 1 && head.treeSize == 1)
        #expect(try t.ledger.nonceUsed(t.issuer.publicKey, nonce))
        #expect(try t.ledger.event("E1") != nil)
        #expect(try t.ledger.record(hash: good.hash)?.envelope == good)
        // And from JSON too.
        let next = Envelope(chainID: chain, nonce: nonce + 1, operation: .registerIssuer(RegisterIssuer(issuer: Self.stranger.publicKey, name: "Second")),
                            signedBy: t.admin)
        #expect(try t.submit(json: JSONForm.encode(next)) == ["ok"])
        #expect(try t.ledger.head().height == 2)
    }

    /// KNOWN ISSUE (see `EncodingAdmissionTests.chainIDsCompareByBytes`): an envelope whose
    /// chain id is "talon-\u{212A}" (KELVIN SIGN) is taken for the ledger "talon-K" and
    /// enters a block.
    @Test func envelopeForAnotherChainIDSpellingIsRefused() throws {
        let t = try TempLedger(chainID: "talon-K")
        let e = Envelope(chainID: "talon-\u{212A}", nonce: 1, operation: Self.event(), signedBy: t.issuer)
        #expect(throws: TalonError(.wrongChain)) { try t.submit(binary: e.bytes) }
        try t.expectUntouched(signer: t.issuer.publicKey, nonce: 1, hash: e.hash, "kelvin")
    }
}
