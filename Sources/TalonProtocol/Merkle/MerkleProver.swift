
/// Roots and RFC 6962 proofs for any size up to `size` of a stored tree, using O(log n) node reads each.
///
/// Perfect aligned subtrees are read directly from `nodes`; the one partial subtree on a right edge is
/// folded from its perfect pieces. Proofs are ordered leaf-side first, as in RFC 6962 §2.1.1 and §2.1.2.
public struct MerkleProver<Nodes: MerkleNodeReader> {
    /// The store of complete-subtree nodes.
    public let nodes: Nodes
    /// The number of leaves the store is known to hold; larger sizes are refused.
    public let size: UInt64

    /// A prover over the first `size` leaves of `nodes`; every perfect node inside them must be readable.
    public init(nodes: Nodes, size: UInt64) {
        self.nodes = nodes
        self.size = size
    }

    /// The RFC 6962 MTH of the whole stored tree.
    public func root() throws -> Digest {
        try root(size: size)
    }

    /// The RFC 6962 MTH of the first `size` leaves (`MerkleHash.emptyRoot` for 0); throws `proof_out_of_range` past the stored size.
    public func root(size treeSize: UInt64) throws -> Digest {
        try checkStored(treeSize)
        return treeSize == 0 ? MerkleHash.emptyRoot : try subtreeHash(start: 0, count: treeSize)
    }

    /// The RFC 6962 PATH(leafIndex, D[size]); throws `proof_out_of_range` unless leafIndex < size <= stored size.
    public func inclusionProof(leafIndex: UInt64, size treeSize: UInt64) throws -> [Digest] {
        try checkStored(treeSize)
        guard leafIndex < treeSize else {
            throw TalonError.outOfRange("leaf index \(leafIndex) is not below tree size \(treeSize)")
        }
        // Walk from the root down to the leaf, collecting the sibling of each subtree on the way.
        var siblings: [Digest] = []
        var start: UInt64 = 0
        var count = treeSize
        var m = leafIndex
        while count > 1 {
            let k = Self.largestPowerOfTwo(below: count)
            if m < k {
                siblings.append(try subtreeHash(start: start + k, count: count - k))
                count = k
            } else {
                siblings.append(try subtreeHash(start: start, count: k))
                start += k
                m -= k
                count -= k
            }
        }
        return siblings.reversed()
    }

    /// The RFC 6962 PROOF(from, D[to]); empty when from is 0 or from == to; throws `proof_out_of_range` unless from <= to <= stored size.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws -> [Digest] {
        try checkStored(newSize)
        guard oldSize <= newSize else {
            throw TalonError.outOfRange("old tree size \(oldSize) is larger than new tree size \(newSize)")
        }
        if oldSize == 0 || oldSize == newSize { return [] }
        // SUBPROOF(m, D[start, start+count), b), unrolled from the root down.
        var proof: [Digest] = []
        var start: UInt64 = 0
        var count = newSize
        var m = oldSize
        var isOldRoot = true
        while m != count {
            let k = Self.largestPowerOfTwo(below: count)
            if m <= k {
                proof.append(try subtreeHash(start: start + k, count: count - k))
                count = k
            } else {
                proof.append(try subtreeHash(start: start, count: k))
                start += k
                m -= k
                count -= k
                isOldRoot = false
            }
        }
        if !isOldRoot {
            proof.append(try subtreeHash(start: start, count: count))
        }
        return proof.reversed()
    }

    private func checkStored(_ treeSize: UInt64) throws {
        guard treeSize <= size else {
            throw TalonError.outOfRange("tree size \(treeSize) is larger than the stored tree (\(size) leaves)")
        }
    }

    /// MTH of leaves [start, start + count), count >= 1, where start is a multiple of the smallest power of two >= count
    /// (true of every subtree RFC 6962's recursion visits). Reads one node per set bit of count.
    private func subtreeHash(start: UInt64, count: UInt64) throws -> Digest {
        var pieces: [Digest] = []
        var pieceStart = start
        var remaining = count
        while remaining > 0 {
            let level = 63 - remaining.leadingZeroBitCount
            pieces.append(try nodes.node(level: level, index: pieceStart >> UInt64(level)))
            pieceStart &+= 1 << UInt64(level)
            remaining -= 1 << UInt64(level)
        }
        var r = pieces.removeLast()
        for piece in pieces.reversed() {
            r = MerkleHash.node(piece, r)
        }
        return r
    }

    /// The largest power of two strictly below n, for n >= 2 (the RFC 6962 split point k).
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        1 << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}

extension MerkleProver: Sendable where Nodes: Sendable {}
