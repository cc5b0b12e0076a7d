import TalonProtocol
import TalonStore

/// Reads of stored blocks that need only part of one: its header, or one entry's hash.
extension Ledger.Tables {
    /// The header of the block at `height`, read from its first bytes without copying its entries.
    func blockHeader(_ txn: Transaction, _ height: UInt64) throws -> BlockHeader {
        guard let prefix = try txn.get(blocks.table, Schema.u64(height), prefix: BlockHeader.size) else {
            throw TalonError(.storeCorrupt, "no block at height \(height)")
        }
        var r = ByteReader(prefix)
        return try BlockHeader(from: &r)
    }

    /// The header of the latest block, or nil before the first.
    func lastBlockHeader(_ txn: Transaction) throws -> BlockHeader? {
        guard let (_, prefix) = try txn.last(blocks.table, prefix: BlockHeader.size) else { return nil }
        var r = ByteReader(prefix)
        return try BlockHeader(from: &r)
    }

    /// The timestamp (ms) of the block at `height`.
    func blockTimestamp(_ txn: Transaction, _ height: UInt64) throws -> Int64 {
        try blockHeader(txn, height).timestamp
    }

    /// The hash of the envelope at `leaf`, which block `height` holds, read from the block's
    /// entry rather than by hashing the envelope (which may be a megabyte of tickets).
    func envelopeHash(_ txn: Transaction, leaf: UInt64, height: UInt64) throws -> Digest {
        guard let bytes = try txn.get(blocks.table, Schema.u64(height)) else {
            throw TalonError(.storeCorrupt, "no block at height \(height)")
        }
        var r = ByteReader(bytes)
        let header = try BlockHeader(from: &r)
        let count = try r.u32()
        guard count == header.count, leaf >= header.firstLeaf, leaf < header.treeSize else {
            throw TalonError(.storeCorrupt, "block \(height) does not hold leaf \(leaf)")
        }
        for _ in 0..<(leaf - header.firstLeaf) {
            try r.skip(32)
            _ = try r.view(max: 64)
            // Version 2 entries end with a decision flag and, when it is 1, the decision hash.
            if header.version >= 2, try r.u8() == 1 { try r.skip(32) }
        }
        return try r.digest()
    }
}
