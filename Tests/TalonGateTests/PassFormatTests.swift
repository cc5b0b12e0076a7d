import Testing
import TalonProtocol
@testable import TalonGate
import TalonLedger

/// An independent model of docs/format.md "Ownership certificate" and "Pass", written from
/// the page and not from the encoder: its own big-endian integers, strings, LEB128 varints
/// and RFC 9285 Base45. The product's pass encoder must produce exactly the model's bytes
/// and text, the signatures must verify over the model's signed bytes, and the decoder must
/// refuse every byte string that is not the canonical form.
@Suite struct PassFormatTests {
    // MARK: The model

    /// Builds the byte strings of docs/format.md from first principles.
    enum Model {
        static func u32(_ v: UInt32) -> [UInt8] { (0..<4).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
        static func u64(_ v: UInt64) -> [UInt8] { (0..<8).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * UInt64($0))) } }
        /// "Primitives": u32 byte length, then the UTF-8 bytes.
        static func string(_ s: String) -> [UInt8] { u32(UInt32(s.utf8.count)) + Array(s.utf8) }

        /// Unsigned LEB128, shortest form: seven bits at a time, low group first, the high
        /// bit set on every byte but the last.
        static func uvarint(_ value: UInt64) -> [UInt8] {
            var out: [UInt8] = [], v = value
            repeat {
                let group = UInt8(v % 128)
                v /= 128
                out.append(v == 0 ? group : group + 128)
            } while v != 0
            return out
        }

        /// RFC 9285 §4: each two bytes [a, b] are n = a·256 + b = c + d·45 + e·45², written
        /// c d e; a last single byte a = c + d·45 is written c d.
        static func base45(_ bytes: [UInt8]) -> String {
            let table = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
            var out = ""
            var i = 0
            while i + 1 < bytes.count {
                let n = Int(bytes[i]) * 256 + Int(bytes[i + 1])
                out.append(table[n % 45]); out.append(table[(n / 45) % 45]); out.append(table[n / 2025])
                i += 2
            }
            if i < bytes.count {
                let n = Int(bytes[i])
                out.append(table[n % 45]); out.append(table[n / 45])
            }
            return out
        }

        static let certificateDomain = Array("TALON-OWNERSHIP-V1".utf8) + [0]
        static let passDomain = Array("TALON-PASS-V1".utf8) + [0]

        /// "Ownership certificate": what the node signs.
        static func certificateBytes(genesisHash: [UInt8], ticketID: String, eventID: String, holder: [UInt8],
                                     sequence: UInt64, height: UInt64) -> [UInt8] {
            var out = certificateDomain
            out += genesisHash
            out += string(ticketID)
            out += string(eventID)
            out += holder
            out += u64(sequence)
            out += u64(height)
            return out
        }

        /// "Pass": what the holder signs.
        static func holderBytes(chainID: String, ticketID: String, eventID: String, holder: [UInt8],
                                sequence: UInt64, window: UInt64) -> [UInt8] {
            var out = passDomain
            out += string(chainID)
            out += string(ticketID)
            out += string(eventID)
            out += holder
            out += u64(sequence)
            out += u64(window)
            return out
        }

        /// floor(unix ms / 1000 / 30); times before 1970 are window 0.
        static func window(ms: Int64) -> UInt64 { ms <= 0 ? 0 : UInt64(ms) / 30_000 }
    }

    /// The binary form field by field, each field as raw bytes, so that a test can put a
    /// non-canonical encoding in any one of them.
    struct Fields {
        var version: [UInt8] = [1]
        var ticketID: [UInt8]
        var eventID: [UInt8]
        var holder: [UInt8]
        var sequence: [UInt8]
        var window: [UInt8]
        var height: [UInt8]
        var node: [UInt8]
        var certificateSignature: [UInt8]
        var holderSignature: [UInt8]
        /// Overrides the length byte written before each id (to lie about it).
        var ticketLength: UInt8?
        var eventLength: UInt8?

        var bytes: [UInt8] {
            var out = version
            out.append(ticketLength ?? UInt8(ticketID.count)); out += ticketID
            out.append(eventLength ?? UInt8(eventID.count)); out += eventID
            out += holder
            out += sequence
            out += window
            out += height
            out += node
            out += certificateSignature
            out += holderSignature
            return out
        }
    }

    // MARK: Fixtures

    static let members = ["n1", "n2", "n3"]
    static let nodeKeys = [SigningKey.generate(), SigningKey.generate(), SigningKey.generate()]
    static let chainID = "talon-pass-format"
    static let genesisHash = SHA256.hash(Array("a genesis file for PassFormatTests\n".utf8))

    /// One pass: its fields, the keys, and both the product's pass and the model's fields.
    struct Case: CustomTestStringConvertible {
        let name: String
        let ticketID: String, eventID: String
        let sequence: UInt64, height: UInt64, window: UInt64
        let nodeIndex: Int
        var testDescription: String { name }
    }

    static let long128 = String(repeating: "T", count: 120) + "-0000128"
    static let longEvent = "E" + String(repeating: "x", count: 127)

    static let cases: [Case] = [
        Case(name: "short ids, everything 0", ticketID: "T1", eventID: "E1", sequence: 0, height: 0, window: 0, nodeIndex: 0),
        Case(name: "127 and 128", ticketID: "T-0001", eventID: "GIG-2027", sequence: 127, height: 128, window: 127, nodeIndex: 1),
        Case(name: "128 and 300", ticketID: "A", eventID: "B", sequence: 128, height: 300, window: 128, nodeIndex: 2),
        Case(name: "300 and 2^63", ticketID: "TCK-000123", eventID: "E2027-GIG", sequence: 300, height: 1 << 63,
             window: Model.window(ms: 1_798_740_000_000), nodeIndex: 1),
        Case(name: "2^63 and 127", ticketID: "T/1.a_b:c", eventID: "E-1", sequence: 1 << 63, height: 127, window: 300, nodeIndex: 0),
        Case(name: "128-byte ids", ticketID: long128, eventID: longEvent, sequence: 300, height: 1 << 63,
             window: Model.window(ms: 1_900_000_000_000), nodeIndex: 2),
        Case(name: "128-byte ids, every varint at 2^64-1 (the largest pass)", ticketID: long128, eventID: longEvent,
             sequence: .max, height: .max, window: .max, nodeIndex: 2),
        Case(name: "multi-byte UTF-8 counts bytes", ticketID: "Tickét-ü", eventID: String(repeating: "é", count: 64),
             sequence: 1, height: 2, window: 3, nodeIndex: 0),
    ]

    struct Built {
        let pass: Pass
        let fields: Fields
        let holder: SigningKey
        let certificateMessage: [UInt8]
        let holderMessage: [UInt8]
    }

    /// The product's pass for `c`, signed with the product's signing functions, and the
    /// model's fields for the same values.
    static func build(_ c: Case) -> Built {
        let holder = SigningKey.generate(), node = nodeKeys[c.nodeIndex]
        let certSignature = node.sign(OwnershipCertificate.signedBytes(
            ticketID: c.ticketID, eventID: c.eventID, holder: holder.publicKey, sequence: c.sequence, height: c.height, genesisHash: genesisHash))
        let certificate = OwnershipCertificate(ticketID: c.ticketID, eventID: c.eventID, holder: holder.publicKey, sequence: c.sequence,
                                               height: c.height, node: members[c.nodeIndex], signature: certSignature)
        let pass = Pass(certificate: certificate, window: c.window, holder: holder, chainID: chainID)
        let fields = Fields(ticketID: Array(c.ticketID.utf8), eventID: Array(c.eventID.utf8), holder: holder.publicKey.bytes,
                            sequence: Model.uvarint(c.sequence), window: Model.uvarint(c.window), height: Model.uvarint(c.height),
                            node: [UInt8(c.nodeIndex)], certificateSignature: certSignature.bytes, holderSignature: pass.signature.bytes)
        return Built(pass: pass, fields: fields, holder: holder,
                     certificateMessage: Model.certificateBytes(genesisHash: genesisHash.bytes, ticketID: c.ticketID, eventID: c.eventID,
                                                                holder: holder.publicKey.bytes, sequence: c.sequence, height: c.height),
                     holderMessage: Model.holderBytes(chainID: chainID, ticketID: c.ticketID, eventID: c.eventID,
                                                      holder: holder.publicKey.bytes, sequence: c.sequence, window: c.window))
    }

    // MARK: The model itself

    @Test func theModelsVarintsAndBase45AreTheDocumentedOnes() {
        #expect(Model.uvarint(0) == [0x00])
        #expect(Model.uvarint(127) == [0x7F])
        #expect(Model.uvarint(128) == [0x80, 0x01])
        #expect(Model.uvarint(300) == [0xAC, 0x02])
        #expect(Model.uvarint(1 << 63) == [UInt8](repeating: 0x80, count: 9) + [0x01])
        #expect(Model.uvarint(.max) == [UInt8](repeating: 0xFF, count: 9) + [0x01])
        // RFC 9285 §4.3's examples.
        #expect(Model.base45(Array("AB".utf8)) == "BB8")
        #expect(Model.base45(Array("Hello!!".utf8)) == "%69 VD92EX0")
        #expect(Model.base45(Array("base-45".utf8)) == "UJCLQE7W581")
        #expect(Model.base45(Array("ietf!".utf8)) == "QED8WEX0")
        #expect(Model.u64(0x0102_0304_0506_0708) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Model.string("é") == [0, 0, 0, 2, 0xC3, 0xA9])
    }

    // MARK: Encoding

    @Test(arguments: cases) func theBinaryAndTextFormsAreTheModels(_ c: Case) throws {
        let b = Self.build(c)
        let expected = b.fields.bytes
        let bytes = try b.pass.bytes(members: Self.members)
        #expect(bytes == expected)
        #expect(try b.pass.text(members: Self.members) == "TP1:" + Model.base45(expected))
        let idBytes = c.ticketID.utf8.count + c.eventID.utf8.count
        #expect(bytes.count == 1 + 2 + idBytes + 32 + Model.uvarint(c.sequence).count + Model.uvarint(c.window).count
                + Model.uvarint(c.height).count + 1 + 64 + 64)
        #expect(bytes.count <= 450)
        // The model's bytes decode to the same pass, from binary and from text.
        #expect(try Pass(bytes: expected, members: Self.members) == b.pass)
        #expect(try Pass(text: "TP1:" + Model.base45(expected) + "\r\n", members: Self.members) == b.pass)
    }

    @Test func theLargestPassIs450Bytes() throws {
        let b = Self.build(Self.cases.first { $0.sequence == .max }!)
        #expect(try b.pass.bytes(members: Self.members).count == 450)
        #expect(Pass.maxBytes == 450)
        #expect(try b.pass.text(members: Self.members).utf8.count == 4 + 675)
    }

    @Test(arguments: cases) func bothSignaturesVerifyOverTheModelsSignedBytes(_ c: Case) {
        let b = Self.build(c)
        let nodeKey = Self.nodeKeys[c.nodeIndex].publicKey
        #expect(nodeKey.verify(b.pass.certificate.signature, for: b.certificateMessage))
        #expect(b.holder.publicKey.verify(b.pass.signature, for: b.holderMessage))
        #expect(b.certificateMessage.count == 19 + 32 + 4 + c.ticketID.utf8.count + 4 + c.eventID.utf8.count + 32 + 8 + 8)
        #expect(b.holderMessage.count == 14 + 4 + Self.chainID.utf8.count + 4 + c.ticketID.utf8.count + 4 + c.eventID.utf8.count + 32 + 8 + 8)
        // The product's own signed bytes are the model's.
        #expect(Pass.holderSignedBytes(chainID: Self.chainID, certificate: b.pass.certificate, window: c.window) == b.holderMessage)
        #expect(OwnershipCertificate.signedBytes(ticketID: c.ticketID, eventID: c.eventID, holder: b.holder.publicKey, sequence: c.sequence,
                                                 height: c.height, genesisHash: Self.genesisHash) == b.certificateMessage)
        // And the signatures are bound to them: one other byte, another key, they fail.
        var other = b.holderMessage
        other[other.count - 1] ^= 1
        #expect(!b.holder.publicKey.verify(b.pass.signature, for: other))
        #expect(!Self.nodeKeys[(c.nodeIndex + 1) % 3].publicKey.verify(b.pass.certificate.signature, for: b.certificateMessage))
        #expect(!nodeKey.verify(b.pass.certificate.signature,
                                for: Model.certificateBytes(genesisHash: [UInt8](repeating: 0, count: 32), ticketID: c.ticketID,
                                                            eventID: c.eventID, holder: b.holder.publicKey.bytes, sequence: c.sequence,
                                                            height: c.height)))
    }

    @Test func windowsAreThirtySecondSlicesOfUnixTime() {
        for ms: Int64 in [-1, 0, 999, 29_999, 30_000, 59_999, 60_000, 1_798_740_000_000, 1_798_740_029_999, 1_798_740_030_000, .max] {
            #expect(Pass.window(at: ms) == Model.window(ms: ms), "at \(ms) ms")
        }
        #expect(Model.window(ms: 1_798_740_000_000) == 59_958_000)
    }

    @Test func whatTheBinaryFormCannotHoldIsRefusedOnEncoding() {
        let b = Self.build(Self.cases[0])
        #expect(throws: TalonError.self) { _ = try b.pass.bytes(members: ["n9"]) }
        var long = b.pass
        long.certificate.ticketID = String(repeating: "T", count: 129)
        #expect(throws: TalonError.self) { _ = try long.bytes(members: Self.members) }
        #expect(throws: TalonError.self) { _ = try long.text(members: Self.members) }
    }

    // MARK: Decoding refuses everything but the canonical form

    /// `bytes` must not decode, neither as binary nor inside a text form.
    static func expectRefused(_ bytes: [UInt8], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: PassFormatError.self, "\(what)", sourceLocation: sourceLocation) { _ = try Pass(bytes: bytes, members: members) }
        #expect(throws: PassFormatError.self, "\(what) (text)", sourceLocation: sourceLocation) {
            _ = try Pass(text: "TP1:" + Model.base45(bytes), members: members)
        }
    }

    @Test func nonCanonicalVarintsAreRefused() {
        let good = Self.build(Self.cases[1]).fields   // sequence 127, window 127, height 128
        let paths: [(String, WritableKeyPath<Fields, [UInt8]>)] = [("sequence", \.sequence), ("window", \.window), ("height", \.height)]
        for (name, path) in paths {
            let value = good[keyPath: path]
            var f = good
            // A redundant trailing 0x80 0x00: the value, then a zero group.
            f[keyPath: path] = value.dropLast() + [value.last! | 0x80, 0x00]
            Self.expectRefused(f.bytes, "\(name) with a trailing 0x80 0x00")
            f[keyPath: path] = [0x80, 0x00]
            Self.expectRefused(f.bytes, "\(name) 0 as 0x80 0x00")
            f[keyPath: path] = [0xFF, 0x80, 0x80, 0x00]
            Self.expectRefused(f.bytes, "\(name) 127 padded to four bytes")
            // 11 bytes: ten with the continuation bit, then a last one.
            f[keyPath: path] = [UInt8](repeating: 0x80, count: 10) + [0x00]
            Self.expectRefused(f.bytes, "\(name) as an 11-byte varint of 0")
            f[keyPath: path] = [UInt8](repeating: 0xFF, count: 10) + [0x01]
            Self.expectRefused(f.bytes, "\(name) as an 11-byte varint")
            // Ten bytes whose last carries more than bit 63.
            f[keyPath: path] = [UInt8](repeating: 0xFF, count: 9) + [0x02]
            Self.expectRefused(f.bytes, "\(name) over 64 bits")
            f[keyPath: path] = [UInt8](repeating: 0x80, count: 9) + [0x7F]
            Self.expectRefused(f.bytes, "\(name) over 64 bits (high groups)")
            // Sanity: the same field in canonical form is accepted.
            f[keyPath: path] = value
            #expect(throws: Never.self) { _ = try Pass(bytes: f.bytes, members: Self.members) }
        }
    }

    @Test func otherVersionsAreRefused() {
        var f = Self.build(Self.cases[0]).fields
        for v: UInt8 in [0, 2, 0x31, 0xFF] {
            f.version = [v]
            Self.expectRefused(f.bytes, "version \(v)")
        }
        #expect(throws: PassFormatError.self) { _ = try Pass(text: "TP2:" + Model.base45(f.bytes), members: Self.members) }
    }

    @Test func emptyLongAndNonUTF8IdsAreRefused() {
        let good = Self.build(Self.cases[0]).fields
        let paths: [(String, WritableKeyPath<Fields, [UInt8]>)] = [("ticket id", \.ticketID), ("event id", \.eventID)]
        for (name, path) in paths {
            var f = good
            f[keyPath: path] = []
            Self.expectRefused(f.bytes, "a zero-length \(name)")
            for bad: [UInt8] in [[0xFF], [0x54, 0x80], [0xC0, 0x80], [0xC3], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80]] {
                f[keyPath: path] = bad
                Self.expectRefused(f.bytes, "\(name) \(bad) is not UTF-8")
            }
            f[keyPath: path] = [UInt8](repeating: 0x54, count: 129)
            Self.expectRefused(f.bytes, "a 129-byte \(name)")
        }
        // A length byte that runs past the end.
        var f = good
        f.ticketLength = 0xFF
        Self.expectRefused(f.bytes, "a ticket id length past the end")
    }

    @Test func aNodeIndexPastTheMembersIsRefused() {
        var f = Self.build(Self.cases[0]).fields
        for node: UInt8 in [3, 4, 255] {
            f.node = [node]
            Self.expectRefused(f.bytes, "node index \(node) of 3 members")
        }
        f.node = [0]
        #expect(throws: PassFormatError.self) { _ = try Pass(bytes: f.bytes, members: []) }
    }

    @Test(arguments: [cases[0], cases[6]]) func oneByteMoreOrLessIsRefused(_ c: Case) {
        let bytes = Self.build(c).fields.bytes
        Self.expectRefused(bytes + [0x00], "one trailing byte")
        Self.expectRefused(bytes + [0x00, 0x00], "two trailing bytes")
        Self.expectRefused(Array(bytes.dropLast()), "one missing byte")
        for n in 0..<bytes.count {
            #expect(throws: PassFormatError.self, "the first \(n) bytes") { _ = try Pass(bytes: Array(bytes.prefix(n)), members: Self.members) }
        }
    }

    @Test func textThatIsNotTP1AndBase45IsRefused() {
        let text = "TP1:" + Model.base45(Self.build(Self.cases[0]).fields.bytes)
        let body = String(text.dropFirst(4))
        let bad: [String] = [text.lowercased(), "tp1:" + body, "TP1" + body, "TP2:" + body, text + "A",
                             String(text.dropLast()), "", "TP1:", "TP1:" + String(body.map { $0 == "0" ? "a" : $0 })]
        #expect(body.contains("0"))
        for bad in bad {
            #expect(throws: PassFormatError.self, "\(bad.prefix(12))…") { _ = try Pass(text: bad, members: Self.members) }
        }
    }

    // MARK: The worked example of docs/format.md

    /// The page's example, field by field as the page labels it: Ed25519 signatures are
    /// deterministic, so the same seeds and genesis hash give the same bytes on every run.
    @Test func theWorkedExampleOfTheFormatPage() throws {
        func key(_ b: UInt8) throws -> SigningKey { try require(SigningKey(seed: [UInt8](repeating: b, count: 32))) }
        func hex(_ s: String) throws -> [UInt8] { try require(Hex.decode(s.filter { $0 != " " })) }
        let holder = try key(0x01), n2 = try key(0x0B)
        let genesisHash = try require(Digest(hex: "b9d8d389db2ff378dcd319195a6713a12cf9bbdb6b3fa4b5e6eece1bb99f2df8"))
        let chainID = "talon-local-dev", members = ["n1", "n2", "n3"]
        #expect(holder.publicKey.text == "ed25519:8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c")

        let window = Model.window(ms: 1_798_740_012_345)
        #expect(window == 59_958_000)
        let certSignature = n2.sign(OwnershipCertificate.signedBytes(ticketID: "TCK-000123", eventID: "E2027-GIG", holder: holder.publicKey,
                                                                     sequence: 1, height: 300, genesisHash: genesisHash))
        let certificate = OwnershipCertificate(ticketID: "TCK-000123", eventID: "E2027-GIG", holder: holder.publicKey, sequence: 1,
                                               height: 300, node: "n2", signature: certSignature)
        let pass = Pass(certificate: certificate, window: window, holder: holder, chainID: chainID)

        let labelled: [(String, String)] = [
            ("version 1", "01"),
            ("ticket id: 10 bytes", "0a"), ("TCK-000123", "54 43 4b 2d 30 30 30 31 32 33"),
            ("event id: 9 bytes", "09"), ("E2027-GIG", "45 32 30 32 37 2d 47 49 47"),
            ("holder", "8a 88 e3 dd 74 09 f1 95 fd 52 db 2d 3c ba 5d 72 ca 67 09 bf 1d 94 12 1b f3 74 88 01 b4 0f 6f 5c"),
            ("sequence 1", "01"), ("window 59958000", "f0 c5 cb 1c"), ("height 300", "ac 02"), ("node 1: n2", "01"),
            ("certificate signature", "96 4f 76 75 f7 ff 78 15 99 a2 c1 08 ac 21 18 c0 1d 58 f2 cf f8 f4 98 be 40 6d 22 bf 10 e5 fa 68"
                + "36 c8 66 b7 98 59 3d 03 93 10 a5 c5 5e 36 2e 1c 30 85 45 97 96 f1 5e 78 57 a3 79 ca 7a c0 4e 0d"),
            ("holder signature", "14 d0 39 a3 66 1f ca 09 20 03 d8 81 1a c3 93 73 e0 81 59 72 ef cb 47 d4 a5 09 2d 18 d1 56 67 09"
                + "04 95 67 c9 d9 18 7d 54 0b 1a 42 3c be 02 0f b8 50 b2 12 d6 13 e7 d2 4d 74 b4 45 dc d5 ba f8 0b"),
        ]
        var expected: [UInt8] = []
        for (_, h) in labelled { expected += try hex(h) }
        #expect(expected.count == 190)
        // The labels are the model's fields.
        let field = try labelled.map { try hex($0.1) }
        #expect(field[2] == Array("TCK-000123".utf8) && field[4] == Array("E2027-GIG".utf8))
        #expect(field[5] == holder.publicKey.bytes)
        #expect(field[7] == Model.uvarint(window) && field[8] == Model.uvarint(300))
        #expect(field[10] == certSignature.bytes && field[11] == pass.signature.bytes)

        #expect(try pass.bytes(members: members) == expected)
        let text = "TP1:-50GTAUM9646746QF6X71NF6UF6QW5*B94NHD S5UEFOU51W*VRLU7R BKQPKA1CX30D2:YUW8HFYMN3E1B0A0P5S3IB040J+/E$FV68F0JJ6IOAYL 53."
            + "V3EVUCLV.DJN68UH4562OTVT-6F:CVBJ4W7SQI2/K/+BE$5166+Z8V3JJ.BP3B%HFENF1*9IS2+C7/+CGOP524UGRBH3$SI8HS%DB7EUS39*%KOV5+KQ71D3Q0J5D"
            + "1KR:$F7I1 G8.0OJ:139A7H2AN2HQQ-XEJ$8*0R4GV"
        #expect(text.count == 289 && text == "TP1:" + Model.base45(expected))
        #expect(try pass.text(members: members) == text)
        #expect(try Pass(text: text, members: members) == pass)
        #expect(try QRCode(text: text).version == 12)

        let certificateMessage = try hex("54414c4f4e2d4f574e4552534849502d563100 b9d8d389db2ff378dcd319195a6713a12cf9bbdb6b3fa4b5e6eece1bb99f2df8"
            + "0000000a 54434b2d303030313233 00000009 45323032372d474947 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
            + "0000000000000001 000000000000012c")
        #expect(certificateMessage.count == 126)
        #expect(certificateMessage == Model.certificateBytes(genesisHash: genesisHash.bytes, ticketID: "TCK-000123", eventID: "E2027-GIG",
                                                             holder: holder.publicKey.bytes, sequence: 1, height: 300))
        #expect(n2.publicKey.verify(certSignature, for: certificateMessage))
        let holderMessage = try hex("54414c4f4e2d504153532d563100 0000000f 74616c6f6e2d6c6f63616c2d646576"
            + "0000000a 54434b2d303030313233 00000009 45323032372d474947 8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
            + "0000000000000001 000000000392e2f0")
        #expect(holderMessage.count == 108)
        #expect(holderMessage == Model.holderBytes(chainID: chainID, ticketID: "TCK-000123", eventID: "E2027-GIG",
                                                   holder: holder.publicKey.bytes, sequence: 1, window: window))
        #expect(holder.publicKey.verify(pass.signature, for: holderMessage))

        let json = #"{"event_id":"E2027-GIG","height":300,"holder":"ed25519:8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c","#
            + #""node":"n2","sequence":1,"signature":"\#(certSignature.hex)","ticket_id":"TCK-000123"}"#
        #expect(String(decoding: JSONForm.encode(certificate), as: UTF8.self) == json)
        #expect(certSignature.hex.hasPrefix("964f7675") && certSignature.hex.hasSuffix("4e0d"))
    }
}
