/// `GET /v1/status`: a node's view of the cluster, as of its loop's last turn
/// (docs/openapi.yaml `Status`).
public struct NodeStatus: Hashable, Sendable, Codable {
    /// One other member and its replication progress as the leader tracks it.
    public struct Peer: Hashable, Sendable, Codable {
        public var node: String, match: UInt64, next: UInt64

        /// Member `node`, replicated up to `match`, sent from `next`.
        public init(node: String, match: UInt64, next: UInt64) { self.node = node; self.match = match; self.next = next }
    }

    /// This member's id, its Raft role and term.
    public var node: String, role: String, term: UInt64
    /// The leader's member id and API address; nil while no leader is known.
    public var leader: String?, leaderAPI: String?
    public var commit: UInt64, applied: UInt64, lastIndex: UInt64
    public var head: Head
    /// Empty on a follower and in a one-node cluster.
    public var peers: [Peer]
    public var inflightEntries: Int, waitingSubmissions: Int
    /// Committed log entries that were not batches, recorded as rejected.
    public var rejectedEntries: Int
    /// True from a write that found no space on this node's disk until a write succeeds
    /// again: meanwhile it refuses submissions with `store_full` (507) and serves reads.
    public var storeFull: Bool

    /// A status with every field.
    public init(node: String, role: String, term: UInt64, leader: String?, leaderAPI: String?, commit: UInt64, applied: UInt64,
                lastIndex: UInt64, head: Head, peers: [Peer], inflightEntries: Int, waitingSubmissions: Int, rejectedEntries: Int,
                storeFull: Bool = false) {
        self.node = node; self.role = role; self.term = term; self.leader = leader; self.leaderAPI = leaderAPI
        self.commit = commit; self.applied = applied; self.lastIndex = lastIndex; self.head = head; self.peers = peers
        self.inflightEntries = inflightEntries; self.waitingSubmissions = waitingSubmissions; self.rejectedEntries = rejectedEntries
        self.storeFull = storeFull
    }

    enum CodingKeys: String, CodingKey {
        case node, role, term, leader, leaderAPI = "leader_api", commit, applied, lastIndex = "last_index", head, peers
        case inflightEntries = "inflight_entries", waitingSubmissions = "waiting_submissions"
        case rejectedEntries = "rejected_entries", storeFull = "store_full"
    }
}

/// `GET /healthz`: the node's loop is turning (docs/openapi.yaml `Health`).
public struct NodeHealth: Hashable, Sendable, Codable {
    /// Always `ok` (a stalled node answers a problem instead).
    public var status: String
    /// The node's Raft role.
    public var role: String

    /// A healthy node in `role`.
    public init(role: String) { status = "ok"; self.role = role }
}
