/// An error of the node layer, with a stable code.
public struct NodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Same error, with a more specific message.
    public func with(_ message: String) -> NodeError { NodeError(code, message) }

    public static func == (a: NodeError, b: NodeError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
    public var description: String { "\(code): \(message)" }

    /// A frame announces more bytes than a peer frame may hold.
    public static let frameTooLarge = NodeError("peer_frame_too_large", "peer frame exceeds the size limit")
    /// A frame's bytes are not a frame Talon writes.
    public static let malformedFrame = NodeError("peer_malformed", "malformed peer frame")
    /// The peer runs another genesis.
    public static let wrongChain = NodeError("peer_wrong_chain", "peer runs another genesis")
    /// The peer claims to be a node the genesis does not list (or this node itself).
    public static let unknownMember = NodeError("peer_unknown_member", "peer is not a member of this cluster")
    /// The peer's proof does not verify with the member's genesis key.
    public static let badProof = NodeError("peer_bad_proof", "peer could not prove its genesis key")
    /// A frame other than the initiator's auth arrived before the peer proved who it is.
    public static let unauthenticated = NodeError("peer_unauthenticated", "peer sent messages before authenticating")
    /// An encrypted frame does not authenticate: tampered with, replayed, reordered, or from another connection.
    public static let rejectedFrame = NodeError("peer_frame_rejected", "a peer frame failed authentication")
    /// A committed log entry is not a batch this node can apply (a buggy or hostile
    /// proposer). The node records it as rejected (`Ledger.rejectedEntries`) and goes on.
    public static let corruptEntry = NodeError("corrupt_entry", "committed log entry cannot be applied")
    /// The node's store or log failed.
    public static let store = NodeError("node_store", "the node's store failed")
    /// Frames arrived out of the handshake's order.
    public static let protocolViolation = NodeError("peer_protocol", "peer broke the handshake order")
}

// MARK: - Submissions and reads

extension NodeError {
    /// No leader is known (an election is under way); retry shortly.
    public static let noLeader = NodeError("no_leader", "no leader is known; retry shortly")
    /// This node stopped being the leader before it could propose.
    public static let notLeader = NodeError("not_leader", "this node is not the leader")
    /// The entry holding the submission was lost with its leader; resubmit.
    public static let dropped = NodeError("proposal_dropped", "the entry was lost in a leader change; resubmit")
    /// No answer within the request timeout; the submission may still be applied, so resubmit.
    public static let timeout = NodeError("timeout", "no answer in time; resubmitting is safe")
    /// A submission over the batch limits.
    public static let batchTooLarge = NodeError("batch_too_large", "submission exceeds the batch limits")
    /// Too many envelopes wait for an answer on this node.
    public static let overloaded = NodeError("overloaded", "the node has too many submissions waiting; retry shortly")
    /// The node is shutting down or stopped on a store failure.
    public static let stopped = NodeError("node_stopped", "the node is stopping")
}
