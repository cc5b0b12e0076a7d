/// Something a run's history and ledgers show that Talon promises never happens.
public struct Anomaly: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `lost` (an acknowledged envelope missing from a ledger), `wrong_leaf`, `duplicate`,
    /// `fork` (a chain that is not a prefix of the longest), `verify_failed`, `two_holders`,
    /// `state_mismatch`, `not_serving` (no write succeeded within the bound after the faults).
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

    /// What the check found.
    public struct Report: Sendable, Hashable, Codable {
        public var operations: Int
        public var acknowledged: Int
        public var failed: Int
        public var unknown: Int
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
        if let after = recoveredAfter {
            if after > recoveryBound {
                anomalies.append(Anomaly("not_serving", "the first write after the faults succeeded \(after) ms after they healed (bound \(recoveryBound) ms)"))
            }
        } else {
            anomalies.append(Anomaly("not_serving", "no write succeeded after the faults healed"))
        }

        var acknowledged = 0, failed = 0, unknown = 0
        for op in history {
            switch op.outcome {
            case .acknowledged: acknowledged += 1
            case .failed: failed += 1
            case .unknown, nil: unknown += 1
            }
        }
        return Report(operations: history.count, acknowledged: acknowledged, failed: failed, unknown: unknown,
                      lost: lost.count, anomalies: anomalies)
    }
}
