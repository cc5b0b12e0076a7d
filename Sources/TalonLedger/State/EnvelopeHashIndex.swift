import Synchronization
import TalonProtocol
import TalonStore

/// How `envelope_hashes` files the leaves below `indexed_through`: under the leaf's epoch
/// (`epochLeaves` leaves apiece) then its 8-byte prefix, and which epochs may hold a prefix.
///
/// Hash and nonce prefixes are random, so a flush of 16,384 leaves into one table keyed by
/// prefix alone touched about one page per entry once the table had grown past twice that
/// many pages (schema 12: 8 KB of page writes per leaf at 10,000,000 leaves, against some 300
/// bytes in the first 100,000). Keyed by epoch first, a flush writes into its own epoch's key
/// range only, which never grows past what the first epoch's did, so the cost per leaf stays
/// where it started however large the store grows.
///
/// A lookup would then read every epoch. Instead a Bloom filter per era of epochs (era i
/// holds epochs 2^i − 1 ..< 2^(i+1) − 1, so there are about log2 of the epoch count) says
/// which eras may hold the prefix, and only their epochs are read: a prefix never filed — a
/// fresh nonce, a new envelope's hash, nearly every lookup on the write path — costs a probe
/// per era and no read at all. The filters are memory only, filled from the table when the
/// ledger opens and by each flush before it commits; `covered` is the leaf below which they
/// hold every entry. Leaves a flush by another process filed (the table's mark past
/// `covered`) are found by reading their epochs directly: filters only ever gain keys, so
/// they may say "maybe" wrongly, never "no".
final class EnvelopeHashIndex: Sendable {
    /// Leaves per epoch in a new store: a flush's entries land among at most twice this many.
    /// A store keeps its own in meta (`hash_epoch_leaves`), read when it opens.
    static let epochLeaves: UInt64 = 1 << 17
    /// The most leaves per epoch a store may name (its epochs' filters are made that large).
    static let maxEpochLeaves: UInt64 = 1 << 24

    private let filters = Mutex(Filters())

    private struct Filters {
        /// Leaves per epoch: the store's, once `load` has read it.
        var epochLeaves = EnvelopeHashIndex.epochLeaves
        /// Era i's filter, nil until a key of it is inserted.
        var eras: [PrefixFilter?] = []
        /// The filters hold the entry of every leaf below this one.
        var covered: UInt64 = 0
    }

    /// Leaves per epoch in the store.
    var epochLeaves: UInt64 { filters.withLock { $0.epochLeaves } }

    /// The leaves below `indexed` (the snapshot's mark) that `table` files under `prefix`, increasing.
    func leaves(_ txn: Transaction, _ table: SetTable, _ prefix: UInt64, below indexed: UInt64) throws -> [UInt64] {
        var out: [UInt64] = []
        for epoch in epochs(prefix, below: indexed) {
            out += try txn.members(table, Schema.hashIndexKey(epoch: epoch, prefix: prefix))
        }
        return out
    }

    /// The epochs below the one holding `indexed` that may hold `prefix`, increasing: those
    /// whose era's filter may hold it, and those the filters do not cover.
    func epochs(_ prefix: UInt64, below indexed: UInt64) -> [UInt64] {
        guard indexed > 0 else { return [] }
        return filters.withLock { f in
            let last = (indexed - 1) / f.epochLeaves
            // Epochs below `whole` hold only leaves the filters cover.
            let whole = f.covered >= indexed ? last + 1 : f.covered / f.epochLeaves
            var out: [UInt64] = []
            var era = 0
            while Self.firstEpoch(era: era) <= last {
                let first = Self.firstEpoch(era: era), end = min(Self.firstEpoch(era: era + 1), last + 1)
                if era < f.eras.count, let filter = f.eras[era], first < whole, filter.mayContain(prefix) {
                    out += first..<min(end, whole)
                }
                if end > whole { out += max(first, whole)..<end }
                era += 1
            }
            return out
        }
    }

    /// Files `entries` (leaves `indexed..<size`, a flush's) in `table`, in key order, and in
    /// the filters at once; once `txn` commits, the filters cover `size` if they covered
    /// `indexed`. (Keys of a transaction that aborts stay in the filters: a wrong "maybe",
    /// never a wrong "no". Coverage moves only with a commit, so it never claims leaves that
    /// another ledger on the store filed instead.)
    func write(_ txn: Transaction, _ table: SetTable, _ entries: [(prefix: UInt64, leaf: UInt64)],
               indexed: UInt64, size: UInt64) throws {
        let epochLeaves = self.epochLeaves
        let sorted = entries.sorted { ($0.leaf / epochLeaves, $0.prefix, $0.leaf) < ($1.leaf / epochLeaves, $1.prefix, $1.leaf) }
        try txn.append(table, members: sorted.map { (key: Schema.hashIndexKey(epoch: $0.leaf / epochLeaves, prefix: $0.prefix), member: $0.leaf) })
        filters.withLock { f in
            for entry in entries { Self.insert(&f, entry.prefix, epoch: entry.leaf / epochLeaves) }
        }
        txn.afterCommit { [self] in
            filters.withLock { f in if f.covered >= indexed { f.covered = max(f.covered, size) } }
        }
    }

    /// Reads the store's epoch size from `meta` and fills the filters from `table` as of
    /// `txn`, whose mark is `indexed`.
    /// - Throws: `TalonError(.storeCorrupt)` for a missing or damaged epoch size, or a key
    ///   that is not an epoch and a prefix or names an epoch past the mark.
    func load(_ txn: Transaction, meta: Table, _ table: SetTable, indexed: UInt64) throws {
        guard let bytes = try txn.get(meta, Schema.MetaKey.hashEpochLeaves), let size = Schema.u64(bytes),
              (1...Self.maxEpochLeaves).contains(size) else {
            throw TalonError(.storeCorrupt, "meta hash_epoch_leaves is missing or not a size of 1–\(Self.maxEpochLeaves) leaves")
        }
        var loaded = Filters(epochLeaves: size)
        // Every key's epoch holds leaves below the mark: one past it is damage, and would
        // make a filter sized for epochs that do not exist.
        let epochs = (indexed + size - 1) / size
        try txn.scanKeys(table) { key in
            guard let (epoch, prefix) = Schema.hashIndexKeyParts(key) else {
                throw TalonError(.storeCorrupt, "envelope_hashes holds a key that is not an epoch and a prefix")
            }
            guard epoch < epochs else {
                throw TalonError(.storeCorrupt, "envelope_hashes holds epoch \(epoch), past the \(epochs) its \(indexed) indexed leaves fill")
            }
            Self.insert(&loaded, prefix, epoch: epoch)
        }
        loaded.covered = indexed
        filters.withLock { $0 = loaded }
    }

    private static func insert(_ f: inout Filters, _ prefix: UInt64, epoch: UInt64) {
        let era = era(of: epoch)
        if f.eras.count <= era { f.eras += [PrefixFilter?](repeating: nil, count: era + 1 - f.eras.count) }
        if f.eras[era] == nil {
            // Two entries per leaf at most (hash and nonce), for every leaf of the era's epochs.
            let epochs = firstEpoch(era: era + 1) - firstEpoch(era: era)
            f.eras[era] = PrefixFilter(capacity: Int(clamping: 2 * f.epochLeaves * epochs))
        }
        f.eras[era]?.insert(prefix)
    }

    /// The era holding `epoch`: ⌊log2(epoch + 1)⌋.
    static func era(of epoch: UInt64) -> Int { 63 - (epoch &+ 1).leadingZeroBitCount }
    /// Era `era`'s first epoch: 2^era − 1.
    static func firstEpoch(era: Int) -> UInt64 { era >= 64 ? .max : (1 << UInt64(era)) - 1 }
}
