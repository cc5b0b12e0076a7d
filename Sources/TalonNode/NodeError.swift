public import TalonProtocol

/// An error of the node layer: a registered code and a human message. It also carries the
/// Raft and store failures met on the node's loop, under their own codes. Equal when codes
/// are equal.
public struct NodeError: CodedError, Hashable {
    /// The stable code, e.g. `no_leader`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    /// An error with a registered code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Same error, with a more specific message.
    public func with(_ message: String) -> NodeError { NodeError(code, message) }

    /// Equal when the codes are equal; the message is ignored.
    public static func == (a: NodeError, b: NodeError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// A frame announces more bytes than a peer frame may hold.
    public static let frameTooLarge = NodeError(.peerFrameTooLarge, "peer frame exceeds the size limit")
    /// A frame's bytes are not a frame Talon writes.
    public static let malformedFrame = NodeError(.peerMalformed, "malformed peer frame")
    /// The peer runs another genesis.
    public static let wrongChain = NodeError(.peerWrongChain, "peer runs another genesis")
    /// The peer claims to be a node the genesis does not list (or this node itself).
    public static let unknownMember = NodeError(.peerUnknownMember, "peer is not a member of this cluster")
    /// The peer's proof does not verify with the member's genesis key.
    public static let badProof = NodeError(.peerBadProof, "peer could not prove its genesis key")
    /// A frame other than the initiator's auth arrived before the peer proved who it is.
    public static let unauthenticated = NodeError(.peerUnauthenticated, "peer sent messages before authenticating")
    /// An encrypted frame does not authenticate: tampered with, replayed, reordered, or from another connection.
    public static let rejectedFrame = NodeError(.peerFrameRejected, "a peer frame failed authentication")
    /// A committed log entry is not a batch this node can apply (a buggy or hostile
    /// proposer). The node records it as rejected (`Ledger.rejectedEntries`) and goes on.
    public static let corruptEntry = NodeError(.corruptEntry, "committed log entry cannot be applied")
    /// The node's store or log failed.
    public static let store = NodeError(.nodeStore, "the node's store failed")
    /// Frames arrived out of the handshake's order.
    public static let protocolViolation = NodeError(.peerProtocol, "peer broke the handshake order")
}

// MARK: - Submissions and reads

extension NodeError {
    /// No leader is known (an election is under way); retry shortly.
    public static let noLeader = NodeError(.noLeader, "no leader is known; retry shortly")
    /// This node stopped being the leader before it could propose.
    public static let notLeader = NodeError(.notLeader, "this node is not the leader")
    /// The entry holding the submission was lost with its leader; resubmit.
    public static let dropped = NodeError(.proposalDropped, "the entry was lost in a leader change; resubmit")
    /// No answer within the request timeout; the submission may still be applied, so resubmit.
    public static let timeout = NodeError(.timeout, "no answer in time; resubmitting is safe")
    /// A submission over the batch limits.
    public static let batchTooLarge = NodeError(.batchTooLarge, "submission exceeds the batch limits")
    /// Too many envelopes wait for an answer on this node.
    public static let overloaded = NodeError(.overloaded, "the node has too many submissions waiting; retry shortly")
    /// The node is shutting down or stopped on a store failure.
    public static let stopped = NodeError(.nodeStopped, "the node is stopping")
}
