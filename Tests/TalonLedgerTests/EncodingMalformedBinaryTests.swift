import PropertyBased
import TalonProtocol
import TalonLedger
import Testing

/// Fixed envelopes of every kind, lists with several elements, unicode text.
private enum Samples {
    static let key = SigningKey(seed: [UInt8](repeating: 0x11, count: 32))!
    static let other = SigningKey(seed: [UInt8](repeating: 0x22, count: 32))!.publicKey
    static let chainID = "talon-enc"

    static func envelope(_ op: LedgerOperation, chainID: String = chainID, nonce: UInt64 = 0x0102_0304_0506_0708) -> Envelope {
        Envelope(chainID: chainID, nonce: nonce, operation: op, signedBy: key)
    }

    static let operations: [LedgerOperation] = [
        .registerIssuer(RegisterIssuer(issuer: other, name: "Konzertbüro Zürich 🎵")),
        .createEvent(CreateEvent(eventID: "E-2026/07:main_stage", name: "Fête de la musique", venue: "Place d’Armes",
                                 startsAt: .max, doorsOpenAt: .min, capacity: .max, currency: "EUR")),
        .registerGate(RegisterGate(eventID: "E1", gate: other, name: "Nordtor", sections: ["A", "Βήτα", "席C"])),
        .registerGate(RegisterGate(eventID: "E1", gate: other, name: "Every section", sections: [])),
        .issue(IssueTickets(eventID: "E1", tickets: [
            TicketSpec(ticketID: "T-1", section: "A", seat: "1", faceValue: 4500, holder: other),
            TicketSpec(ticketID: "T-2", section: "", seat: "", faceValue: .max, holder: key.publicKey),
            TicketSpec(ticketID: "T-3", section: "Loge 😀", seat: "R3/S14", faceValue: 0, holder: other),
        ])),
        .transfer(Transfer(ticketID: "T-1", to: other)),
        .redeem(Redeem(ticketID: "T-1", sequence: .max, scannedAt: -1)),
        .void(VoidTicket(ticketID: "T-1", reason: "Doppelt ausgestellt — duplicate")),
        .void(VoidTicket(ticketID: "T-1", reason: "")),
    ]

    static var envelopes: [Envelope] { operations.map { envelope($0) } }
}

/// The codes a binary decoder may give.
private let decodeCodes: Set<TalonError> = [TalonError(.truncated), TalonError(.trailingBytes), TalonError(.overlongLength), TalonError(.unknownVersion), TalonError(.unknownOperation), TalonError(.nonCanonical)]

/// The decoding error for `bytes`, or nil when they decode.
private func decodeError(_ bytes: [UInt8]) -> TalonError? {
    do { _ = try Envelope(bytes: bytes); return nil } catch { return error }
}

/// Malformed binary envelopes, one class at a time, each refused with its stable code.
@Suite struct EncodingMalformedBinaryTests {
    // MARK: truncation

    /// Every proper prefix fails; which code follows from where the cut falls (see
    /// `EnvelopeLayout.truncationCode`): `truncated` inside a fixed-width value, a length or a
    /// count, `overlong_length` inside a string's bytes (its intact length now exceeds the
    /// bytes left) or where a list's smallest elements no longer fit.
    @Test func truncationAtEveryPrefix() {
        var seen: Set<TalonError> = []
        for e in Samples.envelopes {
            #expect(decodeError(e.bytes) == nil)
            for length in 0..<e.bytes.count {
                let code = decodeError(Array(e.bytes.prefix(length)))
                #expect(code == TalonError(.truncated) || code == TalonError(.overlongLength), "\(e.operation.kind.name) cut at \(length)")
                #expect(code == EnvelopeLayout.truncationCode(e, length: length), "\(e.operation.kind.name) cut at \(length)")
                if let code { seen.insert(code) }
            }
        }
        #expect(seen == [TalonError(.truncated), TalonError(.overlongLength)])
    }

    /// A few cuts spelled out for a transfer of "T-1" on chain "talon-enc".
    @Test func truncationCodesByPlace() throws {
        let e = Samples.envelope(.transfer(Transfer(ticketID: "T-1", to: Samples.other)))
        let b = e.bytes
        func cut(_ n: Int) -> TalonError? { decodeError(Array(b.prefix(n))) }
        #expect(cut(0) == TalonError(.truncated), "no version byte")
        #expect(cut(1) == TalonError(.truncated), "no chain id length")
        #expect(cut(4) == TalonError(.truncated), "inside the chain id length")
        #expect(cut(5) == TalonError(.overlongLength), "length 9 with no bytes after it")
        #expect(cut(13) == TalonError(.overlongLength), "one byte of the chain id missing")
        #expect(cut(14) == TalonError(.truncated), "chain id complete, no signer")
        #expect(cut(14 + 32 + 8) == TalonError(.truncated), "no operation kind")
        #expect(cut(14 + 32 + 8 + 1) == TalonError(.truncated), "half the operation kind")
        #expect(cut(14 + 32 + 8 + 2 + 4 + 2) == TalonError(.overlongLength), "inside the ticket id")
        #expect(cut(b.count - 64) == TalonError(.truncated), "no signature")
        #expect(cut(b.count - 1) == TalonError(.truncated), "one signature byte missing")
    }

    @Test func truncationOfGeneratedEnvelopes() async {
        await propertyCheck(count: 40, input: EnvelopeGen.anyEnvelopes()) { s in
            let e = s.envelope
            for length in 0..<e.bytes.count {
                let code = decodeError(Array(e.bytes.prefix(length)))
                #expect(code == EnvelopeLayout.truncationCode(e, length: length), "cut at \(length)")
            }
        }
    }

    // MARK: trailing bytes

    @Test func trailingBytes() {
        for e in Samples.envelopes {
            #expect(throws: TalonError(.trailingBytes)) { try Envelope(bytes: e.bytes + [0x00]) }
            #expect(throws: TalonError(.trailingBytes)) { try Envelope(bytes: e.bytes + [0xFF]) }
            #expect(throws: TalonError(.trailingBytes)) { try Envelope(bytes: e.bytes + [UInt8](repeating: 0xAB, count: 1000)) }
            #expect(throws: TalonError(.trailingBytes)) { try Envelope(bytes: e.bytes + e.bytes) }
        }
    }

    @Test func trailingBytesOnGeneratedEnvelopes() async {
        await propertyCheck(count: 150, input: EnvelopeGen.anyEnvelopes(), EnvelopeGen.rngs) { s, seeded in
            var rng = seeded
            let tail = EnvelopeGen.bytes(Int.random(in: 1...300), using: &rng)
            #expect(throws: TalonError(.trailingBytes)) { try Envelope(bytes: s.envelope.bytes + tail) }
        }
    }

    // MARK: unknown version and operation

    @Test(arguments: [UInt8(0), 2, 255])
    func unknownVersion(version: UInt8) {
        for e in Samples.envelopes {
            #expect(throws: TalonError(.unknownVersion)) { try Envelope(bytes: Bytes.patch(e.bytes, at: 0, with: [version])) }
        }
        #expect(throws: TalonError(.unknownVersion)) { try Envelope(bytes: [version]) }
    }

    @Test(arguments: [UInt16(0), 15, 16, 0x0100, 65535])
    func unknownOperation(kind: UInt16) {
        for e in Samples.envelopes {
            // version, chain id, signer, nonce, then the u16 kind.
            let offset = 1 + 4 + e.chainID.utf8.count + 32 + 8
            #expect(e.bytes[offset] == 0 && e.bytes[offset + 1] == UInt8(e.operation.kind.rawValue))
            #expect(throws: TalonError(.unknownOperation)) { try Envelope(bytes: Bytes.patch(e.bytes, at: offset, with: Bytes.be16(kind))) }
            // Known only by its number: the kind alone, with nothing after it, is still unknown_operation.
            #expect(throws: TalonError(.unknownOperation)) {
                try Envelope(bytes: Array(e.bytes.prefix(offset)) + Bytes.be16(kind))
            }
        }
    }

    // MARK: overlong lengths and counts

    /// The offsets of every string's length field, with its length.
    private func stringFields(_ e: Envelope) -> [(offset: Int, length: Int)] {
        EnvelopeLayout.segments(e).enumerated().compactMap { i, s in
            if case .string(let n) = s { (EnvelopeLayout.offset(of: i, in: e), n) } else { nil }
        }
    }

    @Test func lengthFieldsBeyondTheInput() {
        for e in Samples.envelopes {
            for (offset, _) in stringFields(e) {
                let left = e.bytes.count - offset - 4
                for bad in [UInt32.max, UInt32(left + 1), UInt32(Int32.max), 0x8000_0000] {
                    #expect(throws: TalonError(.overlongLength), "length \(bad) at \(offset)") {
                        try Envelope(bytes: Bytes.patch(e.bytes, at: offset, with: Bytes.be32(bad)))
                    }
                }
            }
        }
    }

    @Test func lengthFieldsBeyondTheInputInGeneratedEnvelopes() async {
        await propertyCheck(count: 150, input: EnvelopeGen.anyEnvelopes(), EnvelopeGen.rngs) { s, seeded in
            let e = s.envelope
            var rng = seeded
            let (offset, _) = stringFields(e).randomElement(using: &rng)!
            let left = e.bytes.count - offset - 4
            let bad = [UInt32.max, UInt32(left + 1), UInt32.random(in: UInt32(left + 1)...UInt32.max, using: &rng)]
                .randomElement(using: &rng)!
            #expect(throws: TalonError(.overlongLength), "length \(bad) at \(offset)") {
                try Envelope(bytes: Bytes.patch(e.bytes, at: offset, with: Bytes.be32(bad)))
            }
        }
    }

    /// A length that takes exactly the bytes left swallows the signature: the signature is
    /// then missing, `truncated`. (The signature bytes are set to ASCII here so that the
    /// swallowed bytes are valid UTF-8 and the missing signature is the first fault.)
    @Test func lengthTakingExactlyTheRest() {
        let e = Samples.envelope(.void(VoidTicket(ticketID: "T-1", reason: "x")))
        let offset = stringFields(e).last!.offset
        let left = e.bytes.count - offset - 4
        let asciiSignature = Bytes.patch(e.bytes, at: e.bytes.count - 64, with: [UInt8](repeating: 0x78, count: 64))
        #expect(throws: TalonError(.truncated)) { try Envelope(bytes: Bytes.patch(asciiSignature, at: offset, with: Bytes.be32(UInt32(left)))) }
        #expect(throws: TalonError(.overlongLength)) { try Envelope(bytes: Bytes.patch(e.bytes, at: offset, with: Bytes.be32(UInt32(left + 1)))) }
    }

    /// Well-formed encodings of a field one byte over its limit: `overlong_length` even though
    /// the bytes are all there.
    @Test func fieldsOverTheirLimits() throws {
        let k = Samples.other
        let id129 = String(repeating: "i", count: Limits.idBytes + 1)
        let text257 = String(repeating: "t", count: Limits.textBytes + 1)
        let reason1025 = String(repeating: "r", count: Limits.reasonBytes + 1)
        let ticket = TicketSpec(ticketID: "T", section: "A", seat: "1", faceValue: 1, holder: k)
        let event = CreateEvent(eventID: "E", name: "N", venue: "V", startsAt: 2, doorsOpenAt: 1, capacity: 1, currency: "EUR")
        func withEvent(_ f: (inout CreateEvent) -> Void) -> LedgerOperation { var o = event; f(&o); return .createEvent(o) }
        func withTicket(_ f: (inout TicketSpec) -> Void) -> LedgerOperation {
            var t = ticket; f(&t); return .issue(IssueTickets(eventID: "E", tickets: [t]))
        }
        let over: [(String, Envelope)] = [
            ("chain_id", Samples.envelope(.transfer(Transfer(ticketID: "T", to: k)), chainID: text257)),
            ("register_issuer.name", Samples.envelope(.registerIssuer(RegisterIssuer(issuer: k, name: text257)))),
            ("create_event.event_id", Samples.envelope(withEvent { $0.eventID = id129 })),
            ("create_event.name", Samples.envelope(withEvent { $0.name = text257 })),
            ("create_event.venue", Samples.envelope(withEvent { $0.venue = text257 })),
            ("create_event.currency", Samples.envelope(withEvent { $0.currency = text257 })),
            ("register_gate.event_id", Samples.envelope(.registerGate(RegisterGate(eventID: id129, gate: k, name: "G", sections: []))) ),
            ("register_gate.name", Samples.envelope(.registerGate(RegisterGate(eventID: "E", gate: k, name: text257, sections: [])))),
            ("register_gate.sections[]", Samples.envelope(.registerGate(RegisterGate(eventID: "E", gate: k, name: "G", sections: ["A", text257])))),
            ("register_gate.sections (65)", Samples.envelope(.registerGate(RegisterGate(
                eventID: "E", gate: k, name: "G", sections: (0...Limits.sectionsPerGate).map { "S\($0)" })))),
            ("issue.event_id", Samples.envelope(.issue(IssueTickets(eventID: id129, tickets: [ticket])))),
            ("issue.tickets[].ticket_id", Samples.envelope(withTicket { $0.ticketID = id129 })),
            ("issue.tickets[].section", Samples.envelope(withTicket { $0.section = text257 })),
            ("issue.tickets[].seat", Samples.envelope(withTicket { $0.seat = text257 })),
            ("issue.tickets (10001)", Samples.envelope(.issue(IssueTickets(eventID: "E", tickets: (0...Limits.ticketsPerIssue).map {
                TicketSpec(ticketID: "T\($0)", section: "", seat: "", faceValue: 0, holder: k)
            })))),
            ("transfer.ticket_id", Samples.envelope(.transfer(Transfer(ticketID: id129, to: k)))),
            ("redeem.ticket_id", Samples.envelope(.redeem(Redeem(ticketID: id129, sequence: 0, scannedAt: 0)))),
            ("void.ticket_id", Samples.envelope(.void(VoidTicket(ticketID: id129, reason: "")))),
            ("void.reason", Samples.envelope(.void(VoidTicket(ticketID: "T", reason: reason1025)))),
        ]
        for (field, e) in over {
            #expect(e.bytes.count <= Limits.envelopeBytes, "\(field)")
            #expect(throws: TalonError(.overlongLength), "\(field)") { try Envelope(bytes: e.bytes) }
            // The JSON form is held to the same limits.
            #expect(throws: TalonError(.overlongLength), "\(field)") { try JSONForm.decode(Envelope.self, from: JSONForm.encode(e)) }
        }
    }

    /// A list count of 2^32−1 is refused from the count alone. (Reserving room for four
    /// billion tickets or sections would abort the test process, so passing shows nothing was
    /// allocated for the claimed elements.)
    @Test func hugeListCounts() {
        let gate = Samples.envelope(.registerGate(RegisterGate(eventID: "E1", gate: Samples.other, name: "G", sections: ["A"])))
        let issue = Samples.envelope(.issue(IssueTickets(eventID: "E1", tickets: [
            TicketSpec(ticketID: "T", section: "A", seat: "1", faceValue: 1, holder: Samples.other),
        ])))
        for e in [gate, issue] {
            let segments = EnvelopeLayout.segments(e)
            let index = segments.firstIndex { if case .count = $0 { true } else { false } }!
            let offset = EnvelopeLayout.offset(of: index, in: e)
            #expect(Bytes.u32(e.bytes, at: offset) == 1)
            for count in [UInt32.max, UInt32.max - 1, 0x8000_0000, UInt32(Limits.ticketsPerIssue + 1)] {
                #expect(throws: TalonError(.overlongLength), "count \(count)") {
                    try Envelope(bytes: Bytes.patch(e.bytes, at: offset, with: Bytes.be32(count)))
                }
            }
        }
        // Within the limit, but more elements than the bytes left could hold.
        let ticketsOffset = 1 + 4 + Samples.chainID.utf8.count + 32 + 8 + 2 + 4 + 2
        #expect(throws: TalonError(.overlongLength)) {
            try Envelope(bytes: Bytes.patch(issue.bytes, at: ticketsOffset, with: Bytes.be32(UInt32(Limits.ticketsPerIssue))))
        }
        let sectionsOffset = 1 + 4 + Samples.chainID.utf8.count + 32 + 8 + 2 + 4 + 2 + 32 + 4 + 1
        #expect(throws: TalonError(.overlongLength)) {
            try Envelope(bytes: Bytes.patch(gate.bytes, at: sectionsOffset, with: Bytes.be32(UInt32(Limits.sectionsPerGate))))
        }
    }

    // MARK: invalid UTF-8

    static let invalidUTF8: [(String, [UInt8])] = [
        ("overlong NUL C0 80", [0xC0, 0x80]),
        ("overlong C1 BF", [0xC1, 0xBF]),
        ("lone continuation 80", [0x80]),
        ("lone continuation BF", [0xBF]),
        ("surrogate ED A0 80", [0xED, 0xA0, 0x80]),
        ("low surrogate ED BF BF", [0xED, 0xBF, 0xBF]),
        ("overlong 3-byte E0 80 80", [0xE0, 0x80, 0x80]),
        ("overlong 4-byte F0 80 80 80", [0xF0, 0x80, 0x80, 0x80]),
        ("beyond U+10FFFF F4 90 80 80", [0xF4, 0x90, 0x80, 0x80]),
        ("F5", [0xF5]),
        ("FF", [0xFF]),
        ("cut sequence E2 82", [0xE2, 0x82]),
    ]

    /// Each string field of each kind, with each bad sequence written over a placeholder of
    /// the same length.
    @Test func invalidUTF8IsNonCanonical() {
        let k = Samples.other
        for (label, bad) in Self.invalidUTF8 {
            let p = String(repeating: "x", count: bad.count)
            let ops: [LedgerOperation] = [
                .registerIssuer(RegisterIssuer(issuer: k, name: p)),
                .createEvent(CreateEvent(eventID: p, name: "N", venue: "V", startsAt: 0, doorsOpenAt: 0, capacity: 1, currency: "EUR")),
                .createEvent(CreateEvent(eventID: "E", name: p, venue: "V", startsAt: 0, doorsOpenAt: 0, capacity: 1, currency: "EUR")),
                .createEvent(CreateEvent(eventID: "E", name: "N", venue: p, startsAt: 0, doorsOpenAt: 0, capacity: 1, currency: "EUR")),
                .createEvent(CreateEvent(eventID: "E", name: "N", venue: "V", startsAt: 0, doorsOpenAt: 0, capacity: 1, currency: p)),
                .registerGate(RegisterGate(eventID: "E", gate: k, name: p, sections: [])),
                .registerGate(RegisterGate(eventID: "E", gate: k, name: "G", sections: ["A", p])),
                .issue(IssueTickets(eventID: "E", tickets: [TicketSpec(ticketID: "T", section: p, seat: "1", faceValue: 1, holder: k)])),
                .issue(IssueTickets(eventID: "E", tickets: [TicketSpec(ticketID: "T", section: "A", seat: p, faceValue: 1, holder: k)])),
                .transfer(Transfer(ticketID: p, to: k)),
                .redeem(Redeem(ticketID: p, sequence: 0, scannedAt: 0)),
                .void(VoidTicket(ticketID: "T", reason: p)),
            ]
            for op in ops {
                let e = Samples.envelope(op)
                // The placeholder's length and bytes, looked for after the fixed header.
                let header = 1 + 4 + e.chainID.utf8.count + 32 + 8 + 2
                let at = Bytes.find(Bytes.be32(UInt32(bad.count)) + Array(p.utf8), in: e.bytes, from: header)! + 4
                #expect(throws: TalonError(.nonCanonical), "\(label) in \(op.kind.name)") {
                    try Envelope(bytes: Bytes.patch(e.bytes, at: at, with: bad))
                }
            }
            let chain = Samples.envelope(.transfer(Transfer(ticketID: "T", to: k)), chainID: p)
            #expect(throws: TalonError(.nonCanonical), "\(label) in chain_id") {
                try Envelope(bytes: Bytes.patch(chain.bytes, at: 5, with: bad))
            }
        }
    }

    /// A sequence that is invalid wherever it stands, written into a random string of a
    /// generated envelope.
    @Test func invalidUTF8InGeneratedEnvelopes() async {
        await propertyCheck(count: 200, input: EnvelopeGen.anyEnvelopes(), EnvelopeGen.rngs) { s, seeded in
            let e = s.envelope
            var rng = seeded
            let candidates = stringFields(e).filter { $0.length >= 1 }
            guard let (offset, length) = candidates.randomElement(using: &rng) else { return }
            // C0 80 and ED A0 80 are invalid anywhere; a continuation byte is at a string's start.
            let choices: [[UInt8]] = [[0xC0, 0x80], [0xED, 0xA0, 0x80]].filter { $0.count <= length }
            let (bad, at): ([UInt8], Int)
            if let c = choices.randomElement(using: &rng), Bool.random(using: &rng) {
                (bad, at) = (c, offset + 4 + Int.random(in: 0...(length - c.count), using: &rng))
            } else {
                (bad, at) = ([0x80], offset + 4)
            }
            #expect(throws: TalonError(.nonCanonical)) { try Envelope(bytes: Bytes.patch(e.bytes, at: at, with: bad)) }
        }
    }

    // MARK: envelope size

    /// An issue envelope of exactly `Limits.envelopeBytes` (plus `extra`) bytes, all fields valid.
    static func envelopeOfSize(extra: Int) -> Envelope {
        let key = Samples.key, holder = Samples.other
        let seat = String(repeating: "s", count: Limits.textBytes)
        func full(_ i: Int) -> TicketSpec { TicketSpec(ticketID: "T\(100_000 + i)", section: "", seat: seat, faceValue: 1, holder: holder) }
        let fullSize = 4 + 7 + 4 + 0 + 4 + Limits.textBytes + 8 + 32
        func make(_ n: Int, lastSection: Int, lastSeat: Int) -> Envelope {
            let last = TicketSpec(ticketID: "L", section: String(repeating: "a", count: lastSection),
                                  seat: String(repeating: "b", count: lastSeat), faceValue: 1, holder: holder)
            return Envelope(chainID: Samples.chainID, nonce: 9, operation: .issue(IssueTickets(eventID: "E1", tickets: (0..<n).map(full) + [last])),
                            signedBy: key)
        }
        let size0 = EnvelopeLayout.size(make(0, lastSection: 0, lastSeat: 0))
        let n = (Limits.envelopeBytes - size0) / fullSize
        let d = Limits.envelopeBytes - size0 - n * fullSize + extra
        return make(n, lastSection: d - min(d, Limits.textBytes), lastSeat: min(d, Limits.textBytes))
    }

    @Test func envelopeSizeLimit() throws {
        let atLimit = Self.envelopeOfSize(extra: 0)
        #expect(atLimit.bytes.count == Limits.envelopeBytes)
        #expect(try Envelope(bytes: atLimit.bytes) == atLimit)
        #expect(throws: Never.self) { try atLimit.admit(chainID: Samples.chainID) }

        let over = Self.envelopeOfSize(extra: 1)
        #expect(over.bytes.count == Limits.envelopeBytes + 1)
        #expect(throws: TalonError(.overlongLength)) { try Envelope(bytes: over.bytes) }
        #expect(throws: TalonError(.overlongLength)) { try over.admit(chainID: Samples.chainID) }
        #expect(throws: TalonError(.overlongLength)) { try JSONForm.decode(Envelope.self, from: JSONForm.encode(over)) }

        // Size is checked first: a valid envelope padded past the limit is overlong, not trailing.
        let small = Samples.envelopes[0]
        let padded = small.bytes + [UInt8](repeating: 0, count: Limits.envelopeBytes + 1 - small.bytes.count)
        #expect(throws: TalonError(.overlongLength)) { try Envelope(bytes: padded) }
        #expect(throws: TalonError(.trailingBytes)) { try Envelope(bytes: Array(padded.dropLast())) }
    }

    // MARK: garbage

    /// Random bytes, often starting with the right version and a plausible chain id: decoding
    /// never crashes, fails only with a decoding code, and succeeds only for bytes that
    /// re-encode identically.
    @Test func randomBytes() async {
        let garbage = Generator<[UInt8], Shrink.None<[UInt8]>> { rng in
            var b = EnvelopeGen.bytes(Int.random(in: 0...400, using: &rng), using: &rng)
            if !b.isEmpty, EnvelopeGen.chance(0.7, using: &rng) { b[0] = 1 }
            if b.count > 5, EnvelopeGen.chance(0.5, using: &rng) { b.replaceSubrange(1..<5, with: Bytes.be32(UInt32.random(in: 0...16, using: &rng))) }
            return b
        }
        await propertyCheck(count: 300, input: garbage) { b in
            switch Result(catching: { () throws(TalonError) in try Envelope(bytes: b) }) {
            case .success(let e):
                #expect(e.bytes == b)
                let again = try Envelope(bytes: e.bytes)
                #expect(again == e)
            case .failure(let error):
                #expect(decodeCodes.contains(error), "\(error)")
            }
        }
    }

    /// Valid envelopes with a few random edits (bit flips, byte changes, insertions,
    /// deletions, cuts): decoding never crashes; when it succeeds the bytes re-encode
    /// identically, and a changed envelope never passes admission.
    @Test func mutatedEnvelopes() async {
        await propertyCheck(count: 300, input: EnvelopeGen.anyEnvelopes(), EnvelopeGen.rngs) { s, seeded in
            let original = s.envelope
            var rng = seeded
            var b = original.bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !b.isEmpty {
                let i = Int.random(in: 0..<b.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: b[i] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 1: b[i] = UInt8.random(in: 0...255, using: &rng)
                case 2: b.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                case 3: b.remove(at: i)
                default: b.removeSubrange(i...)
                }
            }
            switch Result(catching: { () throws(TalonError) in try Envelope(bytes: b) }) {
            case .success(let e):
                #expect(e.bytes == b)
                if b != original.bytes {
                    #expect(throws: (any Error).self) { try e.admit(chainID: original.chainID) }
                    #expect(!e.hasValidSignature)
                }
            case .failure(let error):
                #expect(decodeCodes.contains(error), "\(error)")
            }
        }
    }
}
