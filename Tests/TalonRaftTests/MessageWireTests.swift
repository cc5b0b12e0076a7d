import Testing
import TalonRaft
import TalonProtocol

@Suite struct MessageWireTests {
    static func random(_ rng: inout SplitMix64) -> Message {
        let kinds = Message.Kind.allCases
        func bytes(_ max: UInt64) -> [UInt8] { (0..<rng.next() % (max + 1)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        func big() -> UInt64 { rng.next() % 4 == 0 ? rng.next() : rng.next() % 100 }
        let base = big()
        let entries = (0..<rng.next() % 5).map { i in
            Entry(term: big(), index: base + i + 1, kind: rng.next() % 5 == 0 ? .noop : .normal, data: bytes(40))
        }
        return Message(kind: kinds[Int(rng.next() % UInt64(kinds.count))], from: big(), to: big(), term: big(), logTerm: big(),
                       index: base, entries: entries, commit: big(), reject: rng.next() % 2 == 0, rejectHint: big(),
                       context: bytes(20))
    }

    @Test func roundTripsLosslessly() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let m = Self.random(&rng)
            #expect(try Message(wireBytes: m.wireBytes) == m)
        }
    }

    /// The layout written out by hand from the format comment, not from the encoder.
    @Test func matchesTheDocumentedLayout() throws {
        let m = Message(kind: .append, from: 1, to: 2, term: 3, logTerm: 2, index: 5,
                        entries: [Entry(term: 3, index: 6, kind: .normal, data: [0xAA, 0xBB])],
                        commit: 4, reject: false, rejectHint: 0, context: [0x07])
        func be64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> (56 - 8 * $0)) } }
        func be32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
        var expected: [UInt8] = [1, 5]
        for v: UInt64 in [1, 2, 3, 2, 5, 4] { expected += be64(v) }
        expected += [0] + be64(0) + be32(1) + [0x07] + be32(1)
        expected += be64(3) + be64(6) + [0] + be32(2) + [0xAA, 0xBB]
        #expect(m.wireBytes == expected)
        #expect(try Message(wireBytes: expected) == m)
    }

    @Test func everyTruncationAndEveryTrailingByteIsRefused() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<50 {
            let bytes = Self.random(&rng).wireBytes
            for n in 0..<bytes.count {
                #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: bytes.prefix(n)) }
            }
            #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: bytes + [0]) }
        }
    }

    @Test func unknownVersionKindsAndFlagsAreRefused() throws {
        let m = Message(kind: .heartbeat, from: 1, to: 2, term: 1, entries: [Entry(term: 1, index: 1)])
        let good = m.wireBytes
        func with(_ offset: Int, _ value: UInt8) -> [UInt8] { var b = good; b[offset] = value; return b }
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: with(0, 2)) }       // version
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: with(1, 0)) }       // kind
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: with(1, 200)) }
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: with(50, 2)) }      // reject flag
        let entryKind = Message.fixedWireBytesForTests + 16
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: with(entryKind, 9)) }
        #expect(try Message(wireBytes: good) == m)
    }

    /// Counts and lengths that claim more than the bytes present fail before any allocation.
    @Test func forgedLengthsAreRefused() {
        let good = Message(kind: .append, from: 1, to: 2, term: 1).wireBytes
        var count = good
        count.replaceSubrange(count.count - 4..<count.count, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: count) }
        var context = good
        context.replaceSubrange(59..<63, with: [0x00, 0x01, 0x00, 0x01])  // 65,537 > the limit
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: context) }
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: [UInt8](repeating: 0xFF, count: 200)) }
        #expect(throws: TalonError(.raftMalformed)) { try Message(wireBytes: []) }
    }
}

extension Message {
    /// Offset of the first entry in a message with no context (fixed part, context length, count).
    static var fixedWireBytesForTests: Int { 1 + 1 + 8 * 6 + 1 + 8 + 4 + 4 }
}
