import Dispatch
import Synchronization
import TalonProtocol

/// The index keys of the newest leaves, which the bulk-written indexes do not hold yet: each
/// leaf's hash prefix and signer-and-nonce prefix (`envelope_hashes`), and the holders whose
/// history names it (`key_sets`).
///
/// Each envelope's hash is random, so indexing it as it is applied writes a page of its own
/// once the index has more leaf pages than a block has envelopes; the nonces a signer spent
/// and the holders a transfer moves a ticket between are as random. Instead apply indexes
/// leaves in bulk: the indexes hold every leaf below `indexed_through` (meta), and every
/// `flushEnvelopes` leaves (`flushDue`), one transaction writes those gathered in key
/// order, touching each index page at most once. Lookups (`EnvelopeLookup`) read the
/// indexes for the leaves below that mark and this memory for the leaves above it, falling
/// back to the store for any leaf it does not hold (a store written by another process, a
/// snapshot older than two flushes): hashes from the blocks, signers and nonces from the
/// envelopes, holders from `pending_holders`, which keeps each unindexed leaf's holders
/// until its flush.
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
    /// Which member of a cluster this ledger flushes as.
    let share: FlushShare

    /// Flushes every `flushEnvelopes` leaves, as the tree grows past `share.position` /
    /// `share.count` of each run of them: members of one cluster, each at its own position,
    /// flush at different blocks, so the tens of milliseconds a flush takes stall one member
    /// at a time (the leader and the other follower go on meanwhile).
    init(flushEnvelopes: UInt64 = RecentLeafKeys.flushEnvelopes, share: FlushShare = .alone) {
        self.flushEnvelopes = max(1, flushEnvelopes)
        self.share = share
    }

    /// True when a block that grew the tree to `size` leaves, with `indexed` of them indexed,
    /// must flush: it crossed this ledger's flush point since the last flush. At most
    /// `flushEnvelopes` and a block wait for a flush, whatever the offset.
    func flushDue(indexed: UInt64, size: UInt64) -> Bool {
        let shift = flushEnvelopes - share.offset(in: flushEnvelopes)
        return (size + shift) / flushEnvelopes > (indexed + shift) / flushEnvelopes
    }

    /// One leaf's index keys.
    struct Keys: Equatable, Sendable {
        var hash: UInt64
        var nonce: UInt64
        /// The holders whose history names the leaf, each once.
        var holders: [PublicKey] = []
    }

    private let held = Mutex(Held())

    /// The leaves held.
    var range: Range<UInt64> { held.withLock { $0.from..<$0.through } }

    /// Of the leaves in `range`: those held with a key (of either kind) `prefix`, and the part
    /// of `range` held (which may be empty, or a part at either end).
    func leaves(_ prefix: UInt64, in range: Range<UInt64>) -> (leaves: [UInt64], held: Range<UInt64>) {
        held.withLock { held in held.members(of: range) { $0.leaves[prefix] } }
    }

    /// Of the leaves in `range`: those held whose holders include `holder`, and the part of
    /// `range` held.
    func leaves(holder: PublicKey, in range: Range<UInt64>) -> (leaves: [UInt64], held: Range<UInt64>) {
        held.withLock { held in held.members(of: range) { $0.histories[holder] } }
    }

    /// Makes the held range cover exactly `indexed..<size` or more below it: drops leaves
    /// from `size` up (an aborted transaction's), starts over at `indexed` when what is held
    /// does not reach it, and adds the missing leaves' keys, which `read` gives for a range of
    /// leaves, in order. `indexed` must not be past `size`.
    func align(indexed: UInt64, size: UInt64, read: (Range<UInt64>) throws -> [Keys]) rethrows {
        precondition(indexed <= size, "callers check the mark against the tree")
        let missing = held.withLock { held -> Range<UInt64> in
            while held.through > size, held.from < held.through { held.removeLast() }
            if held.through < indexed || held.from > indexed { held.reset(at: indexed) }
            return held.through..<size
        }
        guard !missing.isEmpty else { return }
        let keys = try read(missing)
        held.withLock { held in
            guard held.through == missing.lowerBound else { return }
            for leafKeys in keys { held.add(leafKeys) }
        }
    }

    /// Adds the next leaf's keys; `leaf` must be the first leaf not held (else what is held
    /// starts over at `leaf`, and lookups read the stored blocks and envelopes below it).
    func append(leaf: UInt64, keys: Keys) {
        held.withLock { held in
            if leaf != held.through { held.reset(at: leaf) }
            held.add(keys)
        }
    }

    /// Starts a new generation at `leaf`, the first leaf not held (a flush's end): the
    /// flush after next forgets the leaves before it whole (`drop(below:)`).
    func startGeneration(at leaf: UInt64) {
        held.withLock { held in
            guard leaf == held.through, held.generations[held.generations.count - 1].from < leaf else { return }
            held.generations.append(Generation(from: leaf))
        }
    }

    /// The keys of the leaves of `range`, in leaf order, or nil when some leaf of `range` is
    /// not held.
    func keys(in range: Range<UInt64>) -> [Keys]? {
        held.withLock { held in held.keys(in: range) }
    }

    /// `keys` of the leaves from `first` on, under each prefix, in leaf order (a leaf whose two
    /// prefixes are the same number once).
    static func entries(_ keys: some Collection<Keys>, from first: UInt64) -> [(prefix: UInt64, leaf: UInt64)] {
        var out: [(prefix: UInt64, leaf: UInt64)] = []
        out.reserveCapacity(2 * keys.count)
        for (offset, k) in keys.enumerated() {
            out.append((k.hash, first + UInt64(offset)))
            if k.nonce != k.hash { out.append((k.nonce, first + UInt64(offset))) }
        }
        return out
    }

    /// Forgets the leaves below `leaf` (indexed since a flush before the last one committed):
    /// whole generations at once, freed off the caller's thread; one that `leaf` splits
    /// (memory started over inside it) leaf by leaf.
    func drop(below leaf: UInt64) {
        let dropped = held.withLock { held in held.drop(below: leaf) }
        guard !dropped.isEmpty else { return }
        DispatchQueue.global(qos: .utility).async { withExtendedLifetime(dropped) {} }
    }
}

extension RecentLeafKeys {
    /// The leaves held, as generations that follow each other (never none).
    private struct Held {
        var generations = [Generation(from: 0)]
        var from: UInt64 { generations[0].from }
        var through: UInt64 { generations[generations.count - 1].through }

        mutating func reset(at leaf: UInt64) { generations = [Generation(from: leaf)] }

        mutating func add(_ keys: Keys) { generations[generations.count - 1].add(keys) }

        /// Removes the last leaf held, and any generation it leaves empty but the first.
        mutating func removeLast() {
            while generations.count > 1, generations[generations.count - 1].keys.isEmpty { generations.removeLast() }
            generations[generations.count - 1].removeLast()
        }

        /// The members `list` gives in each generation, within `range`, in leaf order.
        func members(of range: Range<UInt64>, _ list: (Generation) -> [UInt64]?) -> (leaves: [UInt64], held: Range<UInt64>) {
            let lower = max(range.lowerBound, from), upper = min(range.upperBound, through)
            guard lower < upper else { return ([], range.lowerBound..<range.lowerBound) }
            // A leaf whose two prefixes are the same number is listed twice: once is enough.
            var found: [UInt64] = []
            for generation in generations where generation.from < upper && generation.through > lower {
                for leaf in list(generation) ?? [] where leaf >= lower && leaf < upper && found.last != leaf { found.append(leaf) }
            }
            return (found, lower..<upper)
        }

        /// The keys of the leaves of `range`, or nil when some are not held.
        func keys(in range: Range<UInt64>) -> [Keys]? {
            guard range.lowerBound >= from, range.upperBound <= through else { return nil }
            var out: [Keys] = []
            out.reserveCapacity(range.count)
            for generation in generations where generation.from < range.upperBound && generation.through > range.lowerBound {
                let start = Int(max(range.lowerBound, generation.from) - generation.from)
                let end = Int(min(range.upperBound, generation.through) - generation.from)
                out += generation.keys[start..<end]
            }
            return out
        }

        /// Forgets the leaves below `leaf`; returns the generations taken out whole.
        mutating func drop(below leaf: UInt64) -> [Generation] {
            var dropped: [Generation] = []
            while generations.count > 1, generations[0].through <= leaf { dropped.append(generations.removeFirst()) }
            if generations[0].through <= leaf {
                // All of it: what follows starts where it ended.
                let end = generations[0].through
                dropped.append(generations[0])
                reset(at: end)
            } else if generations[0].from < leaf {
                generations[0].dropFirst(Int(leaf - generations[0].from))
            }
            return dropped
        }
    }

    /// A run of leaves held, with their keys and the lists that find them.
    fileprivate struct Generation: Sendable {
        /// Leaves `from..<from + keys.count`; `keys[i]` is leaf `from + i`'s.
        var from: UInt64
        var keys: [Keys] = []
        /// Prefix (of either kind) → its leaves, increasing.
        var leaves: [UInt64: [UInt64]] = [:]
        /// Holder → the leaves naming it, increasing.
        var histories: [PublicKey: [UInt64]] = [:]
        var through: UInt64 { from + UInt64(keys.count) }

        init(from: UInt64) { self.from = from }

        mutating func add(_ k: Keys) {
            let leaf = through
            keys.append(k)
            leaves[k.hash, default: []].append(leaf)
            leaves[k.nonce, default: []].append(leaf)
            for holder in k.holders { histories[holder, default: []].append(leaf) }
        }

        mutating func removeLast() {
            guard let last = keys.popLast() else { return }
            Self.forget(last.nonce, in: &leaves, first: false)
            Self.forget(last.hash, in: &leaves, first: false)
            for holder in last.holders { Self.forget(holder, in: &histories, first: false) }
        }

        /// Forgets the first `count` leaves. A prefix names a leaf or two, so each is removed
        /// from its list's front; a holder's list can be long, so each holder is trimmed once,
        /// of all its leaves below the new start.
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
}
