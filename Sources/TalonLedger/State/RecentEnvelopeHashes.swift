import Synchronization
import TalonProtocol

/// The hash prefixes of the newest envelopes, which `envelope_hashes` does not index yet.
///
/// Each envelope's hash is random, so indexing it as it is applied writes a page of its own
/// once the index has more leaf pages than a block has envelopes — about a third of a
/// node's page writes per transfer. Instead apply indexes envelopes in bulk: the index
/// holds every leaf below `hash_index_through` (meta), and once `flushEnvelopes` more have
/// gathered, one transaction writes them in key order, touching each index page at most once.
/// Lookups (`EnvelopeLookup`) read the index for the leaves below that mark and this memory
/// for the leaves above it, falling back to the hashes the stored blocks record for any leaf
/// it does not hold (a store written by another process, a snapshot older than two flushes).
///
/// Holds a contiguous range of leaves. The writer keeps it in step with the store
/// (`align` before each block, `append` per envelope, `drop(below:)` once a flush commits);
/// readers take only leaves below their own snapshot's tree size, so entries of a
/// transaction not yet committed — or aborted, and cut off at the next `align` — are never
/// seen by anyone else.
final class RecentEnvelopeHashes: Sendable {
    /// How many unindexed envelopes make apply write them to the index, by default.
    static let flushEnvelopes: UInt64 = 16_384
    /// How many make it here.
    let flushEnvelopes: UInt64

    init(flushEnvelopes: UInt64 = RecentEnvelopeHashes.flushEnvelopes) { self.flushEnvelopes = max(1, flushEnvelopes) }

    private struct Held {
        /// Leaves `from..<from + prefixes.count` are held; `prefixes[i]` is leaf `from + i`'s.
        var from: UInt64 = 0
        var prefixes: [UInt64] = []
        /// Prefix → its leaves, increasing.
        var leaves: [UInt64: [UInt64]] = [:]
        var through: UInt64 { from + UInt64(prefixes.count) }

        mutating func reset(at leaf: UInt64) {
            from = leaf
            prefixes = []
            leaves = [:]
        }

        mutating func removeLast() {
            guard let prefix = prefixes.popLast() else { return }
            leaves[prefix]?.removeLast()
            if leaves[prefix]?.isEmpty == true { leaves[prefix] = nil }
        }
    }

    private let held = Mutex(Held())

    /// The leaves held.
    var range: Range<UInt64> { held.withLock { $0.from..<$0.through } }

    /// Of the leaves in `range`: those held whose prefix is `prefix`, and the part of `range`
    /// held (which may be empty, or a part at either end).
    func leaves(_ prefix: UInt64, in range: Range<UInt64>) -> (leaves: [UInt64], held: Range<UInt64>) {
        held.withLock { held in
            let lower = max(range.lowerBound, held.from), upper = min(range.upperBound, held.through)
            guard lower < upper else { return ([], range.lowerBound..<range.lowerBound) }
            let found = held.leaves[prefix]?.filter { $0 >= lower && $0 < upper } ?? []
            return (found, lower..<upper)
        }
    }

    /// Makes the held range cover exactly `indexed..<size` or more below it: drops leaves
    /// from `size` up (an aborted transaction's), starts over at `indexed` when what is held
    /// does not reach it, and adds the missing leaves' prefixes, which `read` gives for a
    /// range of leaves, in order. `indexed` must not be past `size`.
    func align(indexed: UInt64, size: UInt64, read: (Range<UInt64>) throws -> [UInt64]) rethrows {
        precondition(indexed <= size, "callers check the mark against the tree")
        let missing = held.withLock { held -> Range<UInt64> in
            while held.through > size, !held.prefixes.isEmpty { held.removeLast() }
            if held.through < indexed || held.from > indexed { held.reset(at: indexed) }
            return held.through..<size
        }
        guard !missing.isEmpty else { return }
        let prefixes = try read(missing)
        held.withLock { held in
            guard held.through == missing.lowerBound else { return }
            for prefix in prefixes { Self.add(prefix, to: &held) }
        }
    }

    /// Adds the next leaf's prefix; `leaf` must be the first leaf not held (else what is held
    /// starts over at `leaf`, and lookups hash the stored envelopes below it).
    func append(leaf: UInt64, prefix: UInt64) {
        held.withLock { held in
            if leaf != held.through { held.reset(at: leaf) }
            Self.add(prefix, to: &held)
        }
    }

    /// The held leaves of `range` with their prefixes, ordered by prefix then leaf (the
    /// index's key order), or nil when some leaf of `range` is not held.
    func entries(in range: Range<UInt64>) -> [(prefix: UInt64, leaf: UInt64)]? {
        held.withLock { held in
            guard range.lowerBound >= held.from, range.upperBound <= held.through else { return nil }
            let start = Int(range.lowerBound - held.from)
            return held.prefixes[start..<start + range.count].enumerated()
                .map { (prefix: $0.element, leaf: range.lowerBound + UInt64($0.offset)) }
                .sorted { ($0.prefix, $0.leaf) < ($1.prefix, $1.leaf) }
        }
    }

    /// Forgets the leaves below `leaf` (indexed since a flush before the last one committed).
    func drop(below leaf: UInt64) {
        held.withLock { held in
            guard leaf > held.from else { return }
            let count = Int(min(leaf, held.through) - held.from)
            for prefix in held.prefixes[..<count] {
                held.leaves[prefix]?.removeFirst()
                if held.leaves[prefix]?.isEmpty == true { held.leaves[prefix] = nil }
            }
            held.prefixes.removeFirst(count)
            held.from += UInt64(count)
        }
    }

    private static func add(_ prefix: UInt64, to held: inout Held) {
        held.prefixes.append(prefix)
        held.leaves[prefix, default: []].append(held.from + UInt64(held.prefixes.count - 1))
    }
}
