
/// The compact right edge of an append-only RFC 6962 tree: one perfect subtree root per set bit of `size`.
///
/// Appending a leaf hash returns every complete node the append finished, so a store can persist exactly
/// the nodes `MerkleNodeReader` promises; `root()` gives the RFC 6962 MTH of all leaves appended so far.
public struct MerkleFrontier: Sendable, Equatable {
    /// A complete-subtree node finished by an append: its `(level, index)` address and its hash.
    public typealias CompletedNode = (level: Int, index: UInt64, hash: Digest)

    /// The number of leaves in the tree.
    public private(set) var size: UInt64

    /// Roots of the perfect subtrees on the right edge, largest (leftmost) first; one per set bit of `size`.
    private var peaks: [Digest]

    /// The frontier of the empty tree.
    public init() {
        size = 0
        peaks = []
    }

    /// Loads the frontier of the stored tree of `size` leaves by reading its `popcount(size)` right-edge nodes.
    public init(nodes: some MerkleNodeReader, size: UInt64) throws {
        var peaks: [Digest] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (1 << UInt64(level)) != 0 {
            peaks.append(try nodes.node(level: level, index: start >> UInt64(level)))
            start += 1 << UInt64(level)
        }
        self.size = size
        self.peaks = peaks
    }

    /// Appends one leaf hash; returns the completed nodes from the leaf (level 0) upward, each exactly once over the tree's life.
    @discardableResult
    public mutating func append(leafHash: Digest) -> [CompletedNode] {
        precondition(size < UInt64.max, "Merkle tree is full")
        var hash = leafHash
        var level = 0
        var index = size
        var completed: [CompletedNode] = [(level, index, hash)]
        // Each trailing 1 bit of the old size is a perfect subtree of the same height to merge with.
        var carry = size
        while carry & 1 == 1 {
            hash = MerkleHash.node(peaks.removeLast(), hash)
            level += 1
            index >>= 1
            carry >>= 1
            completed.append((level, index, hash))
        }
        peaks.append(hash)
        size += 1
        return completed
    }

    /// The RFC 6962 root of the tree: the peaks folded right to left, or `MerkleHash.emptyRoot` when empty.
    public func root() -> Digest {
        guard var r = peaks.last else { return MerkleHash.emptyRoot }
        for peak in peaks.dropLast().reversed() {
            r = MerkleHash.node(peak, r)
        }
        return r
    }
}
