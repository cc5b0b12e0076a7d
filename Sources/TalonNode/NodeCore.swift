public import TalonLedger
public import TalonRaft
public import TalonStore

/// One node's Raft core, Raft log and ledger, in one LMDB environment, with no clock or
/// network: the driver ticks it, feeds it peers' messages and sends what it returns. Every
/// call persists what the core asks for before returning the messages that depend on it,
/// and applies committed entries to the ledger exactly once (the entry index is committed
/// with its block), so the node can be killed at any instant and reopened.
public final class NodeCore {
    /// This node's Raft id.
    public let id: NodeID
    /// The ledger the committed entries build.
    public let ledger: Ledger
    private let raft: Raft
    private let storage: LMDBRaftStorage

    /// Opens (or creates) the node's store at `path` for member `id` of `members`.
    /// - Throws: `LedgerError.genesisMismatch` for a store of another genesis;
    ///   `NodeError.store` when the log cannot be opened.
    public init(path: String, members: ClusterMembers, id: NodeID, seed: UInt64,
                options: Environment.Options = .init(), configure: (inout RaftConfig) -> Void = { _ in }) throws {
        guard members.member(id) != nil else { throw NodeError.unknownMember.with("no member has Raft id \(id)") }
        self.id = id
        ledger = try Ledger(path: path, genesis: members.genesis, options: options, extraTables: LMDBRaftStorage.tableNames)
        storage = try LMDBRaftStorage(environment: ledger.environment)
        var config = RaftConfig(id: id, members: members.ids, seed: seed)
        // Entries up to the ledger's index are applied; the core hands out only later ones.
        config.applied = try ledger.appliedLogIndex()
        configure(&config)
        raft = try Raft(config: config, storage: storage)
    }

    /// Role, term, leader, indexes.
    public var status: RaftStatus { raft.status }

    /// One tick of logical time; returns the messages to send.
    public func tick() throws -> [Message] {
        raft.tick()
        return try drain()
    }

    /// Feeds a message from an authenticated peer; returns the messages to send.
    public func step(_ message: Message) throws -> [Message] {
        try raft.step(message)
        return try drain()
    }

    /// Proposes a batch on the leader; returns where it will be in the log and the messages
    /// to send. The batch is applied when `appliedLogIndex` reaches `index` and the entry
    /// there has `term` (otherwise it was lost with its leader and must be resubmitted).
    /// - Throws: `RaftError.notLeader`, `.transferring`, `.proposalTooLarge`.
    public func propose(_ batch: EntryBatch) throws -> (term: UInt64, index: UInt64, messages: [Message]) {
        let (term, index) = try raft.propose(batch.bytes)
        return (term, index, try drain())
    }

    /// Saves, applies and releases what the core has ready; returns the messages to send.
    private func drain() throws -> [Message] {
        try raft.drain(saving: storage) { entry in try apply(entry) }.messages
    }

    private func apply(_ entry: Entry) throws {
        guard entry.kind == .normal, !entry.data.isEmpty else {
            try ledger.markApplied(logIndex: entry.index)
            return
        }
        let batch = try EntryBatch(bytes: entry.data)
        guard !batch.envelopes.isEmpty else {
            try ledger.markApplied(logIndex: entry.index)
            return
        }
        try ledger.apply(batch.envelopes, timestamp: batch.timestamp, logIndex: entry.index)
    }
}
