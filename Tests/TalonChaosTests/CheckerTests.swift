import TalonChaos
import Testing

/// The checker on hand-built histories and ledgers: each promise broken once must be flagged,
/// and a clean run (with failed and unknown submissions, which promise nothing) accepted.
@Suite struct CheckerTests {
    static func op(_ id: Int, _ envelope: String, _ outcome: Outcome?) -> Operation {
        Operation(id: id, client: 0, node: "n1", ticket: "T-1", envelope: envelope, invoked: id * 10,
                  completed: outcome == nil ? nil : id * 10 + 5, outcome: outcome)
    }
    static func ack(_ leaf: UInt64) -> Outcome { .acknowledged(leaf: leaf, height: leaf + 1, result: "ok") }
    static func ledger(_ node: String, blocks: [String] = ["b1", "b2", "b3"], leaves: [String] = ["e0", "e1", "e2"],
                       holdings: [LedgerSnapshot.Holding] = []) -> LedgerSnapshot {
        LedgerSnapshot(node: node, blocks: blocks, leaves: leaves, holdings: holdings)
    }
    static let history = [op(0, "e0", ack(0)), op(1, "e1", ack(1)), op(2, "e2", .unknown(reason: "timeout")),
                          op(3, "x", .failed(status: 403, code: "not_authorized")), op(4, "y", nil)]
    static func kinds(_ report: Checker.Report) -> [String] { report.anomalies.map(\.kind) }

    @Test func aCleanRunIsAccepted() {
        let r = Checker().check(Self.history, ledgers: ["n1", "n2", "n3"].map { Self.ledger($0) }, recoveredAfter: 800)
        #expect(r.ok, "\(r.anomalies)")
        #expect(r.operations == 5 && r.acknowledged == 2 && r.failed == 1 && r.unknown == 2 && r.lost == 0)
    }

    @Test func aShorterChainThatIsAPrefixIsAccepted() {
        let behind = Self.ledger("n3", blocks: ["b1", "b2"], leaves: ["e0", "e1"])
        let r = Checker().check(Self.history, ledgers: [Self.ledger("n1"), Self.ledger("n2"), behind], recoveredAfter: 0)
        #expect(r.ok, "\(r.anomalies)")
    }

    @Test func anAcknowledgedEnvelopeMissingFromOneLedgerIsLost() {
        let missing = Self.ledger("n2", leaves: ["e0", "e2"])
        let r = Checker().check(Self.history, ledgers: [Self.ledger("n1"), missing], recoveredAfter: 0)
        #expect(Self.kinds(r) == ["lost"] && r.lost == 1)
        #expect(r.anomalies[0].detail.contains("op 1") && r.anomalies[0].detail.contains("n2"))
    }

    @Test func anAcknowledgedEnvelopeAtAnotherLeafIsFlagged() {
        let moved = Self.ledger("n1", leaves: ["e1", "e0", "e2"])
        let r = Checker().check(Self.history, ledgers: [moved], recoveredAfter: 0)
        #expect(Self.kinds(r) == ["wrong_leaf", "wrong_leaf"])
    }

    @Test func anEnvelopeTwiceIsFlaggedAcknowledgedOrNot() {
        let twice = Self.ledger("n1", leaves: ["e0", "e1", "e2", "e1", "e2"])
        let r = Checker().check(Self.history, ledgers: [twice], recoveredAfter: 0)
        #expect(Self.kinds(r) == ["duplicate", "duplicate"])
    }

    @Test func aForkedChainIsFlagged() {
        let forked = Self.ledger("n2", blocks: ["b1", "b2x"], leaves: ["e0", "e1"])
        let r = Checker().check(Self.history, ledgers: [Self.ledger("n1"), forked], recoveredAfter: 0)
        #expect(Self.kinds(r) == ["fork"])
        #expect(r.anomalies[0].detail.contains("height 2"))
    }

    @Test func twoHoldersAtOneSequenceAreFlagged() {
        let a = LedgerSnapshot.Holding(ticket: "T-1", sequence: 1, holder: "alice")
        let b = LedgerSnapshot.Holding(ticket: "T-1", sequence: 1, holder: "bob")
        let r = Checker().check(Self.history, ledgers: [Self.ledger("n1", holdings: [a]), Self.ledger("n2", holdings: [b])],
                                recoveredAfter: 0)
        #expect(Self.kinds(r) == ["two_holders"])
        let same = Checker().check(Self.history, ledgers: [Self.ledger("n1", holdings: [a]), Self.ledger("n2", holdings: [a])],
                                   recoveredAfter: 0)
        #expect(same.ok)
    }

    @Test func aFailedVerifyAStateMismatchAndASlowRecoveryAreFlagged() {
        var bad = Self.ledger("n1")
        bad.verifyFailure = "height 2: tree root mismatch"
        bad.stateMismatches = ["T-1"]
        let r = Checker(recoveryBound: 5_000).check(Self.history, ledgers: [bad], recoveredAfter: 6_000)
        #expect(Self.kinds(r) == ["verify_failed", "state_mismatch", "not_serving"])
        #expect(Self.kinds(Checker().check([], ledgers: [], recoveredAfter: nil)) == ["not_serving"])
    }

    @Test func aHistoryRoundTripsThroughItsFile() throws {
        let history = History(Self.history)
        #expect(try History.read(jsonLines: history.jsonLines()) == Self.history)
    }
}
