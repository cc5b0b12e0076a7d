
/// Pure RFC 9162 proof verification; needs only SHA-256, never throws or traps, and returns false on any malformed input.
public enum MerkleVerifier {
    /// True iff `proof` is exactly the RFC 9162 §2.1.3.2 inclusion path of `leafHash` at `index` in the tree of `size` with `root`.
    public static func verifyInclusion(leafHash: Digest, index: UInt64, size: UInt64, proof: [Digest], root: Digest) -> Bool {
        // 1. The leaf must be inside the tree (this also rules out size 0).
        guard index < size else { return false }
        // 2-3.
        var fn = index
        var sn = size - 1
        var r = leafHash
        // 4.
        for p in proof {
            // 4a. More proof elements than tree levels.
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        // 5. sn != 0 means the proof was too short.
        return sn == 0 && r == root
    }

    /// True iff `proof` is exactly the RFC 9162 §2.1.4.2 consistency proof from (`oldSize`, `oldRoot`) to (`newSize`, `newRoot`).
    ///
    /// Edge cases: equal sizes need an empty proof and equal roots; old size 0 needs an empty proof and
    /// `oldRoot == MerkleHash.emptyRoot`; an old size larger than the new size is never consistent.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: Digest, newRoot: Digest, proof: [Digest]) -> Bool {
        guard oldSize <= newSize else { return false }
        if oldSize == 0 {
            // The empty tree is a prefix of every tree; its root is fixed.
            return proof.isEmpty && oldRoot == MerkleHash.emptyRoot && (newSize != 0 || newRoot == MerkleHash.emptyRoot)
        }
        if oldSize == newSize {
            return proof.isEmpty && oldRoot == newRoot
        }
        // 0 < oldSize < newSize from here on.
        // 1.
        guard !proof.isEmpty else { return false }
        // 2. When the old tree is perfect its root is a node of the new tree and is not sent.
        var path = proof
        if oldSize & (oldSize - 1) == 0 {
            path.insert(oldRoot, at: 0)
        }
        // 3.
        var fn = oldSize - 1
        var sn = newSize - 1
        // 4.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // 5.
        var fr = path[0]
        var sr = path[0]
        // 6.
        for c in path.dropFirst() {
            // 6a. More proof elements than tree levels.
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        // 7.
        return sn == 0 && fr == oldRoot && sr == newRoot
    }
}
