/// A split-block Bloom filter over 64-bit keys: `mayContain` is true for every key inserted,
/// and false for all but about one in two hundred others (at `bitsPerKey` per key of its
/// capacity). Each key sets one bit in each of the eight 32-bit words of one 256-bit block,
/// so a probe reads one cache line.
///
/// Keys are placed by a keyed mix (`seed`, random per filter by default): the prefixes it is
/// given come from envelope hashes a submitter can grind, and a placement they cannot predict
/// keeps them from crowding one block to make lookups of others slow.
struct PrefixFilter: Sendable {
    static let bitsPerKey = 12
    private static let wordsPerBlock = 8
    /// Odd multipliers, one per word of a block, each picking that word's bit.
    private static let salts: [UInt32] = [0xce1f_7409, 0x27ef_30e5, 0x4d48_8069, 0xf9b1_9231,
                                          0x6498_2cdb, 0x6eff_1597, 0xa9eb_4eab, 0xdbff_81ed]

    private var words: [UInt32]
    private let blocks: UInt64
    private let seed: UInt64

    /// A filter for up to `capacity` keys (more only raise the false-positive rate).
    init(capacity: Int, seed: UInt64 = .random(in: .min ... .max)) {
        let bits = max(1, capacity) * Self.bitsPerKey
        blocks = UInt64((bits + 255) / 256)
        words = [UInt32](repeating: 0, count: Int(blocks) * Self.wordsPerBlock)
        self.seed = seed
    }

    mutating func insert(_ key: UInt64) {
        let (block, bits) = place(key)
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<Self.wordsPerBlock { w[block + i] |= Self.bit(bits, i) }
        }
    }

    /// False only when `key` was never inserted.
    func mayContain(_ key: UInt64) -> Bool {
        let (block, bits) = place(key)
        return words.withUnsafeBufferPointer { w in
            for i in 0..<Self.wordsPerBlock where w[block + i] & Self.bit(bits, i) == 0 { return false }
            return true
        }
    }

    /// The first word of the key's block, and 32 bits that pick a bit in each of its words.
    private func place(_ key: UInt64) -> (block: Int, bits: UInt32) {
        let h = Self.mix(key ^ seed)
        // The high half picks the block (multiply-shift: no division), the low half the bits.
        return (Int(((h >> 32) &* blocks) >> 32) * Self.wordsPerBlock, UInt32(truncatingIfNeeded: h))
    }

    private static func bit(_ bits: UInt32, _ word: Int) -> UInt32 { 1 << ((bits &* salts[word]) >> 27) }

    /// The SplitMix64 finalizer: every input bit moves about half the output bits.
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
