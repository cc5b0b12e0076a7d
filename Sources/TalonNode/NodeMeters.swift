import Metrics
import TalonRaft

/// The node's figures in the metrics system (Prometheus at `/metrics`).
struct Meters {
    let term = Gauge(label: "talon_raft_term")
    let commit = Gauge(label: "talon_raft_commit_index")
    let applied = Gauge(label: "talon_raft_applied_index")
    let isLeader = Gauge(label: "talon_raft_is_leader")
    let waiting = Gauge(label: "talon_submissions_waiting")
    let blocks = Counter(label: "talon_blocks_applied_total")
    let envelopes = Counter(label: "talon_envelopes_applied_total")
    let batchEnvelopes = Recorder(label: "talon_proposed_batch_envelopes")
    let rejectedEntries = Gauge(label: "talon_rejected_entries")
    /// Submissions this node sent on to the leader, and the forward frames that carried
    /// them (fewer when gathered, more when one was sent again).
    let forwardedSubmissions = Counter(label: "talon_forwarded_submissions_total")
    let forwardsSent = Counter(label: "talon_forwards_sent_total")
    let stalledSeconds = Gauge(label: "talon_loop_stalled_seconds")
    /// How long each loop turn that committed took to write, commit and sync its one store
    /// transaction (the Raft save and the blocks applied): a block that flushes the bulk
    /// indexes shows here as one long turn.
    let commitSeconds = Metrics.Timer(label: "talon_store_commit_seconds")

    func update(_ raft: RaftStatus, waiting count: Int, rejectedEntries rejected: Int) {
        term.record(Double(raft.term))
        commit.record(Double(raft.commit))
        applied.record(Double(raft.applied))
        isLeader.record(raft.role == .leader ? 1 : 0)
        waiting.record(count)
        rejectedEntries.record(rejected)
    }
}
