import TalonProtocol
import TalonStore

/// The ledger's Merkle nodes as stored in LMDB, read through one transaction.
struct StoredMerkleNodes: MerkleNodeReader {
    let txn: Transaction
    let table: Table

    func node(level: Int, index: UInt64) throws -> Digest {
        guard let bytes = try txn.get(table, Schema.merkleKey(level: level, index: index)) else {
            throw TalonError(.storeCorrupt, "Merkle node (\(level), \(index)) is missing")
        }
        guard let d = Digest(bytes: bytes) else {
            throw TalonError(.storeCorrupt, "Merkle node (\(level), \(index)) is not 32 bytes")
        }
        return d
    }
}
