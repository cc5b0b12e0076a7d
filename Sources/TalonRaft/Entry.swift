/// One slot of the replicated log: the term it was proposed in, its position, and opaque data.
public struct Entry: Sendable, Hashable, CustomStringConvertible {
    /// What an entry carries.
    public enum Kind: UInt8, Sendable, Hashable {
        /// Application data (for Talon, a batch of envelopes).
        case normal = 0
        /// The empty entry a new leader appends to commit its term; applies as nothing.
        case noop = 1
    }

    public var term: UInt64
    public var index: UInt64
    public var kind: Kind
    public var data: [UInt8]

    public init(term: UInt64, index: UInt64, kind: Kind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    /// Bytes counted against message size limits.
    public var size: Int { data.count + 24 }

    public var description: String { "\(index)@\(term)\(kind == .noop ? "·noop" : "")" }
}

/// What must be on disk before any message that depends on it is sent: the current term,
/// the vote cast in it, and the highest index known committed.
public struct HardState: Sendable, Hashable, CustomStringConvertible {
    public var term: UInt64
    public var vote: NodeID?
    public var commit: UInt64

    public init(term: UInt64 = 0, vote: NodeID? = nil, commit: UInt64 = 0) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public var description: String { "term \(term) vote \(vote.map(String.init) ?? "-") commit \(commit)" }
}

/// A cluster member's id, as listed in the genesis.
public typealias NodeID = UInt64

/// A linearizable read released by ReadIndex: once the state machine has applied `index`,
/// a read for `context` sees every write acknowledged before the read was asked.
public struct ReadState: Sendable, Hashable {
    public var index: UInt64
    public var context: [UInt8]

    public init(index: UInt64, context: [UInt8]) {
        self.index = index
        self.context = context
    }
}

/// A node's role.
public enum Role: String, Sendable, Hashable {
    case follower, preCandidate = "pre-candidate", candidate, leader
}
