public import TalonProtocol
import TalonStore

/// The outcome of appending one batch.
public struct AppliedBlock: Sendable {
    public let block: Block
    /// SHA-256 of the block header.
    public let hash: Digest
    /// One receipt per envelope, in batch order.
    public let receipts: [Receipt]
}

extension Ledger {
    /// Applies a batch of admitted envelopes as one block exactly as given, repeats included,
    /// in one LMDB transaction: the block, every state change, every index and the new height
    /// commit together or not at all. The write path drops repeats first
    /// (`apply(_:timestamp:logIndex:)`); replay uses this to make a stored block again.
    ///
    /// Envelopes that break a rule stay in the block with their reason code. The block's
    /// timestamp is `timestamp`, raised to the previous block's if it is earlier, so every
    /// node applying the same batch computes the same bytes. Signatures are not re-checked
    /// here: callers `admit` first, or `Envelope.admit(chainID:)` on the single-process path
    /// (`verify` re-checks them offline).
    /// - Throws: `TalonError(.invalidBatch)` for an empty or oversized batch, store errors.
    @discardableResult
    public func apply(_ envelopes: [Envelope], timestamp: Int64) throws(TalonError) -> AppliedBlock {
        guard !envelopes.isEmpty, envelopes.count <= Limits.envelopesPerBlock else {
            throw TalonError(.invalidBatch, "a block holds 1–\(Limits.envelopesPerBlock) envelopes, got \(envelopes.count)")
        }
        return try Self.store {
            try env.write { txn in try self.applyBlock(txn, envelopes, timestamp) }
        }
    }

    func applyBlock(_ txn: Transaction, _ envelopes: [Envelope], _ timestamp: Int64) throws -> AppliedBlock {
        let t = tables
        let head = try self.head(txn)
        let height = head.height + 1
        let blockTime = max(timestamp, head.timestamp)
        var frontier = try MerkleFrontier(nodes: StoredMerkleNodes(txn: txn, tables: t), size: head.treeSize)
        // Envelope hashes, nonces and holder histories are indexed in bulk (RecentLeafKeys);
        // a store without a mark has every leaf so far indexed.
        let indexed = try indexedThrough(txn, size: head.treeSize, marking: true)
        try alignRecentKeys(txn, indexed: indexed, size: head.treeSize)
        var entries: [Block.Entry] = []
        var receipts: [Receipt] = []
        entries.reserveCapacity(envelopes.count)
        receipts.reserveCapacity(envelopes.count)

        // Upper nodes this block completes, for the proof cache once the block commits.
        var upper: [MerkleFrontier.CompletedNode] = []
        // Each envelope's keys in `envelope_hashes`, once: apply looks its nonce up by them,
        // then memory files it under them.
        let keys = envelopes.map { Self.indexKeys($0, hash: $0.hash) }
        let context = ApplyContext(txn: txn, tables: t, height: height, admins: Set(genesis.genesis.admins), chainID: chainID,
                                   timestamp: blockTime, contracts: contracts) { [self] signer, nonce, leaf in
            try EnvelopeLookup(self, txn, indexed: indexed, size: leaf)
                .nonceSpent(signer, nonce, prefix: keys[Int(leaf - head.treeSize)].nonce)
        }
        for (position, envelope) in envelopes.enumerated() {
            let leaf = head.treeSize + UInt64(position)
            let (entry, holders) = try context.apply(envelope, leaf: leaf)
            let receipt = Receipt(leaf: leaf, height: height, position: UInt32(position), result: entry.result)

            try t.envelopes.put(txn, leaf, envelope, append: true)
            try txn.put(t.receipts, Schema.u64(leaf), receipt.bytes, append: true)
            // Holder histories are written in bulk too: until then the leaf's holders wait
            // here, an append, and in memory.
            if !holders.isEmpty { try txn.put(t.pendingHolders, Schema.u64(leaf), Schema.holderList(holders), append: true) }
            // A block the write path made holds no repeat (`apply(_:timestamp:logIndex:)`); in
            // one given whole (a test, a replay of an older chain) lookups find the first leaf.
            var leafKeys = keys[position]
            leafKeys.holders = holders
            recentKeys.append(leaf: leaf, keys: leafKeys)
            // Leaf hashes are computed from the envelopes when read (StoredMerkleNodes).
            for node in frontier.append(leafHash: MerkleHash.leaf(envelope.bytes)) where node.level > 0 {
                try txn.put(t.merkle, Schema.merkleKey(level: node.level, index: node.index), node.hash.bytes, append: true)
                if node.level >= MerkleNodeCache.firstLevel { upper.append(node) }
            }
            entries.append(entry)
            receipts.append(receipt)
        }

        let block = Block(
            height: height, prev: head.blockHash, timestamp: blockTime,
            entries: entries, treeSize: frontier.size, treeRoot: frontier.root())
        // The header once: stored with the block and hashed for the receipt.
        let header = block.header
        try txn.put(t.blocks.table, height.storeBytes, block.bytes(header: header), append: true)
        try txn.put(t.meta, Schema.MetaKey.height, Schema.u64(height))
        if recentKeys.flushDue(indexed: indexed, size: frontier.size) {
            try flushIndexes(txn, indexed: indexed, size: frontier.size)
        }
        if !upper.isEmpty { txn.afterCommit { [merkleCache] in merkleCache.keep(upper) } }
        return AppliedBlock(block: block, hash: header.hash, receipts: receipts)
    }
}
