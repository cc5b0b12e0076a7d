import TalonProtocol
import TalonStore

extension Ledger {
    /// Finds stored envelopes by hash, or by signer and nonce, on one snapshot:
    /// `envelope_hashes` for the leaves below the store's `hash_index_through`, the newest
    /// leaves' keys in memory (`RecentEnvelopeHashes`) above it, and the stored blocks and
    /// envelopes for any of those the memory does not hold. Every candidate is checked
    /// against its stored envelope, so a shared prefix never gives a wrong answer.
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

        /// Over the leaves below `size` only (apply: those before the envelope it applies).
        init(_ ledger: Ledger, _ txn: Transaction, indexed: UInt64, size: UInt64) {
            self.ledger = ledger; self.txn = txn; self.indexed = indexed; self.size = size
        }

        /// True when a leaf holds an envelope of this chain signed by `signer` with `nonce`:
        /// the nonce is spent (the first such envelope spent it; later ones were refused
        /// with `nonce_reused`, and wrong-chain ones spend nothing).
        /// `prefix`: their `Schema.noncePrefixValue`, when the caller has it already.
        func nonceSpent(_ signer: PublicKey, _ nonce: UInt64, prefix known: UInt64? = nil) throws -> Bool {
            let prefix = known ?? Schema.noncePrefixValue(signer: signer, nonce: nonce)
            let spends = { (leaf: UInt64) throws -> Bool in try self.spends(leaf, signer, nonce) }
            for leaf in try txn.members(ledger.tables.envelopeHashes, Schema.u64(prefix)) where leaf < size {
                if try spends(leaf) { return true }
            }
            guard indexed < size else { return false }
            let (recent, held) = ledger.recentHashes.leaves(prefix, in: indexed..<size)
            for leaf in recent where try spends(leaf) { return true }
            for leaf in indexed..<held.lowerBound where try spends(leaf) { return true }
            for leaf in held.upperBound..<size where try spends(leaf) { return true }
            return false
        }

        private func spends(_ leaf: UInt64, _ signer: PublicKey, _ nonce: UInt64) throws -> Bool {
            let envelope = try ledger.storedEnvelope(txn, leaf)
            return envelope.signer == signer && envelope.nonce == nonce && envelope.chainID.utf8.elementsEqual(ledger.chainID.utf8)
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
            try SHA256.hash(ledger.storedEnvelopeBytes(txn, leaf)) == hash
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

    /// The bytes of the envelope stored at `leaf`, which an index or a block named.
    /// - Throws: `TalonError(.storeCorrupt)` when it holds none.
    func storedEnvelopeBytes(_ txn: Transaction, _ leaf: UInt64) throws -> [UInt8] {
        guard let bytes = try txn.get(tables.envelopes.table, Schema.u64(leaf)) else {
            throw TalonError(.storeCorrupt, "the envelope index names leaf \(leaf), which holds no envelope")
        }
        return bytes
    }

    /// The envelope stored at `leaf` (`storedEnvelopeBytes`, decoded).
    func storedEnvelope(_ txn: Transaction, _ leaf: UInt64) throws -> Envelope {
        try Envelope(storeBytes: storedEnvelopeBytes(txn, leaf))
    }

    /// An envelope's keys in `envelope_hashes`: its hash prefix and its signer-and-nonce prefix.
    static func indexKeys(_ envelope: Envelope, hash: Digest) -> RecentEnvelopeHashes.Keys {
        .init(hash: Schema.hashPrefixValue(hash), nonce: Schema.noncePrefixValue(signer: envelope.signer, nonce: envelope.nonce))
    }

    /// The index keys of the envelopes at `leaves`, in order (hashes as their blocks record them).
    func storedIndexKeys(_ txn: Transaction, _ leaves: Range<UInt64>) throws -> [RecentEnvelopeHashes.Keys] {
        try zip(leaves, storedEnvelopeHashes(txn, leaves)).map { leaf, hash in Self.indexKeys(try storedEnvelope(txn, leaf), hash: hash) }
    }

    /// Brings the newest envelopes' keys in memory in step with the store (on open, and
    /// before each block is applied).
    func alignRecentHashes(_ txn: Transaction, indexed: UInt64, size: UInt64) throws {
        try recentHashes.align(indexed: indexed, size: size) { leaves in try storedIndexKeys(txn, leaves) }
    }

    /// Indexes the envelopes of leaves `indexed..<size` in `envelope_hashes` in key order, by
    /// hash and by signer and nonce, and moves `hash_index_through` to `size`; memory forgets
    /// them once a later flush commits.
    func flushHashIndex(_ txn: Transaction, indexed: UInt64, size: UInt64) throws {
        let entries = try recentHashes.entries(in: indexed..<size)
            ?? RecentEnvelopeHashes.entries(storedIndexKeys(txn, indexed..<size), from: indexed)
        for entry in entries { try txn.append(tables.envelopeHashes, Schema.u64(entry.prefix), entry.leaf) }
        try txn.put(tables.meta, Schema.MetaKey.hashIndexThrough, Schema.u64(size))
        txn.afterCommit { [recentHashes] in recentHashes.drop(below: indexed) }
    }
}
