import TalonProtocol
import TalonStore

/// The ledger's Merkle nodes as stored in LMDB, read through one transaction. Leaf hashes
/// are not stored (half of all nodes): a leaf's hash is computed from its envelope, which
/// a proof reads from the same pages as the record it proves.
///
/// With a `cache`, nodes are looked up there first, and offered to it when read through a
/// read-only transaction (only committed nodes may enter it).
struct StoredMerkleNodes: MerkleNodeReader {
    let txn: Transaction
    let tables: Ledger.Tables
    var cache: MerkleNodeCache? = nil

    func node(level: Int, index: UInt64) throws -> Digest {
        guard let cache, level > 0 else { return try read(level: level, index: index) }
        if let cached = cache.node(level: level, index: index) { return cached }
        let digest = try read(level: level, index: index)
        if !txn.isWritable { cache.keep(CollectionOfOne((level, index, digest))) }
        return digest
    }

    private func read(level: Int, index: UInt64) throws -> Digest {
        if level == 0 {
            guard let envelope = try txn.get(tables.envelopes.table, Schema.u64(index)) else {
                throw TalonError(.storeCorrupt, "Merkle leaf \(index) has no envelope")
            }
            return MerkleHash.leaf(envelope)
        }
        guard let bytes = try txn.get(tables.merkle, Schema.merkleKey(level: level, index: index)) else {
            throw TalonError(.storeCorrupt, "Merkle node (\(level), \(index)) is missing")
        }
        guard let d = Digest(bytes: bytes) else {
            throw TalonError(.storeCorrupt, "Merkle node (\(level), \(index)) is not 32 bytes")
        }
        return d
    }
}
