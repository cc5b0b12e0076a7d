import TalonProtocol
import TalonStore

extension Ledger {
    /// Finds stored envelopes by hash on one snapshot: `envelope_hashes` for the leaves below
    /// the store's `hash_index_through`, the newest leaves' hashes in memory
    /// (`RecentEnvelopeHashes`) above it, and the hashes the stored blocks record for any of
    /// those the memory does not hold. Every candidate is checked against its stored
    /// envelope, so a shared prefix never gives a wrong answer.
    struct EnvelopeLookup {
        let ledger: Ledger
        let txn: Transaction
        /// Leaves below `indexed` are in `envelope_hashes`; leaves `indexed..<size` are not.
        let indexed: UInt64
        let size: UInt64

        init(_ ledger: Ledger, _ txn: Transaction) throws {
            self.ledger = ledger
            self.txn = txn
            size = try ledger.head(txn).treeSize
            indexed = try ledger.hashIndexThrough(txn, size: size)
        }

        /// The first leaf holding the envelope with `hash`, or nil.
        func firstLeaf(_ hash: Digest) throws -> UInt64? {
            let key = Schema.hashPrefix(hash)
            for leaf in try txn.members(ledger.tables.envelopeHashes, key) where try holds(leaf, hash) { return leaf }
            guard indexed < size else { return nil }
            let (recent, held) = ledger.recentHashes.leaves(Schema.hashPrefixValue(hash), in: indexed..<size)
            // In leaf order: below what memory holds, what it holds, above it.
            if let leaf = try scan(indexed..<held.lowerBound, for: hash) { return leaf }
            for leaf in recent where try holds(leaf, hash) { return leaf }
            return try scan(held.upperBound..<size, for: hash)
        }

        private func holds(_ leaf: UInt64, _ hash: Digest) throws -> Bool {
            guard let bytes = try txn.get(ledger.tables.envelopes.table, Schema.u64(leaf)) else {
                throw TalonError(.storeCorrupt, "the envelope index names leaf \(leaf), which holds no envelope")
            }
            return SHA256.hash(bytes) == hash
        }

        private func scan(_ leaves: Range<UInt64>, for hash: Digest) throws -> UInt64? {
            guard !leaves.isEmpty else { return nil }
            return try ledger.storedEnvelopeHashes(txn, leaves).firstIndex(of: hash).map { leaves.lowerBound + UInt64($0) }
        }
    }

    /// The leaf below which `envelope_hashes` indexes every envelope; nil for a store written
    /// before envelopes were indexed in bulk (it indexes them all).
    /// - Throws: `TalonError(.storeCorrupt)` for a mark that is not 8 bytes.
    func hashIndexThrough(_ txn: Transaction) throws -> UInt64? {
        guard let bytes = try txn.get(tables.meta, Schema.MetaKey.hashIndexThrough) else { return nil }
        guard let leaf = Schema.u64(bytes) else { throw TalonError(.storeCorrupt, "meta hash_index_through is not 8 bytes") }
        return leaf
    }

    /// The mark for a tree of `size` leaves (`size` when there is none, then also stored when
    /// `marking`: apply starts a store from before bulk indexing at its next block).
    /// - Throws: `TalonError(.storeCorrupt)` for a damaged mark, or one past the tree.
    func hashIndexThrough(_ txn: Transaction, size: UInt64, marking: Bool = false) throws -> UInt64 {
        guard let mark = try hashIndexThrough(txn) else {
            if marking { try txn.put(tables.meta, Schema.MetaKey.hashIndexThrough, Schema.u64(size)) }
            return size
        }
        guard mark <= size else {
            throw TalonError(.storeCorrupt, "meta hash_index_through is \(mark), past the tree's \(size) leaves")
        }
        return mark
    }

    /// The hashes of the envelopes at `leaves` (all stored), in order, as their blocks record
    /// them: no envelope is read or hashed (an issue may be a megabyte of tickets).
    func storedEnvelopeHashes(_ txn: Transaction, _ leaves: Range<UInt64>) throws -> [Digest] {
        guard !leaves.isEmpty else { return [] }
        guard let last = try tables.lastBlockHeader(txn), leaves.upperBound <= last.treeSize else {
            throw TalonError(.storeCorrupt, "leaves \(leaves) are not all in a stored block")
        }
        // The first block holding `leaves.lowerBound`: the lowest height whose tree reaches past it.
        var low: UInt64 = 1, high = last.height
        while low < high {
            let mid = low + (high - low) / 2
            if try tables.blockHeader(txn, mid).treeSize > leaves.lowerBound { high = mid } else { low = mid + 1 }
        }
        var hashes: [Digest] = []
        hashes.reserveCapacity(leaves.count)
        var height = low
        while hashes.count < leaves.count {
            guard let block = try tables.blocks.get(txn, height) else { throw TalonError(.storeCorrupt, "no block at height \(height)") }
            for (i, entry) in block.entries.enumerated() where leaves.contains(block.firstLeaf + UInt64(i)) {
                hashes.append(entry.envelopeHash)
            }
            height += 1
        }
        return hashes
    }

    /// The hash prefixes of the envelopes at `leaves`, in order.
    func storedHashPrefixes(_ txn: Transaction, _ leaves: Range<UInt64>) throws -> [UInt64] {
        try storedEnvelopeHashes(txn, leaves).map(Schema.hashPrefixValue)
    }

    /// Brings the newest envelopes' hashes in memory in step with the store (on open, and
    /// before each block is applied).
    func alignRecentHashes(_ txn: Transaction, indexed: UInt64, size: UInt64) throws {
        try recentHashes.align(indexed: indexed, size: size) { leaves in try storedHashPrefixes(txn, leaves) }
    }

    /// Indexes the envelopes of leaves `indexed..<size` in `envelope_hashes` in key order, and
    /// moves `hash_index_through` to `size`; memory forgets them once a later flush commits.
    func flushHashIndex(_ txn: Transaction, indexed: UInt64, size: UInt64) throws {
        let entries = try recentHashes.entries(in: indexed..<size)
            ?? zip(storedHashPrefixes(txn, indexed..<size), indexed..<size)
                .map { (prefix: $0.0, leaf: $0.1) }
                .sorted { ($0.prefix, $0.leaf) < ($1.prefix, $1.leaf) }
        for entry in entries { try txn.append(tables.envelopeHashes, Schema.u64(entry.prefix), entry.leaf) }
        try txn.put(tables.meta, Schema.MetaKey.hashIndexThrough, Schema.u64(size))
        txn.afterCommit { [recentHashes] in recentHashes.drop(below: indexed) }
    }
}
