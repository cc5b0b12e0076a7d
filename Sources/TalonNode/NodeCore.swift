public import TalonLedger
public import TalonContracts
public import TalonRaft
public import TalonStore
public import TalonProtocol

/// One node's Raft core, Raft log and ledger, in one LMDB environment, with no clock or
/// network: the driver ticks it, feeds it peers' messages and sends what it returns. Every
/// call persists what the core asks for before returning the messages that depend on it,
/// and applies committed entries to the ledger exactly once (the entry index is committed
/// with its block), so the node can be killed at any instant and reopened.
///
/// `run(_:)` takes everything that arrived since the last call — ticks, messages, proposals,
/// read requests — and persists it, with the blocks it applies, in one synced write
/// transaction (group commit).
public final class NodeCore {
    /// What arrived since the last `run`.
    public struct Input {
        public var ticks = 0
        public var messages: [Message] = []
        public var proposals: [EntryBatch] = []
        /// ReadIndex contexts, each unique among outstanding reads.
        public var reads: [[UInt8]] = []
        /// Asked, only while this member leads, once the messages are stepped and again after
        /// the committed entries are applied: given the commit index, returns more batches to
        /// propose in the same transaction (the leader's held submissions, once a commit freed
        /// its pipeline), which then cost no run, sync or message round of their own. Their
        /// outcomes follow `proposals`' in `proposed`.
        public var proposeOnCommit: ((UInt64) -> [EntryBatch])?
        /// Given a leader's appends and heartbeats as soon as they are made, before this run's
        /// transaction is saved (`Raft.takeMessagesSendableBeforeSave`), so followers write
        /// their copies while this node writes its own; nil keeps them for `Output.messages`.
        public var sendBeforeSave: (([Message]) -> Void)?
        /// Given each committed entry as soon as it is applied, before this run's transaction
        /// commits: its receipts are final (the entry is on a majority's disks, and applying
        /// it again after a failed commit gives the same ones), though this node's reads see
        /// its block only once the run returns. It is in `Output.applied` as well.
        public var onApplied: ((AppliedEntry) -> Void)?
        public init(ticks: Int = 0, messages: [Message] = [], proposals: [EntryBatch] = [], reads: [[UInt8]] = []) {
            self.ticks = ticks; self.messages = messages; self.proposals = proposals; self.reads = reads
        }
    }

    /// What one `run` produced.
    public struct Output {
        /// Messages to send; what they depend on is on disk.
        public var messages: [Message] = []
        /// Per proposal, in order: where it will be in the log, or why it was refused.
        public var proposed: [Result<(term: UInt64, index: UInt64), TalonError>] = []
        /// Entries applied to the ledger, in log order.
        public var applied: [AppliedEntry] = []
        /// Read points released (contexts of `Input.reads`, or of reads forwarded here).
        public var reads: [ReadState] = []
        /// Contexts of `Input.reads` refused at once (no leader known).
        public var refusedReads: [[UInt8]] = []
        /// Messages that the core refused (from a peer with a damaged or impossible message).
        public var refused: [(Message, TalonError)] = []
    }

    /// A committed log entry, applied.
    public struct AppliedEntry: Sendable {
        public let index: UInt64
        public let term: UInt64
        /// One receipt per envelope of the entry's batch (empty for a leader's no-op).
        public let receipts: [Receipt]
        /// The block it made, or nil (no-op, every envelope already in the ledger, or rejected).
        public let block: AppliedBlock?
        /// Set when the entry could not be applied as a batch and was recorded as rejected.
        public var rejected: RejectedEntry? = nil
    }

    /// This node's Raft id.
    public let id: NodeID
    /// The ledger the committed entries build.
    public let ledger: Ledger
    private let raft: Raft
    private let storage: LMDBRaftStorage
    /// The Raft configuration as opened (for `reopened()`), and whether each save syncs.
    private let config: RaftConfig
    private let syncEachSave: Bool
    /// The batches this member proposed, by log index, with the term and bytes they were
    /// proposed at: the entry there is applied from them, not decoded again, when it is the
    /// same entry. Each leaves when its index is applied.
    private var proposedBatches: [UInt64: (term: UInt64, data: [UInt8], batch: EntryBatch)] = [:]
    /// Entries applied from the batch proposed here rather than decoded (tests).
    private(set) var entriesAppliedAsProposed = 0

    /// Opens (or creates) the node's store at `path` for member `id` of `members`, keeping at
    /// most `contractCache` loaded contracts in memory.
    /// - Throws: `TalonError(.genesisMismatch)` for a store of another genesis;
    ///   `TalonError(.nodeStore)` when the log cannot be opened.
    public init(path: String, members: ClusterMembers, id: NodeID, seed: UInt64,
                options: Environment.Options = .init(), contractCache: ContractEngine.Capacity = .standard,
                configure: (inout RaftConfig) -> Void = { _ in }) throws {
        guard members.member(id) != nil else { throw TalonError(.peerUnknownMember, "no member has Raft id \(id)") }
        self.id = id
        // Each commit syncs its data pages but not LMDB's meta page (MDB_NOMETASYNC), which
        // keeps the store intact through a power cut; each Raft save then syncs the whole
        // environment, so the log and hard state are durable before any message leaves. A
        // block commit undone by a power cut is applied again from the log, since its log
        // index commits with it. (MDB_NOSYNC would save syncs but lets a power cut damage
        // the store on file systems that reorder writes.)
        var deferredMeta = options
        deferredMeta.syncMeta = false
        // Each member flushes its bulk indexes at its own point of the chain, so that no two
        // stall in the same block.
        let share = FlushShare(position: members.ids.sorted().firstIndex(of: id) ?? 0, of: members.ids.count)
        ledger = try Ledger(path: path, genesis: members.genesis, options: deferredMeta, extraTables: LMDBRaftStorage.tableNames,
                            contractCache: contractCache, flushShare: share)
        syncEachSave = options.sync
        storage = try LMDBRaftStorage(environment: ledger.environment, syncEachSave: options.sync)
        var config = RaftConfig(id: id, members: members.ids, seed: seed)
        // An entry carries one batch: exactly as large as the write path lets one be.
        config.maxEntryBytes = WriteLimits.entryBytes
        // Entries up to the ledger's index are applied; the core hands out only later ones.
        config.applied = try ledger.appliedLogIndex()
        configure(&config)
        self.config = config
        raft = try Raft(config: config, storage: storage)
    }

    private init(reopening old: NodeCore, seed: UInt64) throws {
        id = old.id
        ledger = old.ledger
        syncEachSave = old.syncEachSave
        storage = try LMDBRaftStorage(environment: ledger.environment, syncEachSave: syncEachSave)
        var config = old.config
        config.seed = seed
        config.applied = try ledger.appliedLogIndex()
        self.config = config
        raft = try Raft(config: config, storage: storage)
    }

    /// A core rebuilt from what is on disk, as a restart would open it, over the same open
    /// ledger: the Raft state this core holds in memory (possibly ahead of the disk after a
    /// failed save) is dropped. Use it after a `store_full` failure, instead of this one.
    /// Only reads the store, so it works on a full disk.
    /// - Throws: `TalonError(.raftStorage)` when the stored log cannot be read.
    public func reopened(seed: UInt64 = .random(in: 1...UInt64.max)) throws -> NodeCore {
        try NodeCore(reopening: self, seed: seed)
    }

    /// Flushes every commit to disk (before a clean exit).
    public func sync() throws { try ledger.sync() }

    /// Role, term, leader, indexes.
    public var status: RaftStatus { raft.status }

    /// Feeds everything in `input` to the core, then saves, applies and releases what it has
    /// ready. A message the core refuses is reported and skipped.
    /// - Throws: storage and apply failures; the node must stop (and restart from disk).
    ///
    /// The whole call is one LMDB write transaction (`Environment.group`): the Raft save and
    /// the blocks it applies commit together, with one flush, before the messages that depend
    /// on them are returned. When it throws, nothing of it was written, but this core's
    /// memory may be ahead of the disk: use `reopened()` (or stop).
    public func run(_ input: Input) throws -> Output {
        try ledger.environment.group { try runGrouped(input) }
    }

    private func runGrouped(_ input: Input) throws -> Output {
        var out = Output()
        // Messages first: answers that arrived during a stall count before the ticks do.
        for message in input.messages {
            do throws(TalonError) { try raft.step(message) } catch { out.refused.append((message, error)) }
        }
        for _ in 0..<input.ticks { raft.tick() }
        propose(input.proposals, into: &out)
        proposeHeld(input, into: &out)
        for context in input.reads {
            do throws(TalonError) { try raft.readIndex(context) } catch { out.refusedReads.append(context) }
        }
        // Only before the first drain: what `advance` makes next counts this node's copy,
        // which is not on disk until the transaction commits.
        sendEarly(input)
        let applying = { [self] (entry: Entry) throws in
            let applied = try apply(entry)
            input.onApplied?(applied)
            out.applied.append(applied)
        }
        var drained = try raft.drain(saving: storage, apply: applying)
        if proposeHeld(input, into: &out) {
            let again = try raft.drain(saving: storage, apply: applying)
            drained.messages += again.messages
            drained.reads += again.reads
        }
        // The commit that freed the pipeline sent each follower an empty append; the held
        // proposal's append carries the same commit.
        out.messages = Message.coalesced(drained.messages)
        out.reads += drained.reads
        return out
    }

    /// Proposes what `Input.proposeOnCommit` gives for the current commit; true when it gave any.
    @discardableResult
    private func proposeHeld(_ input: Input, into out: inout Output) -> Bool {
        guard raft.isLeader, let more = input.proposeOnCommit?(raft.commitIndex), !more.isEmpty else { return false }
        propose(more, into: &out)
        return true
    }

    private func sendEarly(_ input: Input) {
        guard let send = input.sendBeforeSave else { return }
        let early = raft.takeMessagesSendableBeforeSave()
        if !early.isEmpty { send(Message.coalesced(early)) }
    }

    private func propose(_ batches: [EntryBatch], into out: inout Output) {
        for batch in batches {
            // Only a batch built from envelopes this node admitted is ever proposed.
            guard batch.isAdmitted else {
                out.proposed.append(.failure(TalonError(.unadmittedBatch, "a batch not built from admitted envelopes is never proposed")))
                continue
            }
            do throws(TalonError) {
                let data = batch.bytes
                let at = try raft.propose(data)
                proposedBatches[at.index] = (at.term, data, batch)
                out.proposed.append(.success(at))
            } catch {
                out.proposed.append(.failure(error))
            }
        }
    }

    /// One tick of logical time; returns the messages to send.
    public func tick() throws -> [Message] { try run(Input(ticks: 1)).messages }

    /// Feeds a message from an authenticated peer; returns the messages to send.
    public func step(_ message: Message) throws -> [Message] {
        let out = try run(Input(messages: [message]))
        if let (_, error) = out.refused.first { throw error }
        return out.messages
    }

    /// Proposes a batch on the leader; returns where it will be in the log and the messages
    /// to send. The batch is applied when `appliedLogIndex` reaches `index` and the entry
    /// there has `term` (otherwise it was lost with its leader and must be resubmitted).
    /// - Throws: `TalonError(.notLeader)`, `.transferring`, `.proposalTooLarge`.
    public func propose(_ batch: EntryBatch) throws -> (term: UInt64, index: UInt64, messages: [Message]) {
        let out = try run(Input(proposals: [batch]))
        let (term, index) = try out.proposed[0].get()
        return (term, index, out.messages)
    }

    /// Test hook: proposes `data` as a log entry as it is, bypassing admission, as a buggy
    /// or hostile proposer would. Returns where it will be in the log and the messages to send.
    func propose(rawEntry data: [UInt8]) throws -> (term: UInt64, index: UInt64, messages: [Message]) {
        let at = try raft.propose(data)
        let out = try run(Input())
        return (at.term, at.index, out.messages)
    }

    /// Applies one committed entry. An entry that is not a batch (it does not decode, or
    /// breaks the batch limits) is recorded as rejected, the same on every node, and the
    /// node goes on; only store failures throw.
    private func apply(_ entry: Entry) throws -> AppliedEntry {
        let proposed = proposedBatches.removeValue(forKey: entry.index)
        guard entry.kind == .normal, !entry.data.isEmpty else {
            try ledger.markApplied(logIndex: entry.index)
            return AppliedEntry(index: entry.index, term: entry.term, receipts: [], block: nil)
        }
        let batch: EntryBatch
        if let proposed, proposed.term == entry.term, proposed.data == entry.data {
            // This member built the entry: its envelopes are decoded already.
            batch = proposed.batch
            entriesAppliedAsProposed += 1
        } else {
            do {
                batch = try EntryBatch(bytes: entry.data)
            } catch {
                return try reject(entry, code: error.code, error.message)
            }
        }
        guard batch.envelopes.count <= Limits.envelopesPerBlock else {
            return try reject(entry, code: .invalidBatch,
                              "a block holds at most \(Limits.envelopesPerBlock) envelopes, the entry has \(batch.envelopes.count)")
        }
        guard !batch.envelopes.isEmpty,
              let applied = try ledger.apply(batch.envelopes, timestamp: batch.timestamp, logIndex: entry.index) else {
            try ledger.markApplied(logIndex: entry.index)
            return AppliedEntry(index: entry.index, term: entry.term, receipts: [], block: nil)
        }
        return AppliedEntry(index: entry.index, term: entry.term, receipts: applied.receipts, block: applied.block)
    }

    private func reject(_ entry: Entry, code: Code, _ message: String) throws -> AppliedEntry {
        let rejected = try ledger.recordRejectedEntry(logIndex: entry.index, data: entry.data, code: code, message: message)
        return AppliedEntry(index: entry.index, term: entry.term, receipts: [], block: nil, rejected: rejected)
    }
}
