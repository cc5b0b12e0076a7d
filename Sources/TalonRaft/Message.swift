/// A message between two Raft nodes. Fields are used per kind, as in etcd's raftpb.
public struct Message: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: UInt8, Sendable, Hashable, CaseIterable {
        /// Would you vote for me at `term`? (`index`/`logTerm`: my last entry.) Changes no term.
        case preVote = 1
        case preVoteResponse = 2
        /// Vote for me at `term`. `context == Message.transferContext` when a leader handed over.
        case vote = 3
        case voteResponse = 4
        /// Entries after (`index`, `logTerm`), and the leader's `commit`.
        case append = 5
        /// `reject == false`: my log matches through `index`. Otherwise `index` is the rejected
        /// probe and (`rejectHint`, `logTerm`) where the leader should look next.
        case appendResponse = 6
        /// Leader liveness, `commit` (capped at the follower's match) and a read `context`.
        case heartbeat = 7
        case heartbeatResponse = 8
        /// Campaign now, skipping pre-vote and the leader lease (leader transfer).
        case timeoutNow = 9
        /// A follower asks the leader for a read index for `context`.
        case readIndex = 10
        /// The leader's answer: `index` is the read index for `context`.
        case readIndexResponse = 11
    }

    public var kind: Kind
    public var from: NodeID
    public var to: NodeID
    public var term: UInt64
    public var logTerm: UInt64
    public var index: UInt64
    public var entries: [Entry]
    public var commit: UInt64
    public var reject: Bool
    public var rejectHint: UInt64
    public var context: [UInt8]

    public init(kind: Kind, from: NodeID, to: NodeID, term: UInt64, logTerm: UInt64 = 0, index: UInt64 = 0,
                entries: [Entry] = [], commit: UInt64 = 0, reject: Bool = false, rejectHint: UInt64 = 0,
                context: [UInt8] = []) {
        self.kind = kind
        self.from = from
        self.to = to
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.entries = entries
        self.commit = commit
        self.reject = reject
        self.rejectHint = rejectHint
        self.context = context
    }

    /// The `context` of a vote a leader asked for by handing over leadership.
    public static let transferContext: [UInt8] = Array("transfer".utf8)

    public var description: String {
        var s = "\(kind) \(from)→\(to) t\(term)"
        switch kind {
        case .append: s += " prev \(index)@\(logTerm) [\(entries.map(\.description).joined(separator: " "))] commit \(commit)"
        case .appendResponse: s += reject ? " reject \(index) hint \(rejectHint)@\(logTerm)" : " match \(index)"
        case .vote, .preVote: s += " last \(index)@\(logTerm)"
        case .voteResponse, .preVoteResponse: s += reject ? " reject" : " grant"
        case .heartbeat: s += " commit \(commit)"
        case .readIndexResponse: s += " index \(index)"
        default: break
        }
        return s
    }
}

extension Message {
    /// `messages` without the appends that carry no entries and are followed, in the list, by
    /// an append to the same member with the same term, the same previous entry and at least
    /// the same commit index: that one tells the follower everything the empty one does. A
    /// leader that commits and proposes in one run sends each follower one append, not two.
    public static func coalesced(_ messages: [Message]) -> [Message] {
        var later: [NodeID: [Message]] = [:]
        var kept: [Message] = []
        kept.reserveCapacity(messages.count)
        for m in messages.reversed() {
            if m.kind == .append, m.entries.isEmpty,
               later[m.to]?.contains(where: { $0.term == m.term && $0.logTerm == m.logTerm && $0.index == m.index && $0.commit >= m.commit }) == true {
                continue
            }
            if m.kind == .append { later[m.to, default: []].append(m) }
            kept.append(m)
        }
        return kept.reversed()
    }
}
