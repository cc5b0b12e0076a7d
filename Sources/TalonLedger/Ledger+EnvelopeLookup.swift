import TalonProtocol
import TalonStore

extension Ledger {
    /// Finds stored envelopes by hash, by signer and nonce, or by holder, on one snapshot:
    /// `envelope_hashes` and `key_sets` for the leaves below the store's `indexed_through`,
    /// the newest leaves' keys in memory (`RecentLeafKeys`) above it, and the stored blocks,
    /// envelopes and `pending_holders` for any of those the memory does not hold. Every
    /// candidate by prefix is checked against its stored envelope, so a shared prefix never
    /// gives a wrong answer.
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
            indexed = try ledger.indexedThrough(txn, size: size)
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
            for leaf in try ledger.hashIndex.leaves(txn, ledger.tables.envelopeHashes, prefix, below: indexed) where try spends(leaf) {
                return true
            }
            guard indexed < size else { return false }
            let memory = ledger.recentKeys.leaves(prefix, in: indexed..<size)
            // Where memory lacks leaves, each is a candidate: its envelope says.
            return try unindexed(indexed..<size, memory) { Array($0) }.contains(where: spends)
        }

        /// The first `limit` leaves after `after` naming `holder` in its history, increasing:
        /// `key_sets` below the mark, then memory, or `pending_holders` where memory lacks a leaf.
        func history(holder: PublicKey, after: UInt64?, limit: Int) throws -> [UInt64] {
            var out = try txn.members(ledger.tables.keySets, Schema.holderHistory(holder), after: after, limit: limit)
            let from = max(indexed, after.map { $0 == .max ? $0 : $0 + 1 } ?? 0)
            guard out.count < limit, from < size else { return out }
            let memory = ledger.recentKeys.leaves(holder: holder, in: from..<size)
            let leaves = try unindexed(from..<size, memory) { try ledger.pendingLeaves(txn, $0, holder: holder) }
            out += leaves.prefix(limit - out.count)
            return out
        }

        /// The leaves of `range` (at or above the mark) that memory lists, `memory.held` being
        /// the part of `range` it holds, and those `stored` finds in the parts it does not
        /// hold (below and above it), in leaf order.
        private func unindexed(_ range: Range<UInt64>, _ memory: (leaves: [UInt64], held: Range<UInt64>),
                               stored: (Range<UInt64>) throws -> [UInt64]) rethrows -> [UInt64] {
            let below = range.lowerBound..<memory.held.lowerBound, above = memory.held.upperBound..<range.upperBound
            if below.isEmpty && above.isEmpty { return memory.leaves }
            return try stored(below) + memory.leaves + stored(above)
        }

        private func spends(_ leaf: UInt64, _ signer: PublicKey, _ nonce: UInt64) throws -> Bool {
            let envelope = try ledger.storedEnvelope(txn, leaf)
            return envelope.signer == signer && envelope.nonce == nonce && envelope.chainID.utf8.elementsEqual(ledger.chainID.utf8)
        }

        /// The first leaf holding the envelope with `hash`, or nil.
        func firstLeaf(_ hash: Digest) throws -> UInt64? {
            let prefix = Schema.hashPrefixValue(hash)
            for leaf in try ledger.hashIndex.leaves(txn, ledger.tables.envelopeHashes, prefix, below: indexed) where try holds(leaf, hash) {
                return leaf
            }
            guard indexed < size else { return nil }
            let memory = ledger.recentKeys.leaves(prefix, in: indexed..<size)
            // Where memory lacks leaves, the stored blocks' hashes name the first match.
            return try unindexed(indexed..<size, memory) { try scan($0, for: hash).map { [$0] } ?? [] }.first { try holds($0, hash) }
        }

        private func holds(_ leaf: UInt64, _ hash: Digest) throws -> Bool {
            try SHA256.hash(ledger.storedEnvelopeBytes(txn, leaf)) == hash
        }

        private func scan(_ leaves: Range<UInt64>, for hash: Digest) throws -> UInt64? {
            guard !leaves.isEmpty else { return nil }
            return try ledger.storedEnvelopeHashes(txn, leaves).firstIndex(of: hash).map { leaves.lowerBound + UInt64($0) }
        }
    }

    /// The leaf below which `envelope_hashes` and `key_sets` index every leaf; nil for a store
    /// whose every leaf is indexed.
    /// - Throws: `TalonError(.storeCorrupt)` for a mark that is not 8 bytes.
    func indexedThrough(_ txn: Transaction) throws -> UInt64? {
        guard let bytes = try txn.get(tables.meta, Schema.MetaKey.indexedThrough) else { return nil }
        guard let leaf = Schema.u64(bytes) else { throw TalonError(.storeCorrupt, "meta indexed_through is not 8 bytes") }
        return leaf
    }

    /// The mark for a tree of `size` leaves (`size` when there is none, then also stored when
    /// `marking`: apply starts a store from before bulk indexing at its next block).
    /// - Throws: `TalonError(.storeCorrupt)` for a damaged mark, or one past the tree.
    func indexedThrough(_ txn: Transaction, size: UInt64, marking: Bool = false) throws -> UInt64 {
        guard let mark = try indexedThrough(txn) else {
            if marking { try txn.put(tables.meta, Schema.MetaKey.indexedThrough, Schema.u64(size)) }
            return size
        }
        guard mark <= size else {
            throw TalonError(.storeCorrupt, "meta indexed_through is \(mark), past the tree's \(size) leaves")
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
    static func indexKeys(_ envelope: Envelope, hash: Digest) -> RecentLeafKeys.Keys {
        .init(hash: Schema.hashPrefixValue(hash), nonce: Schema.noncePrefixValue(signer: envelope.signer, nonce: envelope.nonce))
    }

    /// The index keys of the leaves `leaves`, in order (hashes as their blocks record them,
    /// holders as `pending_holders` keeps them).
    func storedIndexKeys(_ txn: Transaction, _ leaves: Range<UInt64>) throws -> [RecentLeafKeys.Keys] {
        var holders: [UInt64: [PublicKey]] = [:]
        try pendingHolders(txn, leaves) { leaf, keys in holders[leaf] = keys }
        return try zip(leaves, storedEnvelopeHashes(txn, leaves)).map { leaf, hash in
            var keys = Self.indexKeys(try storedEnvelope(txn, leaf), hash: hash)
            keys.holders = holders[leaf] ?? []
            return keys
        }
    }

    /// Visits the leaves of `leaves` that `pending_holders` files holders for, in order.
    /// - Throws: `TalonError(.storeCorrupt)` for an entry that is not a leaf and whole keys.
    func pendingHolders(_ txn: Transaction, _ leaves: Range<UInt64>, _ body: (UInt64, [PublicKey]) throws -> Void) throws {
        guard !leaves.isEmpty else { return }
        try txn.scan(tables.pendingHolders, from: Schema.u64(leaves.lowerBound), to: Schema.u64(leaves.upperBound)) { key, value in
            guard let leaf = Schema.u64(key), let holders = Schema.holders(value) else {
                throw TalonError(.storeCorrupt, "pending_holders holds an entry that is not a leaf's holders")
            }
            try body(leaf, holders)
            return true
        }
    }

    /// The leaves of `leaves` whose pending holders include `holder`, in order.
    func pendingLeaves(_ txn: Transaction, _ leaves: Range<UInt64>, holder: PublicKey) throws -> [UInt64] {
        var out: [UInt64] = []
        try pendingHolders(txn, leaves) { leaf, holders in if holders.contains(holder) { out.append(leaf) } }
        return out
    }

    /// Brings the newest envelopes' keys in memory in step with the store (on open, and
    /// before each block is applied).
    func alignRecentKeys(_ txn: Transaction, indexed: UInt64, size: UInt64) throws {
        try recentKeys.align(indexed: indexed, size: size) { leaves in try storedIndexKeys(txn, leaves) }
    }

    /// Indexes the leaves `indexed..<size` in key order: in `envelope_hashes` by hash and by
    /// signer and nonce, in `key_sets` under each of their holders (whose `pending_holders`
    /// entries it then deletes); moves `indexed_through` to `size`. Memory forgets them once
    /// a later flush commits.
    func flushIndexes(_ txn: Transaction, indexed: UInt64, size: UInt64) throws {
        let keys = try recentKeys.keys(in: indexed..<size) ?? storedIndexKeys(txn, indexed..<size)
        try hashIndex.write(txn, tables.envelopeHashes, RecentLeafKeys.entries(keys, from: indexed), indexed: indexed, size: size)
        // Each holder's leaves, appended holder by holder in key order.
        var histories: [PublicKey: [UInt64]] = [:]
        for (offset, leafKeys) in keys.enumerated() {
            for holder in leafKeys.holders { histories[holder, default: []].append(indexed + UInt64(offset)) }
        }
        var members: [(key: [UInt8], member: UInt64)] = []
        members.reserveCapacity(keys.count)
        for (holder, leaves) in histories.sorted(by: { $0.key < $1.key }) {
            let key = Schema.holderHistory(holder)
            for leaf in leaves { members.append((key, leaf)) }
        }
        try txn.append(tables.keySets, members: members)
        // Every leaf from the mark up is in this flush: the whole table goes.
        try txn.removeAll(tables.pendingHolders)
        try txn.put(tables.meta, Schema.MetaKey.indexedThrough, Schema.u64(size))
        // Memory's next generation starts here: the flush after this one forgets the
        // leaves before it whole.
        recentKeys.startGeneration(at: size)
        txn.afterCommit { [recentKeys] in recentKeys.drop(below: indexed) }
    }
}
