import Synchronization
import TalonProtocol

/// The index keys of the newest leaves, which the bulk-written indexes do not hold yet: each
/// leaf's hash prefix and signer-and-nonce prefix (`envelope_hashes`), and the holders whose
/// history names it (`key_sets`).
///
/// Each envelope's hash is random, so indexing it as it is applied writes a page of its own
/// once the index has more leaf pages than a block has envelopes; the nonces a signer spent
/// and the holders a transfer moves a ticket between are as random. Instead apply indexes
/// leaves in bulk: the indexes hold every leaf below `indexed_through` (meta), and once
/// `flushEnvelopes` more have gathered, one transaction writes them in key order, touching
/// each index page at most once. Lookups (`EnvelopeLookup`) read the indexes for the leaves
/// below that mark and this memory for the leaves above it, falling back to the store for
/// any leaf it does not hold (a store written by another process, a snapshot older than two
/// flushes): hashes from the blocks, signers and nonces from the envelopes, holders from
/// `pending_holders`, which keeps each unindexed leaf's holders until its flush.
///
/// Holds a contiguous range of leaves. The writer keeps it in step with the store
/// (`align` before each block, `append` per envelope, `drop(below:)` once a flush commits);
/// readers take only leaves below their own snapshot's tree size, so entries of a
/// transaction not yet committed — or aborted, and cut off at the next `align` — are never
/// seen by anyone else.
final class RecentLeafKeys: Sendable {
    /// How many unindexed envelopes make apply write them to the indexes, by default.
    static let flushEnvelopes: UInt64 = 16_384
    /// How many make it here.
    let flushEnvelopes: UInt64

    init(flushEnvelopes: UInt64 = RecentLeafKeys.flushEnvelopes) { self.flushEnvelopes = max(1, flushEnvelopes) }

    /// One leaf's index keys.
    struct Keys: Equatable, Sendable {
        var hash: UInt64
        var nonce: UInt64
        /// The holders whose history names the leaf, each once.
        var holders: [PublicKey] = []
    }

    private struct Held {
        /// Leaves `from..<from + keys.count` are held; `keys[i]` is leaf `from + i`'s.
        var from: UInt64 = 0
        var keys: [Keys] = []
        /// Prefix (of either kind) → its leaves, increasing.
        var leaves: [UInt64: [UInt64]] = [:]
        /// Holder → the leaves naming it, increasing.
        var histories: [PublicKey: [UInt64]] = [:]
        var through: UInt64 { from + UInt64(keys.count) }

        mutating func reset(at leaf: UInt64) {
            from = leaf
            keys = []
            leaves = [:]
            histories = [:]
        }

        mutating func removeLast() {
            guard let last = keys.popLast() else { return }
            Self.forget(last.nonce, in: &leaves, first: false)
            Self.forget(last.hash, in: &leaves, first: false)
            for holder in last.holders { Self.forget(holder, in: &histories, first: false) }
        }

        /// Forgets the first `count` leaves held. A prefix names a leaf or two, so each is
        /// removed from its list's front; a holder's list can be long, so each holder is
        /// trimmed once, of all its leaves below the new start.
        mutating func dropFirst(_ count: Int) {
            let end = from + UInt64(count)
            var holders = Set<PublicKey>()
            for k in keys[..<count] {
                Self.forget(k.hash, in: &leaves, first: true)
                Self.forget(k.nonce, in: &leaves, first: true)
                holders.formUnion(k.holders)
            }
            for holder in holders {
                guard let list = histories[holder] else { continue }
                let below = list.firstIndex { $0 >= end } ?? list.count
                if below == list.count { histories[holder] = nil } else { histories[holder]?.removeFirst(below) }
            }
            keys.removeFirst(count)
            from = end
        }

        private static func forget<K>(_ key: K, in map: inout [K: [UInt64]], first: Bool) {
            if first { map[key]?.removeFirst() } else { map[key]?.removeLast() }
            if map[key]?.isEmpty == true { map[key] = nil }
        }
    }

    private let held = Mutex(Held())

    /// The leaves held.
    var range: Range<UInt64> { held.withLock { $0.from..<$0.through } }

    /// Of the leaves in `range`: those held with a key (of either kind) `prefix`, and the part
    /// of `range` held (which may be empty, or a part at either end).
    func leaves(_ prefix: UInt64, in range: Range<UInt64>) -> (leaves: [UInt64], held: Range<UInt64>) {
        held.withLock { held in Self.members(held.leaves[prefix], of: range, held: held) }
    }

    /// Of the leaves in `range`: those held whose holders include `holder`, and the part of
    /// `range` held.
    func leaves(holder: PublicKey, in range: Range<UInt64>) -> (leaves: [UInt64], held: Range<UInt64>) {
        held.withLock { held in Self.members(held.histories[holder], of: range, held: held) }
    }

    private static func members(_ leaves: [UInt64]?, of range: Range<UInt64>, held: Held) -> (leaves: [UInt64], held: Range<UInt64>) {
        let lower = max(range.lowerBound, held.from), upper = min(range.upperBound, held.through)
        guard lower < upper else { return ([], range.lowerBound..<range.lowerBound) }
        // A leaf whose two prefixes are the same number is listed twice: once is enough.
        var found: [UInt64] = []
        for leaf in leaves ?? [] where leaf >= lower && leaf < upper && found.last != leaf { found.append(leaf) }
        return (found, lower..<upper)
    }

    /// Makes the held range cover exactly `indexed..<size` or more below it: drops leaves
    /// from `size` up (an aborted transaction's), starts over at `indexed` when what is held
    /// does not reach it, and adds the missing leaves' keys, which `read` gives for a range of
    /// leaves, in order. `indexed` must not be past `size`.
    func align(indexed: UInt64, size: UInt64, read: (Range<UInt64>) throws -> [Keys]) rethrows {
        precondition(indexed <= size, "callers check the mark against the tree")
        let missing = held.withLock { held -> Range<UInt64> in
            while held.through > size, !held.keys.isEmpty { held.removeLast() }
            if held.through < indexed || held.from > indexed { held.reset(at: indexed) }
            return held.through..<size
        }
        guard !missing.isEmpty else { return }
        let keys = try read(missing)
        held.withLock { held in
            guard held.through == missing.lowerBound else { return }
            for leafKeys in keys { Self.add(leafKeys, to: &held) }
        }
    }

    /// Adds the next leaf's keys; `leaf` must be the first leaf not held (else what is held
    /// starts over at `leaf`, and lookups read the stored blocks and envelopes below it).
    func append(leaf: UInt64, keys: Keys) {
        held.withLock { held in
            if leaf != held.through { held.reset(at: leaf) }
            Self.add(keys, to: &held)
        }
    }

    /// The held leaves of `range` under each of their prefixes, ordered by prefix then leaf
    /// (the index's key order), or nil when some leaf of `range` is not held.
    func entries(in range: Range<UInt64>) -> [(prefix: UInt64, leaf: UInt64)]? {
        held.withLock { held in
            guard range.lowerBound >= held.from, range.upperBound <= held.through else { return nil }
            let start = Int(range.lowerBound - held.from)
            return Self.entries(held.keys[start..<start + range.count], from: range.lowerBound)
        }
    }

    /// The holders of each leaf of `range`, in leaf order, or nil when some leaf of `range`
    /// is not held.
    func holders(in range: Range<UInt64>) -> [[PublicKey]]? {
        held.withLock { held in
            guard range.lowerBound >= held.from, range.upperBound <= held.through else { return nil }
            let start = Int(range.lowerBound - held.from)
            return held.keys[start..<start + range.count].map(\.holders)
        }
    }

    /// `keys` of the leaves from `first` on, under each prefix, in the index's key order (a
    /// leaf whose two prefixes are the same number once).
    static func entries(_ keys: some Collection<Keys>, from first: UInt64) -> [(prefix: UInt64, leaf: UInt64)] {
        var out: [(prefix: UInt64, leaf: UInt64)] = []
        out.reserveCapacity(2 * keys.count)
        for (offset, k) in keys.enumerated() {
            out.append((k.hash, first + UInt64(offset)))
            if k.nonce != k.hash { out.append((k.nonce, first + UInt64(offset))) }
        }
        return out.sorted { ($0.prefix, $0.leaf) < ($1.prefix, $1.leaf) }
    }

    /// Forgets the leaves below `leaf` (indexed since a flush before the last one committed).
    func drop(below leaf: UInt64) {
        held.withLock { held in
            guard leaf > held.from else { return }
            held.dropFirst(Int(min(leaf, held.through) - held.from))
        }
    }

    private static func add(_ keys: Keys, to held: inout Held) {
        held.keys.append(keys)
        let leaf = held.from + UInt64(held.keys.count - 1)
        held.leaves[keys.hash, default: []].append(leaf)
        held.leaves[keys.nonce, default: []].append(leaf)
        for holder in keys.holders { held.histories[holder, default: []].append(leaf) }
    }
}
