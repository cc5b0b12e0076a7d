public import TalonProtocol
/// Raft as a pure state machine (after etcd's raft library): no clocks, sockets, disk or
/// randomness of its own. The driver calls `tick()`, `step(_:)`, `propose(_:)` and
/// `readIndex(_:)`, then drains `ready()` and calls `advance(_:)` (see `Ready` for the
/// order). A node acknowledges nothing before it is saved: its own log counts toward a
/// commit only after `advance`, and committed entries are handed out only once saved here.
public final class Raft {
    let config: RaftConfig
    let quorum: Int
    var log: RaftLog
    var rng: SplitMix64

    public var id: NodeID { config.id }
    /// True while this member leads (what `status.role` says, without building the status).
    public var isLeader: Bool { role == .leader }
    /// The commit index (what `status.commit` says, without building the status).
    public var commitIndex: UInt64 { log.committed }
    var term: UInt64
    var vote: NodeID?
    var role: Role = .follower
    var leader: NodeID?
    /// The index of the no-op this member appended when it last became leader.
    var termStart: UInt64 = 0

    var electionElapsed = 0
    var heartbeatElapsed = 0
    var randomizedElectionTimeout = 0
    /// Votes received in the current (pre-)campaign: true granted, false rejected.
    var votes: [NodeID: Bool] = [:]
    /// The leader's view of every member (itself included: `match` is its saved last index).
    var progress: [NodeID: Progress] = [:]
    /// The member a leader is handing over to.
    var transferee: NodeID?
    /// ReadIndex requests waiting for a quorum of heartbeat acknowledgements, oldest first.
    var pendingReads: [PendingRead] = []
    /// ReadIndex requests that arrived before this leader committed an entry of its term.
    var deferredReads: [(context: [UInt8], from: NodeID)] = []

    var messages: [Message] = []
    var readStates: [ReadState] = []
    var savedHardState: HardState

    /// Bytes of committed entries handed out in one `Ready`.
    static let maxApplyBytes = 64 << 20

    struct PendingRead {
        var index: UInt64
        var context: [UInt8]
        var from: NodeID
        var acks: Set<NodeID>
    }

    /// Starts (or restarts) a node on `storage`, as a follower of no one.
    /// - Throws: `TalonError(.raftConfig)`, `TalonError(.raftStorage)`.
    public init(config: RaftConfig, storage: any RaftStorage) throws(TalonError) {
        guard config.members.contains(config.id), Set(config.members).count == config.members.count else {
            throw TalonError(.raftConfig, "members must list this node once and no member twice")
        }
        guard config.electionTicks > config.heartbeatTicks, config.heartbeatTicks > 0 else {
            throw TalonError(.raftConfig, "need 0 < heartbeat ticks < election ticks")
        }
        guard config.maxInflight > 0, config.maxMessageBytes > 0 else {
            throw TalonError(.raftConfig, "max inflight and message bytes must be positive")
        }
        self.config = config
        quorum = config.members.count / 2 + 1
        let hs = try storage.hardState()
        savedHardState = hs
        term = hs.term
        vote = hs.vote
        log = try RaftLog(storage: storage, committed: hs.commit, applied: config.applied)
        rng = SplitMix64(seed: config.seed ^ config.id &* 0x9E37_79B9_7F4A_7C15)
        resetElectionTimeout()
    }

    // MARK: - Driver API

    /// Advances logical time by one tick.
    public func tick() {
        if role == .leader { tickLeader() } else { tickElection() }
    }

    /// Proposes `data` for the log. Returns the entry's term and index: the proposal is
    /// committed when an entry at that index with that term is handed out in `committed`.
    /// - Throws: `TalonError(.notLeader)`, `.transferring`, `.proposalTooLarge`.
    @discardableResult
    public func propose(_ data: [UInt8]) throws(TalonError) -> (term: UInt64, index: UInt64) {
        guard role == .leader else {
            throw TalonError(.notLeader, leader.map { "this node is not the leader; node \($0) is" } ?? "no leader is known")
        }
        guard transferee == nil else { throw TalonError(.leaderTransferring) }
        guard data.count <= config.maxEntryBytes else {
            throw TalonError(.proposalTooLarge, "proposal of \(data.count) bytes exceeds \(config.maxEntryBytes)")
        }
        let index = log.lastIndex + 1
        log.append([Entry(term: term, index: index, data: data)])
        broadcastAppend()
        return (term, index)
    }

    /// Asks for a linearizable read point. A `ReadState` carrying `context` appears in a later
    /// `Ready` once a quorum confirmed this node's leader is still leading; contexts must be
    /// unique among outstanding reads.
    /// - Throws: `TalonError(.notLeader)` when no leader is known.
    public func readIndex(_ context: [UInt8]) throws(TalonError) {
        if role == .leader {
            handleReadIndex(context: context, from: id)
        } else if let leader {
            send(Message(kind: .readIndex, from: id, to: leader, term: term, context: context))
        } else {
            throw TalonError(.notLeader, "no leader is known to serve a read")
        }
    }

    /// Hands leadership to `member` once its log has caught up; proposals are refused until
    /// the transfer completes or times out after an election timeout.
    public func transferLeadership(to member: NodeID) {
        guard role == .leader, member != id, config.members.contains(member), transferee != member else { return }
        transferee = member
        electionElapsed = 0
        if progress[member]?.match == log.lastIndex {
            send(Message(kind: .timeoutNow, from: id, to: member, term: term))
        } else {
            sendAppend(to: member)
        }
    }

    /// True when `ready()` has something to persist, send, apply or release.
    public var hasReady: Bool {
        !messages.isEmpty || !log.unstable.isEmpty || !readStates.isEmpty || hardState != savedHardState
            || log.hasNextCommitted
    }

    /// What to do next; call `advance` with it once done, before any other call.
    /// - Throws: `TalonError(.raftStorage)` when saved entries cannot be read back.
    public func ready() throws(TalonError) -> Ready {
        let hs = hardState
        return Ready(hardState: hs == savedHardState ? nil : hs, entries: log.unstable, messages: messages,
                     committed: try log.nextCommitted(maxBytes: Self.maxApplyBytes), readStates: readStates,
                     role: role, leader: leader)
    }

    /// Records that `ready` was saved, sent and applied.
    public func advance(_ ready: Ready) {
        if let hs = ready.hardState { savedHardState = hs }
        if let last = ready.entries.last { log.stableTo(last.index) }
        if let last = ready.committed.last { log.applied = max(log.applied, last.index) }
        messages.removeFirst(min(ready.messages.count, messages.count))
        readStates.removeFirst(min(ready.readStates.count, readStates.count))
        if role == .leader, !ready.entries.isEmpty {
            progress[id]?.match = log.stableIndex
            progress[id]?.next = log.stableIndex + 1
            if maybeCommit() { broadcastAppend() }
        }
    }

    /// Role, term, leader, indexes and (on a leader) followers' progress.
    public var status: RaftStatus {
        RaftStatus(id: id, role: role, term: term, vote: vote, leader: leader, commit: log.committed,
                   applied: log.applied, lastIndex: log.lastIndex,
                   progress: role == .leader ? progress.mapValues { ($0.match, $0.next) } : [:],
                   termStart: role == .leader ? termStart : nil)
    }

    var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    // MARK: - Roles

    func send(_ m: Message) { messages.append(m) }

    var peers: [NodeID] { config.members.filter { $0 != id } }

    func resetElectionTimeout() {
        randomizedElectionTimeout = config.electionTicks + Int(rng.next() % UInt64(config.electionTicks))
    }

    /// Clears per-term state; a new term also clears the vote.
    func reset(term newTerm: UInt64) {
        if term != newTerm {
            term = newTerm
            vote = nil
        }
        leader = nil
        electionElapsed = 0
        heartbeatElapsed = 0
        resetElectionTimeout()
        votes = [:]
        transferee = nil
        pendingReads = []
        deferredReads = []
        progress = [:]
    }

    func becomeFollower(term newTerm: UInt64, leader newLeader: NodeID?) {
        reset(term: newTerm)
        role = .follower
        leader = newLeader
    }

    func becomePreCandidate() {
        // Neither the term nor the vote changes: a pre-vote must not disturb anyone.
        votes = [:]
        leader = nil
        role = .preCandidate
    }

    func becomeCandidate() {
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    func becomeLeader() {
        reset(term: term)
        role = .leader
        leader = id
        for member in config.members {
            progress[member] = Progress(next: log.lastIndex + 1)
        }
        progress[id]?.match = log.stableIndex
        // The no-op commits this term's first entry, and with it everything before.
        termStart = log.lastIndex + 1
        log.append([Entry(term: term, index: termStart, kind: .noop)])
        broadcastAppend()
    }
}
