public import TalonProtocol
public import TalonStore
public import TalonContracts
import Synchronization

/// A ledger stored in LMDB: append blocks of signed envelopes, query state and history,
/// verify everything offline. Safe to share between threads: appends are serialized by
/// LMDB's single writer, and reads see consistent snapshots.
public final class Ledger: Sendable {
    /// The genesis the store was made from.
    public let genesis: GenesisFile
    let env: Environment
    let tables: Tables
    /// Loaded contracts, used by the single writer while it applies blocks.
    let contracts: ContractRuntime
    /// Upper Merkle nodes read by proofs (`MerkleNodeCache`).
    let merkleCache = MerkleNodeCache()
    /// Signatures admission has verified (`admit(_:for:verified:)` at `.propose`).
    private let verifiedSignatures = Atomic<Int>(0)
    /// How many signatures admission has verified since the ledger was opened.
    public var signaturesVerified: Int { verifiedSignatures.load(ordering: .relaxed) }
    /// Counts one signature admission is about to verify.
    func countVerifiedSignature() { verifiedSignatures.add(1, ordering: .relaxed) }
    /// The newest leaves' index keys, not yet in `envelope_hashes` and `key_sets` (`RecentLeafKeys`).
    let recentKeys: RecentLeafKeys
    /// How `envelope_hashes` files the leaves below the mark, and which epochs may hold a prefix.
    let hashIndex: EnvelopeHashIndex

    /// Handles of every table, resolved once.
    struct Tables: Sendable {
        let meta, receipts, merkle, issuers, events, gates,
            tickets, contracts, bindings, decisions, holdings, listings, audit, eventTickets,
            rejectedEntries, pendingHolders: Table
        let keySets, eventHistory, envelopeHashes: SetTable
        let blocks: TypedTable<UInt64, Block>
        let envelopes: TypedTable<UInt64, Envelope>
        init(_ env: Environment) {
            meta = env.table(Schema.meta); blocks = TypedTable(env.table(Schema.blocks))
            envelopes = TypedTable(env.table(Schema.envelopes)); receipts = env.table(Schema.receipts)
            envelopeHashes = env.set(Schema.envelopeHashes); merkle = env.table(Schema.merkle)
            issuers = env.table(Schema.issuers); events = env.table(Schema.events); gates = env.table(Schema.gates)
            tickets = env.table(Schema.tickets)
            keySets = env.set(Schema.keySets); eventHistory = env.set(Schema.eventHistory)
            contracts = env.table(Schema.contracts); bindings = env.table(Schema.bindings)
            decisions = env.table(Schema.decisions); holdings = env.table(Schema.holdings)
            listings = env.table(Schema.listings); audit = env.table(Schema.audit)
            eventTickets = env.table(Schema.eventTickets); rejectedEntries = env.table(Schema.rejectedEntries)
            pendingHolders = env.table(Schema.pendingHolders)
        }
    }

    /// Opens the ledger at directory `path`, creating it from `genesis` if it is new.
    /// `extraTables` are opened in the same environment for stores that commit beside the
    /// ledger (the node's Raft log); see `environment`. At most `contractCache` loaded
    /// contracts are kept in memory (least recently used evicted). A cluster's member passes
    /// its `flushShare`, so that members write their bulk indexes at different blocks.
    /// - Throws: `TalonError(.genesisMismatch)` when the store was made from another genesis;
    ///   `TalonError(.storeCorrupt)` when it cannot be opened.
    public convenience init(path: String, genesis: GenesisFile, options: Environment.Options = .init(),
                            extraTables: [String] = [], contractCache: ContractEngine.Capacity = .standard,
                            flushShare: FlushShare = .alone) throws(TalonError) {
        try self.init(path: path, genesis: genesis, options: options, extraTables: extraTables, contractCache: contractCache,
                      hashFlushEnvelopes: RecentLeafKeys.flushEnvelopes, flushShare: flushShare)
    }

    /// As `init(path:genesis:options:extraTables:contractCache:flushShare:)`, indexing
    /// envelope hashes, nonces and holders in bulk every `hashFlushEnvelopes` envelopes, and
    /// (a new store) hashes and nonces in epochs of `hashEpochLeaves`, instead of the
    /// defaults (tests).
    convenience init(path: String, genesis: GenesisFile, options: Environment.Options = .init(), extraTables: [String] = [],
                     contractCache: ContractEngine.Capacity = .standard, hashFlushEnvelopes: UInt64,
                     hashEpochLeaves: UInt64 = EnvelopeHashIndex.epochLeaves, flushShare: FlushShare = .alone) throws(TalonError) {
        let env = try Self.openEnvironment(path, options, extraTables: extraTables)
        let stored = try Self.storedGenesis(env)
        if let stored {
            guard stored.hash == genesis.hash else {
                throw TalonError(.genesisMismatch, 
                    "store \(path) was created from genesis \(stored.hash.hex.prefix(16))…, not \(genesis.hash.hex.prefix(16))… (chain '\(stored.genesis.chainID)')")
            }
        } else {
            try Self.initialize(env, genesis, hashEpochLeaves: hashEpochLeaves)
        }
        self.init(env: env, genesis: genesis, contractCache: contractCache, hashFlushEnvelopes: hashFlushEnvelopes, flushShare: flushShare)
        try migrate()
        try loadRecentKeys()
    }

    /// Which member of a cluster this ledger writes its bulk indexes as (`FlushShare`).
    public var flushShare: FlushShare { recentKeys.share }

    /// Opens an existing ledger with the genesis stored in it.
    /// - Throws: `TalonError(.storeCorrupt)` when there is no ledger at `path`.
    public convenience init(existingAt path: String, options: Environment.Options = .init()) throws(TalonError) {
        let env = try Self.openEnvironment(path, options)
        guard let stored = try Self.storedGenesis(env) else {
            throw TalonError(.storeCorrupt, "no ledger at \(path) (create one by appending with --genesis)")
        }
        self.init(env: env, genesis: stored)
        try migrate()
        try loadRecentKeys()
    }

    /// Reads the index keys of the leaves not yet indexed (at most a flush's worth and a
    /// block), and fills the hash index's filters from the leaves indexed.
    private func loadRecentKeys() throws(TalonError) {
        try read { txn in
            let size = try head(txn).treeSize
            let indexed = try indexedThrough(txn, size: size)
            try alignRecentKeys(txn, indexed: indexed, size: size)
            try hashIndex.load(txn, meta: tables.meta, tables.envelopeHashes, indexed: indexed)
        }
    }

    private init(env: Environment, genesis: GenesisFile, contractCache: ContractEngine.Capacity = .standard,
                 hashFlushEnvelopes: UInt64 = RecentLeafKeys.flushEnvelopes, flushShare: FlushShare = .alone) {
        self.env = env
        self.recentKeys = RecentLeafKeys(flushEnvelopes: hashFlushEnvelopes, share: flushShare)
        self.hashIndex = EnvelopeHashIndex()
        self.genesis = genesis
        self.tables = Tables(env)
        self.contracts = ContractRuntime(capacity: contractCache)
    }

    private static func openEnvironment(_ path: String, _ options: Environment.Options,
                                        extraTables: [String] = []) throws(TalonError) -> Environment {
        guard Set(extraTables).isDisjoint(with: Schema.all + Schema.allSets + Schema.retired) else {
            throw TalonError(.storeCorrupt, "extra tables may not reuse the ledger's table names")
        }
        do { return try Environment(path: path, tables: Schema.all + extraTables, sets: Schema.allSets, options: options) } catch {
            throw TalonError(.storeCorrupt, error.message)
        }
    }

    private static func storedGenesis(_ env: Environment) throws(TalonError) -> GenesisFile? {
        let meta = env.table(Schema.meta)
        let bytes = try store { try env.read { txn in try txn.get(meta, Schema.MetaKey.genesis) } }
        guard let bytes else { return nil }
        do { return try GenesisFile(bytes: bytes) } catch {
            throw TalonError(.storeCorrupt, "the genesis stored in the ledger is damaged: \(error.message)")
        }
    }

    private static func initialize(_ env: Environment, _ genesis: GenesisFile, hashEpochLeaves: UInt64) throws(TalonError) {
        let meta = env.table(Schema.meta), issuers = env.table(Schema.issuers)
        try store {
            try env.write { txn in
                try txn.put(meta, Schema.MetaKey.genesis, genesis.bytes)
                try txn.put(meta, Schema.MetaKey.genesisHash, genesis.hash.bytes)
                try txn.put(meta, Schema.MetaKey.height, Schema.u64(0))
                try txn.put(meta, Schema.MetaKey.schemaVersion, [Schema.schemaVersion])
                try txn.put(meta, Schema.MetaKey.hashEpochLeaves, Schema.u64(hashEpochLeaves))
                for issuer in genesis.genesis.issuers {
                    try txn.put(issuers, issuer.key.bytes, IssuerState(key: issuer.key, name: issuer.name, registeredAt: 0).bytes)
                }
            }
        }
    }

    /// Runs a store operation: Talon's errors pass as they are, anything else is `store_corrupt`.
    static func store<R>(_ body: () throws -> R) throws(TalonError) -> R {
        do { return try body() } catch let e as TalonError { throw e } catch {
            throw TalonError(.storeCorrupt, "\(error)")
        }
    }

    /// Reads with a consistent snapshot.
    func read<R>(_ body: (Transaction) throws -> R) throws(TalonError) -> R {
        try Self.store { try env.read(body) }
    }

    /// The LMDB environment holding the ledger (and any `extraTables`).
    public var environment: Environment { env }

    /// The chain id envelopes must name.
    public var chainID: String { genesis.genesis.chainID }

    /// Flushes commits made with `sync: false`.
    public func sync() throws(TalonError) { try Self.store { try env.sync() } }
}
