import TalonProtocol
import TalonStore

/// The ledger's LMDB tables and how their keys are built. Integers in keys are big-endian,
/// so byte order is numeric order; variable-length ids are prefixed with their length so
/// that one id's keys never interleave with another's.
///
/// Histories (the leaves naming a holder or an event) and the envelope-hash index are set
/// tables: each key holds its members packed 8 bytes apiece, histories appended in leaf order,
/// instead of one B-tree entry per member repeating the key. A ticket's history is packed the same way
/// but in runs beside its state (`TicketHistory`), so a transfer dirties one page for both.
/// Schema 5 spent about 650 bytes per transfer on these entries and the half-empty pages their
/// random inserts split (docs/operations.md).
enum Schema {
    static let meta = "meta"
    static let blocks = "blocks"              // u64 height -> Block.bytes
    static let envelopes = "envelopes"        // u64 leaf -> Envelope.bytes
    static let receipts = "receipts"          // u64 leaf -> Receipt.bytes
    static let merkle = "merkle"              // u64 post-order position -> hash[32] (`merkleKey`), levels above the leaves
    static let issuers = "issuers"            // key[32] -> IssuerState
    static let events = "events"              // event id -> EventState
    static let gates = "gates"                // u8 len, event id, key[32] -> GateState
    static let tickets = "tickets"            // u8 len, ticket id -> TicketState; u8 len, ticket id, 0x00, u32 run -> u64 leaves (TicketHistory)
    static let contracts = "contracts"        // id[32] -> ContractState
    static let bindings = "bindings"          // event id -> BindingState
    static let decisions = "decisions"        // u64 leaf -> RecordedDecision
    static let holdings = "holdings"          // u8 len, event id, key[32] -> Holding
    static let audit = "audit"                // u8 len, event id, u8 kind, u64 leaf -> TradeRow / RedeemRow
    static let listings = "listings"          // u8 len, ticket id -> ListingState
    static let eventTickets = "event_tickets" // u8 len, event id, u8 len, ticket id -> ()
    static let rejectedEntries = "rejected_entries" // u64 log index -> RejectedEntry
    static let pendingHolders = "pending_holders"   // u64 leaf -> holder keys[32]…, for leaves at or above `indexed_through`

    static let all = [meta, blocks, envelopes, receipts, merkle, issuers, events, gates,
                      tickets, contracts, bindings, decisions, holdings, listings, audit, eventTickets,
                      rejectedEntries, pendingHolders]

    // Set tables: key -> ordered set of u64.
    static let keySets = "key_sets"               // key[32], 1 -> leaves below `indexed_through` involving it as holder (0: its nonces, before 11)
    static let eventHistory = "event_history"     // event id -> leaves about the event or its tickets
    static let envelopeHashes = "envelope_hashes" // u32 epoch, u64 prefix -> leaves of the epoch whose envelope hash, or signer and nonce (`noncePrefixValue`), start so (EnvelopeHashIndex)

    static let allSets = [keySets, eventHistory, envelopeHashes]

    /// Tables of older schemas, folded into the set tables since: dropped on migration.
    static let retired = ["accounts", "event_records", "envelope_index", "ticket_history", "nonces", "holder_history"]

    /// A key's holder history in `key_sets` (kind 1; kind 0 held its nonces before schema 11,
    /// which finds them through `envelope_hashes` instead), written in bulk since 12.
    static func holderHistory(_ key: PublicKey) -> [UInt8] { key.bytes + [1] }

    /// The prefix under which `envelope_hashes` files an envelope hash: its first 8 bytes, as
    /// a number (big-endian). Lookups check the full hash against each member's envelope, so a
    /// shared prefix costs a read, never a wrong answer (and finding one takes some 2^32
    /// hashes: a rare extra member).
    static func hashPrefixValue(_ hash: Digest) -> UInt64 { hash.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).bigEndian } }
    /// A leaf's holders as `pending_holders` keeps them: their keys, 32 bytes apiece.
    static func holderList(_ holders: [PublicKey]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(32 * holders.count)
        for holder in holders { holder.withUnsafeBytes { out.append(raw: $0) } }
        return out
    }
    /// The holders `holderList` packed, or nil when the bytes are not whole keys.
    static func holders(_ bytes: [UInt8]) -> [PublicKey]? {
        guard bytes.count % 32 == 0 else { return nil }
        var out: [PublicKey] = []
        out.reserveCapacity(bytes.count / 32)
        for start in stride(from: 0, to: bytes.count, by: 32) {
            guard let key = PublicKey(bytes: bytes[start..<start + 32]) else { return nil }
            out.append(key)
        }
        return out
    }

    /// A key of `envelope_hashes`: the leaf's epoch (u32), then the prefix (u64).
    static func hashIndexKey(epoch: UInt64, prefix: UInt64) -> [UInt8] {
        key(12) { $0.u32(UInt32(truncatingIfNeeded: epoch)); $0.u64(prefix) }
    }
    /// The epoch and the prefix of an `envelope_hashes` key, or nil when it is not 12 bytes.
    static func hashIndexKeyParts(_ key: some Collection<UInt8>) -> (epoch: UInt64, prefix: UInt64)? {
        guard key.count == 12, let prefix = u64(key.dropFirst(4)) else { return nil }
        return (key.prefix(4).reduce(0) { $0 << 8 | UInt64($1) }, prefix)
    }

    /// The key under which `envelope_hashes` files a leaf by its signer and nonce: the first 8
    /// bytes of SHA-256("TALON-NONCE" ‖ 0 ‖ signer ‖ nonce, big-endian). Lookups check signer,
    /// nonce and chain against each member's envelope, as they check hashes.
    static func noncePrefixValue(signer: PublicKey, nonce: UInt64) -> UInt64 {
        hashPrefixValue(SHA256.hash(noncePrefixDomain + signer.bytes + [UInt8](bigEndian: nonce)))
    }
    private static let noncePrefixDomain = Array("TALON-NONCE".utf8) + [0]

    enum MetaKey {
        static let genesisHash = Array("genesis_hash".utf8)
        static let genesis = Array("genesis".utf8)
        static let height = Array("height".utf8)
        static let schemaVersion = Array("schema_version".utf8)
        /// The index of the last replicated-log entry applied (absent: none).
        static let logIndex = Array("log_index".utf8)
        /// Leaves below this one are indexed in `envelope_hashes`, by hash and by signer and
        /// nonce, and in the holder histories of `key_sets`; the holders of the leaves from it
        /// up wait in `pending_holders` (absent: every leaf is indexed).
        static let indexedThrough = Array("indexed_through".utf8)
        /// Leaves per epoch of `envelope_hashes` (u64), fixed when the store is made (`EnvelopeHashIndex`).
        static let hashEpochLeaves = Array("hash_epoch_leaves".utf8)
        /// The mark of schemas 9–11, which covered `envelope_hashes` alone: removed on migration.
        static let retiredHashIndexThrough = Array("hash_index_through".utf8)
    }

    /// 2 added the contract tables and the `holdings` counts; 3 keyed holdings by event first
    /// and added the `audit` rows; 4 added `event_tickets`; 5 keyed `merkle` by post-order
    /// position; 6 moved nonces and the ticket, holder and event histories into set tables
    /// (out of `tickets`, `accounts` and `event_records`); 7 stopped storing leaf hashes in
    /// `merkle` (computed from the envelopes) and keyed envelope hashes by an 8-byte prefix in
    /// `envelope_hashes` (was `envelope_index`, by the whole hash); 8 moved ticket histories
    /// back beside the ticket's state, as runs of leaves (`ticket_history` in 6 and 7); 9 indexes
    /// envelope hashes in bulk (`hash_index_through`: absent, every leaf is indexed); 10 put a
    /// key's nonces and holder history side by side in `key_sets` (`nonces` and
    /// `holder_history` before); 11 took the nonces out of `key_sets` and files each leaf in
    /// `envelope_hashes` by its signer and nonce too, written in bulk with its hash; 12 writes
    /// holder histories in bulk too (`pending_holders` until then, `indexed_through` the mark
    /// of both); 13 keys `envelope_hashes` by the leaf's epoch before the prefix. An
    /// older store gets all of these rebuilt from its envelopes when opened
    /// (Ledger+Migrate.swift).
    /// `rejected_entries` needs no new version: it is created empty when a store is opened,
    /// and empty is right for every store written before it (those builds stopped on such
    /// an entry instead of applying past it), so no rebuild is due.
    static let schemaVersion: UInt8 = 13

    static func u64(_ v: UInt64) -> [UInt8] { [UInt8](bigEndian: v) }

    static func u64(_ b: some Collection<UInt8>) -> UInt64? {
        guard b.count == 8 else { return nil }
        return b.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func id(_ s: String) -> [UInt8] { key(s.utf8.count + 1) { $0.id(s) } }

    /// The key of Merkle node `index` at `level`: its position in post-order, the order in
    /// which appending leaves completes nodes, so every node is stored by an append and the
    /// table's pages fill up (keyed by level first, each level's tail split pages half
    /// full). The node covers the leaves before m = (index + 1)·2^level; once m leaves are in,
    /// 2m − popcount(m) nodes exist, of which the ctz(index + 1) ones above it, completed by
    /// the same leaf, come after it. Wrapping arithmetic: a position past any real tree
    /// names a missing node, never a trap.
    static func merkleKey(level: Int, index: UInt64) -> [UInt8] { u64(merklePosition(level: level, index: index)) }
    /// The post-order position `merkleKey` encodes.
    static func merklePosition(level: Int, index: UInt64) -> UInt64 {
        let next = index &+ 1
        let leaves = next << UInt64(level)
        return (leaves &* 2) &- UInt64(next.nonzeroBitCount) &- UInt64(next.trailingZeroBitCount) &- 1
    }
    static func gateKey(event: String, gate: PublicKey) -> [UInt8] { key(event.utf8.count + 33) { $0.id(event); $0.key(gate) } }
    static func ticketKey(_ ticket: String) -> [UInt8] { id(ticket) }
    /// Every key of the ticket's history runs starts so; none is another ticket's key (the
    /// length byte fixes where the id ends).
    static func ticketRunPrefix(_ ticket: String) -> [UInt8] { key(ticket.utf8.count + 2) { $0.id(ticket); $0.append(0x00) } }
    static func ticketRunKey(_ ticket: String, run: UInt32) -> [UInt8] {
        key(ticket.utf8.count + 6) { $0.id(ticket); $0.append(0x00); $0.u32(run) }
    }
    /// The run number at the end of a history run's key.
    static func trailingRun(_ key: [UInt8]) -> UInt32? {
        guard key.count >= 4 else { return nil }
        return key.suffix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
    static func holdingKey(_ holder: PublicKey, event: String) -> [UInt8] { key(event.utf8.count + 33) { $0.id(event); $0.key(holder) } }
    static func auditKey(_ event: String, _ kind: AuditKind, leaf: UInt64) -> [UInt8] {
        key(event.utf8.count + 10) { $0.id(event); $0.append(kind.rawValue); $0.u64(leaf) }
    }
    static func auditPrefix(_ event: String, _ kind: AuditKind) -> [UInt8] { key(event.utf8.count + 2) { $0.id(event); $0.append(kind.rawValue) } }
    static func eventTicketKey(_ event: String, _ ticket: String) -> [UInt8] {
        key(event.utf8.count + ticket.utf8.count + 2) { $0.id(event); $0.id(ticket) }
    }

    /// Builds a key in one allocation of `capacity` bytes: keys are built for every index
    /// entry an envelope writes, so apply throughput depends on this being cheap.
    private static func key(_ capacity: Int, _ build: (inout [UInt8]) -> Void) -> [UInt8] {
        var k: [UInt8] = []
        k.reserveCapacity(capacity)
        build(&k)
        return k
    }

    /// The leaf index at the end of an audit row's key.
    static func trailingLeaf(_ key: [UInt8]) -> UInt64? { u64(key.suffix(8)) }
}

private extension [UInt8] {
    /// A length byte then the UTF-8 bytes (ids are at most `Limits.idBytes` long).
    mutating func id(_ s: String) {
        append(UInt8(truncatingIfNeeded: s.utf8.count))
        append(contentsOf: s.utf8)
    }
    mutating func key(_ p: PublicKey) { p.withUnsafeBytes { append(raw: $0) } }
    mutating func u64(_ v: UInt64) { appendBigEndian(v) }
    mutating func u32(_ v: UInt32) { appendBigEndian(v) }
}
