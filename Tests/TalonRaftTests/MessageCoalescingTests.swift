import Testing
import TalonRaft

/// `Message.coalesced` drops only an empty append that a later append to the same member
/// fully covers; everything else stays, in order.
@Suite struct MessageCoalescingTests {
    static func append(to: NodeID, term: UInt64 = 2, prev: UInt64 = 5, logTerm: UInt64 = 2, entries: [UInt64] = [], commit: UInt64 = 5) -> Message {
        Message(kind: .append, from: 1, to: to, term: term, logTerm: logTerm, index: prev,
                entries: entries.map { Entry(term: term, index: $0, kind: .normal, data: [1]) }, commit: commit)
    }

    @Test func anEmptyAppendCoveredByALaterOneIsDropped() {
        let empty2 = Self.append(to: 2), empty3 = Self.append(to: 3)
        let next2 = Self.append(to: 2, entries: [6]), next3 = Self.append(to: 3, entries: [6])
        let heartbeat = Message(kind: .heartbeat, from: 1, to: 2, term: 2, commit: 5)
        #expect(Message.coalesced([empty2, empty3, heartbeat, next2, next3]) == [heartbeat, next2, next3])
    }

    @Test func whatALaterAppendDoesNotCoverStays() {
        let empty = Self.append(to: 2, commit: 5)
        let cases: [(String, Message)] = [
            ("another member", Self.append(to: 3, entries: [6])),
            ("a lower commit", Self.append(to: 2, entries: [6], commit: 4)),
            ("another previous entry", Self.append(to: 2, prev: 4, entries: [5, 6])),
            ("another previous term", Self.append(to: 2, logTerm: 1, entries: [6])),
            ("another term", Self.append(to: 2, term: 3, entries: [6])),
        ]
        for (what, later) in cases { #expect(Message.coalesced([empty, later]) == [empty, later], "\(what)") }
        // An empty append after the one with entries is not covered by it; appends with
        // entries are never dropped.
        let full = Self.append(to: 2, entries: [6])
        #expect(Message.coalesced([full, empty]) == [full, empty])
        #expect(Message.coalesced([full, full]) == [full, full])
    }
}
