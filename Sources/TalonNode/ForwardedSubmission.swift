import Synchronization
import TalonRaft

extension Node {
    /// A submission a follower forwarded to the leader it knows, waiting for the reply.
    ///
    /// A frame can be lost with the connection it went out on (a peer restarts, a link is
    /// cut and mended), and nothing would answer it until `requestTimeout`. So a forward
    /// unanswered for `firstRetry` ticks goes again, under the same request id, to the same
    /// leader, then after twice as long, up to `longestRetry`. Sending it again is safe: the
    /// leader answers one copy while the other is in progress (`ForwardsInProgress`) and the
    /// ledger never appends an envelope twice.
    struct ForwardedSubmission {
        /// Ticks before the first resend, and the longest wait between two.
        static let firstRetry = 5
        static let longestRetry = 40

        /// The member it went to.
        private(set) var leader: NodeID
        let waiting: Waiting
        private var ticksLeft = Self.firstRetry
        private var interval = Self.firstRetry

        init(to leader: NodeID, _ waiting: Waiting) {
            self.leader = leader
            self.waiting = waiting
        }

        /// The same submission sent to another leader: its retries start over.
        func redirected(to leader: NodeID) -> Self { Self(to: leader, waiting) }

        /// Counts `ticks`; true when the forward is due to go again (and the wait doubles).
        mutating func elapse(_ ticks: Int) -> Bool {
            ticksLeft -= ticks
            guard ticksLeft <= 0 else { return false }
            interval = min(interval * 2, Self.longestRetry)
            ticksLeft = interval
            return true
        }
    }
}

/// The forwards a leader is admitting or waiting to apply, by member and request id: a copy
/// of one of them that a follower sent again is dropped, since the first copy's answer is on
/// its way. Once answered, a copy that comes later is admitted again, and answered with the
/// envelopes' receipts.
final class ForwardsInProgress: Sendable {
    private struct Key: Hashable {
        let member: NodeID
        let request: UInt64
    }
    private let keys = Mutex<Set<Key>>([])

    /// True when request `request` of `member` was not in progress and now is.
    func begin(_ member: NodeID, _ request: UInt64) -> Bool {
        keys.withLock { $0.insert(Key(member: member, request: request)).inserted }
    }

    /// The request is answered.
    func end(_ member: NodeID, _ request: UInt64) {
        _ = keys.withLock { $0.remove(Key(member: member, request: request)) }
    }

    /// How many are in progress.
    var count: Int { keys.withLock { $0.count } }
}

/// The submissions a follower forwarded and waits on, by request id. Shared: the tasks that
/// submit forward directly, the peer connections answer directly (neither through the loop,
/// which saves two thread hops per forwarded submission), and the loop redirects them to a
/// new leader, sends them again and expires them.
final class ForwardedSubmissions: Sendable {
    private struct State {
        var entries: [UInt64: Node.ForwardedSubmission] = [:]
        /// Request ids start at a random point on every start, so a reply meant for an earlier
        /// run of this node never matches.
        var next = UInt64.random(in: 0...(UInt64.max >> 1))
        var closed = false
    }
    private let state = Mutex(State())

    /// Registers `waiting` as forwarded to `leader`; its request id, or nil once closed.
    func add(_ waiting: Node.Waiting, to leader: NodeID) -> UInt64? {
        state.withLock { s in
            guard !s.closed else { return nil }
            s.next += 1
            s.entries[s.next] = Node.ForwardedSubmission(to: leader, waiting)
            return s.next
        }
    }

    /// The submission `request` names, removed, when `member` is the one it went to (only
    /// that member answers it).
    func answered(_ request: UInt64, by member: NodeID) -> Node.Waiting? {
        state.withLock { s in
            guard let entry = s.entries[request], entry.leader == member else { return nil }
            s.entries[request] = nil
            return entry.waiting
        }
    }

    /// Runs `body` on the entries, under the lock.
    func update<R>(_ body: (inout [UInt64: Node.ForwardedSubmission]) -> R) -> R {
        state.withLock { body(&$0.entries) }
    }

    /// Removes every entry and returns their submissions; once `closing`, `add` refuses.
    func removeAll(closing: Bool) -> [Node.Waiting] {
        state.withLock { s in
            if closing { s.closed = true }
            defer { s.entries = [:] }
            return s.entries.values.map(\.waiting)
        }
    }

    var count: Int { state.withLock { $0.entries.count } }
}
