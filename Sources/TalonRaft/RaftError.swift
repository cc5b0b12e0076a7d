public import TalonProtocol

/// An error from the Raft module: a registered code and a human message. Equal when codes are equal.
public struct RaftError: CodedError, Hashable {
    /// The stable code, e.g. `leader_transferring`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    /// An error with a registered code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Same error, with a more specific message.
    public func with(_ message: String) -> RaftError { RaftError(code, message) }

    /// Equal when the codes are equal; the message is ignored.
    public static func == (a: RaftError, b: RaftError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// This node is not the leader; the message names the leader when known.
    public static let notLeader = RaftError(.notLeader, "this node is not the leader")
    /// The leader is handing over leadership and takes no proposals meanwhile.
    public static let transferring = RaftError(.leaderTransferring, "leadership is being transferred")
    /// The proposal exceeds the size limit of one entry.
    public static let proposalTooLarge = RaftError(.proposalTooLarge, "proposal exceeds the entry size limit")
    /// The stored log or hard state cannot be read or is inconsistent.
    public static let storage = RaftError(.raftStorage, "raft storage failed")
    /// Entries asked for are no longer in the log (compacted).
    public static let compacted = RaftError(.raftCompacted, "entries were compacted")
    /// Bytes from a peer are not a well-formed message.
    public static let malformedMessage = RaftError(.raftMalformed, "malformed raft message")
    /// A configuration value is out of range.
    public static let invalidConfig = RaftError(.raftConfig, "invalid raft configuration")
}
