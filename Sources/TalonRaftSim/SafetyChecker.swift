@_spi(Testing) public import TalonRaft
/// A property the checker found broken (the run adds seed, step and trace).
@_spi(Testing) public struct SafetyViolation: Error {
    /// Which property broke.
    public var kind: SimViolation.Kind
    /// What was seen.
    public var message: String
    public init(_ kind: SimViolation.Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}

/// Checks Raft's safety properties incrementally, from what the driver sees after each step:
/// saves, applied entries, released reads and each node's status. Logs are mirrored as terms
/// plus a running hash of each prefix, so comparing two prefixes costs O(1).
@_spi(Testing) public struct SafetyChecker {
    private struct NodeView {
        /// The persisted log: term and prefix hash of each index (position `index - 1`).
        var terms: [UInt64] = []
        var prefix: [UInt64] = []
        /// Entries applied by the current incarnation's state machine.
        var applied: UInt64 = 0
        /// Commit index reported by the current incarnation.
        var commit: UInt64 = 0
        /// Commit index of the last persisted hard state.
        var persistedCommit: UInt64 = 0
        var role: Role = .follower
        var term: UInt64 = 0
    }

    private var views: [NodeView]
    /// The one committed history, as first applied by any node.
    public private(set) var history: [Entry] = []
    private var historyPrefix: [UInt64] = []
    /// For each history index, the lowest term a node was in when it applied that entry: an
    /// upper bound of the term the entry was committed in.
    private var commitTerms: [UInt64] = []
    /// The leader of each term seen so far.
    private var leaders: [UInt64: NodeID] = [:]
    /// Acknowledged proposals by index.
    private var acknowledged: [UInt64: Entry] = [:]
    /// The committed history's length when each read was asked.
    private var readFloors: [[UInt8]: UInt64] = [:]
    private(set) var elections = 0
    private(set) var maxTerm: UInt64 = 0

    /// A checker for a cluster of members 1…`nodes`.
    public init(nodes: Int) { views = Array(repeating: NodeView(), count: nodes) }

    // MARK: - Persisted state

    /// A node saved `hardState` and `entries` (replacing its log from `entries[0].index`).
    public mutating func saved(_ node: NodeID, hardState: HardState?, entries: [Entry]) throws(SafetyViolation) {
        let n = Int(node - 1)
        if let hs = hardState {
            if hs.commit < views[n].persistedCommit {
                throw SafetyViolation(.commitRegression, "node \(node) persisted commit \(hs.commit) after \(views[n].persistedCommit)")
            }
            views[n].persistedCommit = hs.commit
            maxTerm = max(maxTerm, hs.term)
        }
        guard let first = entries.first?.index else { return }
        var v = views[n]
        let keep = Int(first - 1)
        guard keep <= v.terms.count else {
            throw SafetyViolation(.raftError, "node \(node) saved entries from \(first) after a log ending at \(v.terms.count)")
        }
        v.terms.removeSubrange(keep...)
        v.prefix.removeSubrange(keep...)
        for e in entries {
            v.prefix.append(Self.chain(v.prefix.last ?? 0, e))
            v.terms.append(e.term)
        }
        views[n] = v
        try checkLogMatching(node, from: first)
    }

    /// Log matching between `node`'s log, changed from index `from` on, and every other log.
    private func checkLogMatching(_ node: NodeID, from: UInt64) throws(SafetyViolation) {
        let a = views[Int(node - 1)]
        for (j, b) in views.enumerated() where j != Int(node - 1) {
            let hi = min(a.terms.count, b.terms.count)
            var i = Int(from - 1)
            while i < hi {
                if a.terms[i] == b.terms[i] && a.prefix[i] != b.prefix[i] {
                    let first = (0...i).first { a.prefix[$0] != b.prefix[$0] } ?? i
                    throw SafetyViolation(.logMatching, """
                        nodes \(node) and \(j + 1) both hold an entry \(i + 1)@\(a.terms[i]) but their logs differ at \
                        \(first + 1) (\(first + 1)@\(a.terms[first]) vs \(first + 1)@\(b.terms[first]))
                        """)
                }
                i += 1
            }
        }
    }

    /// The checker's copy of `node`'s log must be what its storage holds (a check of the
    /// checker and of the driver, run at the end).
    public func checkMirror(_ node: NodeID, storage log: [Entry]) throws(SafetyViolation) {
        let v = views[Int(node - 1)]
        var prefix: UInt64 = 0
        for (i, e) in log.enumerated() {
            prefix = Self.chain(prefix, e)
            guard i < v.prefix.count, v.prefix[i] == prefix else {
                throw SafetyViolation(.raftError, "node \(node)'s storage differs from what it was asked to save at \(e)")
            }
        }
        guard v.prefix.count == log.count else {
            throw SafetyViolation(.raftError, "node \(node)'s storage holds \(log.count) entries, \(v.prefix.count) were saved")
        }
    }

    // MARK: - State machines

    /// A node's state machine applied `e` while in `term` (its applied sequence restarts at 1
    /// after a crash).
    public mutating func applied(_ node: NodeID, _ e: Entry, term: UInt64) throws(SafetyViolation) {
        let n = Int(node - 1)
        let expected = views[n].applied + 1
        guard e.index == expected else {
            throw SafetyViolation(.stateMachineSafety, "node \(node) applied \(e) but its next index is \(expected)")
        }
        if e.index <= UInt64(history.count) {
            let h = history[Int(e.index - 1)]
            guard h == e else {
                throw SafetyViolation(.stateMachineSafety, "node \(node) applied \(Self.show(e)) where the history has \(Self.show(h))")
            }
            commitTerms[Int(e.index - 1)] = min(commitTerms[Int(e.index - 1)], term)
        } else {
            history.append(e)
            historyPrefix.append(Self.chain(historyPrefix.last ?? 0, e))
            commitTerms.append(term)
        }
        views[n].applied = e.index
    }

    /// The proposer applied its proposal where `propose()` placed it.
    public mutating func acknowledge(_ e: Entry) throws(SafetyViolation) {
        guard e.index <= UInt64(history.count), history[Int(e.index - 1)] == e else {
            throw SafetyViolation(.acknowledgedLost, "acknowledged \(Self.show(e)) is not in the history")
        }
        acknowledged[e.index] = e
    }

    /// Every acknowledged proposal must be in `node`'s persisted log (called on a settled leader).
    public func checkAcknowledged(in node: NodeID, log: [Entry]) throws(SafetyViolation) {
        for index in acknowledged.keys.sorted() {
            guard let e = acknowledged[index] else { continue }
            guard index <= UInt64(log.count), log[Int(index - 1)] == e else {
                let have = index <= UInt64(log.count) ? Self.show(log[Int(index - 1)]) : "nothing"
                throw SafetyViolation(.acknowledgedLost, "acknowledged \(Self.show(e)) lost: leader \(node) has \(have) there")
            }
        }
    }

    // MARK: - Reads

    /// A client asked for a read with `context`: it must see everything committed so far.
    public mutating func readAsked(_ context: [UInt8]) { readFloors[context] = UInt64(history.count) }

    /// A node released a read: its index must cover what was committed when it was asked.
    public func readReleased(_ node: NodeID, _ rs: ReadState) throws(SafetyViolation) {
        guard let floor = readFloors[rs.context] else {
            throw SafetyViolation(.readSafety, "node \(node) released a read nobody asked for")
        }
        if rs.index < floor {
            throw SafetyViolation(.readSafety, """
                read \(SimTraceEvent.text(rs.context)) released at \(node) with index \(rs.index), but \(floor) was \
                known committed when it was asked
                """)
        }
    }

    // MARK: - Roles and commit

    /// A node restarted: a new state machine and a new in-memory commit index.
    public mutating func restarted(_ node: NodeID) {
        views[Int(node - 1)].applied = 0
        views[Int(node - 1)].commit = 0
        views[Int(node - 1)].role = .follower
    }

    /// Checks a node's status after a step. Returns true when it just became leader.
    @discardableResult
    public mutating func observe(_ id: NodeID, role: Role, term: UInt64, commit: UInt64) throws(SafetyViolation) -> Bool {
        let s = (id: id, role: role, term: term, commit: commit)
        let n = Int(s.id - 1)
        var v = views[n]
        defer { views[n] = v }
        maxTerm = max(maxTerm, s.term)
        if s.commit < v.commit {
            throw SafetyViolation(.commitRegression, "node \(s.id) commit moved back from \(v.commit) to \(s.commit)")
        }
        v.commit = s.commit
        let newLeader = s.role == .leader && (v.role != .leader || v.term != s.term)
        v.role = s.role
        v.term = s.term
        guard newLeader else { return false }
        if let other = leaders[s.term], other != s.id {
            throw SafetyViolation(.electionSafety, "nodes \(other) and \(s.id) both leaders in term \(s.term)")
        }
        if leaders[s.term] == nil { elections += 1 }
        leaders[s.term] = s.id
        // Leader completeness: every entry committed in an earlier term is in the new leader's
        // log. Commit is prefix-closed, so it is enough to find the last such entry.
        guard let last = commitTerms.lastIndex(where: { $0 < s.term }) else { return true }
        if v.terms.count <= last || v.prefix[last] != historyPrefix[last] {
            let missing = (0...last).first { $0 >= v.terms.count || v.prefix[$0] != historyPrefix[$0] } ?? last
            let have = missing < v.terms.count ? "\(missing + 1)@\(v.terms[missing])" : "nothing"
            throw SafetyViolation(.leaderCompleteness, """
                node \(s.id) became leader of term \(s.term) without \(Self.show(history[missing])), committed by term \
                \(commitTerms[last]) (it has \(have) there)
                """)
        }
        return true
    }

    /// Leader completeness for every node that could still become leader: a node lacking an
    /// entry known committed must not have a log at least as up to date as a quorum's (in
    /// correct Raft the quorum that committed it holds it with a newer log). Catches an unsafe
    /// commit when it happens, not only once the unlucky election follows.
    public func checkCommittedIsDurable() throws(SafetyViolation) {
        let h = history.count
        guard h > 0 else { return }
        let quorum = views.count / 2 + 1
        for (n, v) in views.enumerated() where v.terms.count < h || v.prefix[h - 1] != historyPrefix[h - 1] {
            let lastTerm = v.terms.last ?? 0, lastIndex = v.terms.count
            let voters = views.indices.filter { m in
                let t = views[m].terms.last ?? 0
                return lastTerm > t || (lastTerm == t && lastIndex >= views[m].terms.count)
            }
            guard voters.count >= quorum else { continue }
            let missing = (0..<h).first { $0 >= v.terms.count || v.prefix[$0] != historyPrefix[$0] } ?? h - 1
            throw SafetyViolation(.leaderCompleteness, """
                node \(n + 1) lacks committed \(Self.show(history[missing])) yet could be elected: its log (last \
                \(lastIndex)@\(lastTerm)) is at least as up to date as those of nodes \(voters.map { String($0 + 1) }.joined(separator: ",")), a quorum
                """)
        }
    }

    // MARK: - Hashing

    private static func chain(_ prev: UInt64, _ e: Entry) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in e.data { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        h = mix(h ^ e.term &* 0x9E37_79B9_7F4A_7C15)
        h = mix(h ^ e.index ^ UInt64(e.kind.rawValue) << 56)
        return mix(prev &+ h)
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func show(_ e: Entry) -> String {
        e.kind == .noop ? e.description : "\(e) \"\(SimTraceEvent.text(e.data))\""
    }
}
