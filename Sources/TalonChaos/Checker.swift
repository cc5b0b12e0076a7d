/// Something a run's history and ledgers show that Talon promises never happens.
public struct Anomaly: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `lost` (an acknowledged envelope missing from a ledger), `wrong_leaf`, `duplicate`,
    /// `fork` (a chain that is not a prefix of the longest), `verify_failed`, `two_holders`,
    /// `state_mismatch`, `double_redeem`, `not_serving` (no write succeeded within the bound
    /// after the faults), and the reads' `stale_read`, `future_read`, `invented_value` and
    /// `write_order` (`ReadCheck`).
    public var kind: String
    public var detail: String
    public init(_ kind: String, _ detail: String) { self.kind = kind; self.detail = detail }
    public var description: String { "\(kind): \(detail)" }
}

/// Checks a run: the clients' history against every member's final ledger.
public struct Checker: Sendable {
    /// How long after the last fault heals a write must succeed.
    public var recoveryBound: Int

    public init(recoveryBound: Int = 20_000) { self.recoveryBound = recoveryBound }

    /// How the operations of one kind fared.
    public struct Counts: Sendable, Hashable, Codable {
        /// Sent.
        public var operations = 0
        /// Writes: acknowledged with a receipt; reads: answered with a value.
        public var acknowledged = 0
        /// Writes acknowledged with result `ok` (the rest were recorded as rejected).
        public var ok = 0
        public var failed = 0
        public var unknown = 0
        /// Failures by HTTP status and problem code (`409 listing_not_found`).
        public var failures: [String: Int] = [:]
        /// Unknown outcomes by reason (`no answer`, `503 no_leader`).
        public var unknowns: [String: Int] = [:]
        public init() {}
    }

    /// What the check found.
    public struct Report: Sendable, Hashable, Codable {
        /// Every operation, writes and reads.
        public var operations: Int
        /// Reads among them; the next three count writes only.
        public var reads: Int
        public var acknowledged: Int
        public var failed: Int
        public var unknown: Int
        /// By kind: `issue`, `transfer`, `list`, `buy`, `redeem`, `setup`, and
        /// `read linearizable`, `read local`.
        public var kinds: [String: Counts]
        /// Acknowledged envelopes missing from at least one ledger.
        public var lost: Int
        public var anomalies: [Anomaly]
        public var ok: Bool { anomalies.isEmpty }
    }

    /// Checks `history` against `ledgers`. `recoveredAfter` is the milliseconds from the last
    /// heal to the first write that succeeded after it (nil: none did).
    public func check(_ history: [Operation], ledgers: [LedgerSnapshot], recoveredAfter: Int?) -> Report {
        var anomalies: [Anomaly] = []
        var lost = Set<String>()

        // Where each envelope sits, per node.
        let positions: [[String: [UInt64]]] = ledgers.map { ledger in
            var at: [String: [UInt64]] = [:]
            for (leaf, hash) in ledger.leaves.enumerated() { at[hash, default: []].append(UInt64(leaf)) }
            return at
        }
        // No envelope twice in any ledger, acknowledged or not.
        for (ledger, at) in zip(ledgers, positions) {
            for (hash, leaves) in at.sorted(by: { $0.key < $1.key }) where leaves.count > 1 {
                anomalies.append(Anomaly("duplicate", "\(ledger.node) holds envelope \(hash.prefix(16)) at leaves \(leaves)"))
            }
        }
        // Every acknowledged envelope at its leaf, in every ledger.
        for op in history {
            guard let receipt = op.receipt else { continue }
            for (ledger, at) in zip(ledgers, positions) {
                guard let leaves = at[op.envelope] else {
                    lost.insert(op.envelope)
                    anomalies.append(Anomaly("lost", "op \(op.id) (\(op.node), acknowledged at leaf \(receipt.leaf)) is not in \(ledger.node)"))
                    continue
                }
                if !leaves.contains(receipt.leaf) {
                    anomalies.append(Anomaly("wrong_leaf", "op \(op.id) was acknowledged at leaf \(receipt.leaf); \(ledger.node) has it at \(leaves)"))
                }
            }
        }
        // Every chain a prefix of the longest.
        if let longest = ledgers.max(by: { $0.blocks.count < $1.blocks.count }) {
            for ledger in ledgers where ledger.node != longest.node {
                if let h = ledger.blocks.indices.first(where: { ledger.blocks[$0] != longest.blocks[$0] }) {
                    anomalies.append(Anomaly("fork", "\(ledger.node) and \(longest.node) differ at height \(h + 1)"))
                }
            }
        }
        for ledger in ledgers {
            if let failure = ledger.verifyFailure { anomalies.append(Anomaly("verify_failed", "\(ledger.node): \(failure)")) }
            for ticket in ledger.stateMismatches {
                anomalies.append(Anomaly("state_mismatch", "\(ledger.node): ticket \(ticket)'s state is not what its records give"))
            }
        }
        // One holder per ticket and sequence, across every record of every ledger.
        var holders: [String: [UInt64: Set<String>]] = [:]
        for ledger in ledgers {
            for h in ledger.holdings { holders[h.ticket, default: [:]][h.sequence, default: []].insert(h.holder) }
        }
        for (ticket, bySequence) in holders.sorted(by: { $0.key < $1.key }) {
            for (sequence, who) in bySequence.sorted(by: { $0.key < $1.key }) where who.count > 1 {
                anomalies.append(Anomaly("two_holders", "ticket \(ticket) has \(who.count) holders at sequence \(sequence)"))
            }
        }
        anomalies += doubleRedeems(history, ledgers: ledgers)
        if let longest = ledgers.max(by: { $0.blocks.count < $1.blocks.count }) {
            anomalies += ReadCheck(history: history, versions: longest.versions).anomalies()
        }
        if let after = recoveredAfter {
            if after > recoveryBound {
                anomalies.append(Anomaly("not_serving", "the first write after the faults succeeded \(after) ms after they healed (bound \(recoveryBound) ms)"))
            }
        } else {
            anomalies.append(Anomaly("not_serving", "no write succeeded after the faults healed"))
        }

        var kinds: [String: Counts] = [:]
        for op in history {
            let kind = op.isRead ? "read \(op.consistency ?? "local")" : op.kind
            var c = kinds[kind] ?? Counts()
            c.operations += 1
            switch op.outcome {
            case .acknowledged(_, _, let result):
                c.acknowledged += 1
                if result == "ok" { c.ok += 1 }
            case .read: c.acknowledged += 1
            case .failed(let status, let code):
                c.failed += 1
                c.failures["\(status) \(code)", default: 0] += 1
            case .unknown(let reason):
                c.unknown += 1
                c.unknowns[reason, default: 0] += 1
            case nil:
                c.unknown += 1
                c.unknowns["never completed", default: 0] += 1
            }
            kinds[kind] = c
        }
        let writes = kinds.filter { !$0.key.hasPrefix("read") }.values
        return Report(operations: history.count, reads: history.count { $0.isRead },
                      acknowledged: writes.reduce(0) { $0 + $1.acknowledged }, failed: writes.reduce(0) { $0 + $1.failed },
                      unknown: writes.reduce(0) { $0 + $1.unknown }, kinds: kinds, lost: lost.count, anomalies: anomalies)
    }

    /// At most one redeem of a ticket succeeds: acknowledged with `ok` to the clients, and
    /// recorded `ok` in each ledger.
    private func doubleRedeems(_ history: [Operation], ledgers: [LedgerSnapshot]) -> [Anomaly] {
        var found: [Anomaly] = []
        var told: [String: Set<String>] = [:]
        for op in history where op.kind == "redeem" && op.receipt?.result == "ok" { told[op.ticket, default: []].insert(op.envelope) }
        for (ticket, envelopes) in told.sorted(by: { $0.key < $1.key }) where envelopes.count > 1 {
            found.append(Anomaly("double_redeem", "ticket \(ticket): \(envelopes.count) redeems were acknowledged ok to clients"))
        }
        for ledger in ledgers {
            var redeemed: [String: Int] = [:]
            for v in ledger.versions where v.kind == "redeem" { redeemed[v.ticket, default: 0] += 1 }
            for (ticket, count) in redeemed.sorted(by: { $0.key < $1.key }) where count > 1 {
                found.append(Anomaly("double_redeem", "\(ledger.node): ticket \(ticket) has \(count) redeems recorded ok"))
            }
        }
        return found
    }
}
