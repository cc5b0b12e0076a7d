import TalonChaos
import Testing

/// The checker's read and redeem checks on hand-written histories of one ticket whose ledger
/// holds three versions: issued to alice, transferred to bob, redeemed.
@Suite struct ReadCheckTests {
    static let alice = ReadValue(holder: "ed25519:alice", sequence: 0, status: "active")
    static let bob = ReadValue(holder: "ed25519:bob", sequence: 1, status: "active")
    static let redeemed = ReadValue(holder: "ed25519:bob", sequence: 1, status: "redeemed")
    static let versions = [
        LedgerSnapshot.Version(ticket: "T-1", envelope: "issue", kind: "issue", value: alice),
        LedgerSnapshot.Version(ticket: "T-1", envelope: "give", kind: "transfer", value: bob),
        LedgerSnapshot.Version(ticket: "T-1", envelope: "scan", kind: "redeem", value: redeemed),
    ]
    static let ledger = LedgerSnapshot(node: "n1", blocks: ["b1"], leaves: ["issue", "give", "scan"], versions: versions)

    /// A write of `envelope` sent at `invoked`; acknowledged ok at `done` (nil: no answer).
    static func write(_ id: Int, _ kind: String, _ envelope: String, _ invoked: Int, _ done: Int?, leaf: UInt64 = 0) -> Operation {
        Operation(id: id, client: 0, node: "n1", kind: kind, ticket: "T-1", envelope: envelope, invoked: invoked,
                  completed: done, outcome: done == nil ? .unknown(reason: "no answer") : .acknowledged(leaf: leaf, height: 1, result: "ok"))
    }
    /// A read sent at `invoked` to `node` that returned `value` at `done`.
    static func read(_ id: Int, _ invoked: Int, _ done: Int, _ value: ReadValue?, linearizable: Bool = true, node: String = "n2") -> Operation {
        Operation(id: id, client: 1, node: node, kind: "read", ticket: "T-1", envelope: "", invoked: invoked, completed: done,
                  outcome: .read(value: value), consistency: linearizable ? "linearizable" : "local")
    }
    /// Issued (acknowledged at 5), transferred (sent at 10, acknowledged at 20), redeemed
    /// (sent at 40, acknowledged at 50).
    static let writes = [write(0, "issue", "issue", 0, 5), write(1, "transfer", "give", 10, 20, leaf: 1),
                         write(2, "redeem", "scan", 40, 50, leaf: 2)]

    static func kinds(_ history: [Operation]) -> [String] {
        Checker().check(history, ledgers: [ledger], recoveredAfter: 0).anomalies.map(\.kind)
    }

    @Test func aLinearizableHistoryPasses() {
        let reads = [
            Self.read(10, 0, 1, nil),                 // before the issue was acknowledged: not issued yet
            Self.read(11, 2, 4, Self.alice),          // concurrent with the issue
            Self.read(12, 12, 18, Self.alice),        // concurrent with the transfer: either value
            Self.read(13, 15, 25, Self.bob),
            Self.read(14, 21, 30, Self.bob),
            Self.read(15, 22, 23, Self.alice, linearizable: false),  // a local read may be stale
            Self.read(16, 45, 48, Self.redeemed),
            Self.read(17, 60, 61, Self.redeemed),
            Operation(id: 18, client: 1, node: "n3", kind: "read", ticket: "T-1", envelope: "", invoked: 25,
                      outcome: .unknown(reason: "no answer"), consistency: "linearizable"),
        ]
        let report = Checker().check(Self.writes + reads, ledgers: [Self.ledger], recoveredAfter: 0)
        #expect(report.ok, "\(report.anomalies)")
        #expect(report.reads == 9 && report.operations == 12 && report.acknowledged == 3)
        #expect(report.kinds["read linearizable"]?.acknowledged == 7 && report.kinds["read linearizable"]?.unknown == 1)
        #expect(report.kinds["read local"]?.operations == 1 && report.kinds["transfer"]?.ok == 1)
    }

    @Test func aReadOlderThanAnAcknowledgedWriteIsStale() {
        #expect(Self.kinds(Self.writes + [Self.read(10, 21, 30, Self.alice)]) == ["stale_read"])
        // Not issued, after the issue was acknowledged.
        #expect(Self.kinds(Self.writes + [Self.read(10, 6, 7, nil)]) == ["stale_read"])
        // Older than two writes back: the redeem was acknowledged too.
        #expect(Self.kinds(Self.writes + [Self.read(10, 51, 52, Self.alice)]) == ["stale_read"])
        // The same answer from a local read is allowed.
        #expect(Self.kinds(Self.writes + [Self.read(10, 21, 30, Self.alice, linearizable: false)]).isEmpty)
    }

    @Test func aReadOlderThanAnEarlierReadIsStale() {
        // Read 10 sees bob while the transfer is in flight; read 11, of another member, begins
        // after it answered.
        #expect(Self.kinds(Self.writes + [Self.read(10, 12, 14, Self.bob), Self.read(11, 15, 17, Self.alice, node: "n3")]) == ["stale_read"])
        // Overlapping, either order is possible.
        #expect(Self.kinds(Self.writes + [Self.read(10, 12, 16, Self.bob), Self.read(11, 15, 17, Self.alice)]).isEmpty)
        // A local read's answer shows the write committed: a linearizable read after it must see it.
        #expect(Self.kinds(Self.writes + [Self.read(10, 12, 14, Self.bob, linearizable: false), Self.read(11, 15, 17, Self.alice, node: "n3")])
                == ["stale_read"])
        // From the same member, it also went back.
        #expect(Self.kinds(Self.writes + [Self.read(10, 12, 14, Self.bob), Self.read(11, 15, 17, Self.alice)]) == ["stale_read", "backward_read"])
    }

    @Test func anUnknownWriteMayTakeEffectLateOrNever() {
        let unknown = [Self.write(0, "issue", "issue", 0, 5), Self.write(1, "transfer", "give", 10, nil),
                       Self.write(2, "transfer", "never-applied", 11, nil)]
        let ledger = LedgerSnapshot(node: "n1", blocks: ["b1"], leaves: ["issue", "give"], versions: Array(Self.versions.prefix(2)))
        func kinds(_ reads: [Operation]) -> [String] {
            Checker().check(unknown + reads, ledgers: [ledger], recoveredAfter: 0).anomalies.map(\.kind)
        }
        // Long after it was sent, the old value, then the new one: the transfer took effect late.
        #expect(kinds([Self.read(10, 100, 110, Self.alice), Self.read(11, 120, 130, Self.bob)]).isEmpty)
        // Once a read saw it, no later read may miss it.
        #expect(kinds([Self.read(10, 100, 110, Self.alice), Self.read(11, 120, 130, Self.bob), Self.read(12, 140, 150, Self.alice, node: "n3")])
                == ["stale_read"])
        // Never seen at all: nothing to say.
        #expect(kinds([Self.read(10, 100, 110, Self.alice), Self.read(11, 300, 310, Self.alice)]).isEmpty)
    }

    @Test func aValueThatNeverExistedIsInvented() {
        let mallory = ReadValue(holder: "ed25519:mallory", sequence: 1, status: "active")
        #expect(Self.kinds(Self.writes + [Self.read(10, 12, 18, mallory)]) == ["invented_value"])
        #expect(Self.kinds(Self.writes + [Self.read(10, 12, 18, mallory, linearizable: false)]) == ["invented_value"])
        let ahead = ReadValue(holder: "ed25519:bob", sequence: 2, status: "active")
        #expect(Self.kinds(Self.writes + [Self.read(10, 60, 61, ahead)]) == ["invented_value"])
    }

    @Test func aValueReadBeforeItsWriteWasSentIsFromTheFuture() {
        #expect(Self.kinds(Self.writes + [Self.read(10, 6, 8, Self.bob)]) == ["future_read"])
        #expect(Self.kinds(Self.writes + [Self.read(10, 6, 8, Self.bob, linearizable: false)]) == ["future_read"])
    }

    @Test func aWriteAcknowledgedBeforeAnEarlierOneWasSentIsOutOfOrder() {
        let swapped = [Self.write(0, "issue", "issue", 30, 35), Self.write(1, "transfer", "give", 10, 20, leaf: 1)]
        #expect(Self.kinds(swapped) == ["write_order"])
    }

    @Test func aSecondSuccessfulRedeemIsFlagged() {
        let second = Operation(id: 3, client: 0, node: "n2", kind: "redeem", ticket: "T-1", envelope: "scan-2", invoked: 40,
                               completed: 52, outcome: .acknowledged(leaf: 3, height: 2, result: "ok"))
        let rejected = Operation(id: 3, client: 0, node: "n2", kind: "redeem", ticket: "T-1", envelope: "scan-2", invoked: 40,
                                 completed: 52, outcome: .acknowledged(leaf: 3, height: 2, result: "already_redeemed"))
        var twice = Self.ledger
        twice.leaves.append("scan-2")
        #expect(Checker().check(Self.writes + [rejected], ledgers: [twice], recoveredAfter: 0).ok)
        twice.versions.append(LedgerSnapshot.Version(ticket: "T-1", envelope: "scan-2", kind: "redeem", value: Self.redeemed))
        let report = Checker().check(Self.writes + [second], ledgers: [twice], recoveredAfter: 0)
        #expect(report.anomalies.map(\.kind) == ["double_redeem", "double_redeem"], "\(report.anomalies)")
        #expect(report.anomalies.map(\.detail).contains { $0.hasPrefix("n1:") })
    }

    /// A member that answered bob must not answer alice to a read sent after that, even a
    /// local one; another member may still (it lags).
    @Test func aMemberGoingBackIsFlagged() {
        let seen = Self.read(20, 25, 26, Self.bob, linearizable: false)
        var older = Self.read(21, 27, 28, Self.alice, linearizable: false)
        #expect(Self.kinds(Self.writes + [seen, older]) == ["backward_read"])
        older.node = "n3"
        #expect(Self.kinds(Self.writes + [seen, older]).isEmpty, "another member may lag")
        let overlapping = Self.read(22, 25, 30, Self.alice, linearizable: false)
        #expect(Self.kinds(Self.writes + [seen, overlapping]).isEmpty, "sent before the newer answer came")
    }
}
