/// RFC 9162's proof checks, written from the RFC rather than from Talon's prover or verifier.
public enum RFC9162 {
    /// An interior node's hash: SHA-256 of 0x01 · left · right.
    public static func node(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] { FormatModel.sha256([1] + left + right) }

    /// Section 2.1.3.2: the root an inclusion proof leads to, or nil when it is malformed.
    public static func root(leaf: UInt64, size: UInt64, leafHash: [UInt8], path: [[UInt8]]) -> [UInt8]? {
        guard leaf < size else { return nil }
        var fn = leaf, sn = size - 1, r = leafHash
        for p in path {
            guard sn != 0 else { return nil }
            if fn & 1 == 1 || fn == sn {
                r = node(p, r)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                r = node(r, p)
            }
            fn >>= 1; sn >>= 1
        }
        return sn == 0 ? r : nil
    }

    /// Section 2.1.4.2: whether `path` proves the tree of `second` leaves extends the one of `first`.
    public static func consistent(first: UInt64, second: UInt64, firstRoot: [UInt8], secondRoot: [UInt8], path: [[UInt8]]) -> Bool {
        if first == second { return path.isEmpty && firstRoot == secondRoot }
        guard first > 0, first < second, !path.isEmpty else { return false }
        var proof = path
        if first & (first - 1) == 0 { proof.insert(firstRoot, at: 0) }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = proof[0], sr = proof[0]
        for c in proof.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = node(c, fr); sr = node(c, sr)
                if fn & 1 == 0 { while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 } }
            } else {
                sr = node(sr, c)
            }
            fn >>= 1; sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}
