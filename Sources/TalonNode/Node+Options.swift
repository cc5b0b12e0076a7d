import TalonProtocol
public import TalonRaft

extension Node {
    /// Timings and batch limits.
    public struct Options: Sendable {
        /// One Raft tick (election timeouts are 10–20 ticks, heartbeats every tick).
        public var tick: Duration = .milliseconds(100)
        /// How long the leader waits for more submissions before proposing a batch that is
        /// not full.
        public var linger: Duration = .microseconds(500)
        /// Most envelopes in one entry (one block); at most `WriteLimits.batchEnvelopes`.
        public var maxBatchEnvelopes = WriteLimits.batchEnvelopes
        /// Most envelope bytes in one entry; at most `WriteLimits.batchBytes`.
        public var maxBatchBytes = WriteLimits.batchBytes
        /// Entries the leader keeps proposed but not yet applied; while that many are in
        /// flight, new submissions wait and join the next batch, so batches grow with load
        /// instead of each costing a round of syncs and messages. Two by default: with the
        /// answers given as soon as an entry applies (`NodeCore.Input.onApplied`), clients
        /// answered from one block are back in time for the one after next; one in flight
        /// makes fuller blocks but leaves the cores idle during each sync
        /// (docs/operations.md, "Answers ahead of the commit").
        public var maxInflightEntries = 2
        /// Whether a follower gathers the submissions its event loop reads in one tick into
        /// one forward to the leader (`GatheredForwards`); `--no-gather-forwards` sends each
        /// on its own.
        public var gatherForwards = true
        /// Whether the leader sends its appends before its own copy is saved, so followers
        /// write theirs meanwhile (Raft thesis §10.2.1; its copy counts only once saved). On
        /// by default, with two entries in flight (docs/operations.md, "Answers ahead of the
        /// commit"); `--no-appends-before-save` turns it off.
        public var appendsBeforeSave = true
        /// How long a submission or a linearizable read may wait.
        public var requestTimeout: Duration = .seconds(10)
        /// Envelopes submitted to this node and not yet answered; more are refused with
        /// `overloaded` (503) rather than queued without bound.
        public var maxWaitingEnvelopes = 200_000
        /// How long the loop may spend in one turn, or go without applying past a committed
        /// index, before `health()` reports it stalled (`/healthz` answers 503).
        public var stallTimeout: Duration = .seconds(10)
        /// Test seam: when false the loop counts no ticks from the clock, and Raft time moves
        /// only by `tick(_:)`, so a test decides when elections and heartbeats happen.
        var clockTicks = true
        /// Test seam: added to the wall clock this node stamps blocks with (`wallClock`);
        /// `talon node run --test-clock-offset-ms` in debug builds sets it.
        public var clockOffset: Duration = .zero
        /// Test seam: slept after each store sync (`Environment.Options.syncDelay`);
        /// `talon node run --test-sync-delay-ms` in debug builds sets it.
        public var syncDelay: Duration = .zero
        #if DEBUG
        /// A deliberate bug, for debug builds only (`talon node run --test-break stale-reads`):
        /// `linearizableBarrier` returns at once, so "linearizable" reads serve this member's
        /// local state without ReadIndex. `talon chaos` uses it to show that its checker
        /// catches stale reads; nothing else may set it.
        public var staleLinearizableReads = false
        #endif
        public init() {}

        /// `batch_too_large` when `envelopes` (`what`, for the message) exceed one entry's
        /// envelope or byte limit; nil when they fit. Costs no signature check.
        func overLimits(_ envelopes: [Envelope], _ what: String) -> TalonError? {
            let bytes = envelopes.reduce(0) { $0 + $1.bytes.count }
            guard envelopes.count > maxBatchEnvelopes || bytes > maxBatchBytes else { return nil }
            return TalonError(.batchTooLarge, "\(what) holds at most \(maxBatchEnvelopes) envelopes and \(maxBatchBytes) bytes")
        }
    }

    /// What `status` reports.
    public struct Status: Sendable {
        public var raft: RaftStatus
        /// Entries proposed and not yet applied, submissions waiting.
        public var inflightEntries: Int
        public var waitingSubmissions: Int
        /// Committed entries recorded as rejected because they are not batches.
        public var rejectedEntries: Int
        /// True from a write that found no space until a write succeeds again
        /// (Node+StoreFull.swift); meanwhile submissions fail with `store_full`.
        public var storeFull = false
    }
}
