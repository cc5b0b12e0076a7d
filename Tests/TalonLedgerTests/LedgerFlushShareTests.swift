import Testing
import TalonProtocol
@testable import TalonLedger

/// The members of a cluster write their bulk indexes at different blocks (`FlushShare`), so
/// that a flush stalls one member at a time; where a flush falls changes nothing a ledger
/// holds or answers.
@Suite struct LedgerFlushShareTests {
    /// Member `position` of three, flushing every 12 leaves, flushes as the tree grows past
    /// 12k + 4·position: once per 12 leaves, a third of the way apart from the next member.
    @Test(arguments: [0, 1, 2])
    func eachMemberFlushesAtItsOwnPoint(position: Int) {
        let keys = RecentLeafKeys(flushEnvelopes: 12, share: FlushShare(position: position, of: 3))
        let offset = UInt64(4 * position)
        var indexed: UInt64 = 0
        var flushedAt: [UInt64] = []
        for size in UInt64(1)...60 where keys.flushDue(indexed: indexed, size: size) {
            flushedAt.append(size)
            indexed = size
        }
        let expected = (0...5).map { 12 * UInt64($0) + offset }.filter { $0 > 0 && $0 <= 60 }
        #expect(flushedAt == expected)
    }

    /// A block that grows the tree past several points flushes once; the wait is never longer
    /// than the flush size and a block, however far the last flush was from a point.
    @Test func aFlushIsNeverLateByMoreThanABlock() {
        let keys = RecentLeafKeys(flushEnvelopes: 10, share: FlushShare(position: 1, of: 2))
        #expect(keys.flushDue(indexed: 0, size: 5))
        #expect(!keys.flushDue(indexed: 5, size: 14))
        #expect(keys.flushDue(indexed: 5, size: 15))
        #expect(keys.flushDue(indexed: 14, size: 15), "a restart left the mark just below a point")
        #expect(keys.flushDue(indexed: 5, size: 40))
        #expect(!keys.flushDue(indexed: 7, size: 7))
    }

    @Test func positionsOutOfRangeAreBroughtIn() {
        #expect(FlushShare(position: 5, of: 3) == FlushShare(position: 2, of: 3))
        #expect(FlushShare(position: -1, of: 0) == .alone)
        #expect(FlushShare(position: 2, of: 3).offset(in: 16_384) == 10_922)
    }

    /// Three members applying the same blocks, two envelopes each, with flushes every six
    /// leaves: no block makes two of them flush, each flushes once per six leaves, and all
    /// three make the same blocks and answer every lookup alike — by hash, spent nonces,
    /// holder histories — whether a leaf is indexed on one and in memory on another, and
    /// after reopening.
    @Test func membersFlushApartAndAnswerAlike() throws {
        let first = try LedgerFixture(hashFlushEnvelopes: 6, hashEpochLeaves: 4, flushShare: FlushShare(position: 0, of: 3))
        let members = [first] + (try (1...2).map { position in
            try LedgerFixture(admin: first.admin, issuer: first.issuer, genesis: first.genesisFile, hashFlushEnvelopes: 6,
                              hashEpochLeaves: 4, flushShare: FlushShare(position: position, of: 3))
        })
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        func applyEverywhere(_ block: [Envelope]) throws -> [Int] {
            var flushed: [Int] = []
            var hashes: Set<Digest> = []
            for (position, member) in members.enumerated() {
                let before = try member.ledger.read { txn in try member.ledger.indexedThrough(txn) } ?? 0
                #expect(try member.apply(block).allSatisfy { $0 == "ok" })
                let after = try member.ledger.read { txn in try member.ledger.indexedThrough(txn) } ?? 0
                if after != before { flushed.append(position) }
                hashes.insert(try member.ledger.head().blockHash)
            }
            #expect(hashes.count == 1, "every member made the same block")
            return flushed
        }
        let event = first.sign(.createEvent(CreateEvent(eventID: "E1", name: "Concert", venue: "Arena", startsAt: 1_900_000_000_000,
                                                        doorsOpenAt: 1_899_990_000_000, capacity: 100, currency: "EUR")), by: first.issuer)
        let issue = first.sign(.issue(IssueTickets(eventID: "E1", tickets: ["T1", "T2"].map {
            TicketSpec(ticketID: $0, section: "A", seat: $0, faceValue: 4500, holder: alice.publicKey)
        })), by: first.issuer)
        var flushes = [Int](repeating: 0, count: 3)
        var moves: [Envelope] = []
        for block in [[event, issue]] + (0..<15).map({ i -> [Envelope] in
            let (from, to) = i % 2 == 0 ? (alice, bob) : (bob, alice)
            return ["T1", "T2"].map { first.sign(.transfer(Transfer(ticketID: $0, to: to.publicKey)), by: from) }
        }) {
            let flushed = try applyEverywhere(block)
            #expect(flushed.count <= 1, "members \(flushed) flushed in the same block")
            for position in flushed { flushes[position] += 1 }
            if block[0] != event { moves += block }
        }
        // 32 leaves: the lines at 6, 12, … 30 (member 0), 2, 8, … 32 (member 1), 4, … 28 (member 2).
        #expect(flushes == [5, 6, 5])
        for ledger in members.map(\.ledger) + (try members.map { try Ledger(existingAt: $0.dir) }) {
            for (i, move) in moves.enumerated() {
                #expect(try ledger.record(hash: move.hash)?.receipt.leaf == UInt64(i) + 2)
                #expect(try ledger.nonceUsed(move.signer, move.nonce))
            }
            #expect(try !ledger.nonceUsed(alice.publicKey, 999_999))
            for holder in [alice.publicKey, bob.publicKey] {
                #expect(try ledger.history(holder: holder).map(\.receipt.leaf) == members[0].ledger.history(holder: holder).map(\.receipt.leaf))
            }
        }
        #expect(try members[0].ledger.history(holder: bob.publicKey).count == 30, "every transfer names bob, as sender or recipient")
    }
}
