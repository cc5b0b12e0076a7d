/// An error from the Raft module, with a stable code.
public struct RaftError: Error, Hashable, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Same error, with a more specific message.
    public func with(_ message: String) -> RaftError { RaftError(code, message) }

    public static func == (a: RaftError, b: RaftError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
    public var description: String { "\(code): \(message)" }

    /// This node is not the leader; the message names the leader when known.
    public static let notLeader = RaftError("not_leader", "this node is not the leader")
    /// The leader is handing over leadership and takes no proposals meanwhile.
    public static let transferring = RaftError("leader_transferring", "leadership is being transferred")
    /// The proposal exceeds the size limit of one entry.
    public static let proposalTooLarge = RaftError("proposal_too_large", "proposal exceeds the entry size limit")
    /// The stored log or hard state cannot be read or is inconsistent.
    public static let storage = RaftError("raft_storage", "raft storage failed")
    /// Entries asked for are no longer in the log (compacted).
    public static let compacted = RaftError("raft_compacted", "entries were compacted")
    /// Bytes from a peer are not a well-formed message.
    public static let malformedMessage = RaftError("raft_malformed", "malformed raft message")
    /// A configuration value is out of range.
    public static let invalidConfig = RaftError("raft_config", "invalid raft configuration")
}
