import TalonProtocol
import TalonStore

/// The ledger's LMDB tables and how their keys are built. Integers in keys are big-endian,
/// so byte order is numeric order; variable-length ids are prefixed with their length so
/// that one id's keys never interleave with another's.
///
/// What one envelope touches is kept together: a ticket's history sits right after its
/// state in `tickets`, and a key's spent nonces right before its history in `accounts`.
/// A transfer therefore dirties about four random B-tree pages per commit instead of six,
/// which is what bounds apply throughput once the tables outgrow memory (docs/operations.md).
enum Schema {
    static let meta = "meta"
    static let blocks = "blocks"              // u64 height -> Block.bytes
    static let envelopes = "envelopes"        // u64 leaf -> Envelope.bytes
    static let receipts = "receipts"          // u64 leaf -> Receipt.bytes
    static let envelopeIndex = "envelope_index" // hash[32] -> u64 leaf of its first appearance
    static let merkle = "merkle"              // u64 post-order position -> hash[32] (`merkleKey`)
    static let issuers = "issuers"            // key[32] -> IssuerState
    static let events = "events"              // event id -> EventState
    static let gates = "gates"                // u8 len, event id, key[32] -> GateState
    static let tickets = "tickets"            // u8 len, ticket id -> TicketState; u8 len, ticket id, u64 leaf -> ()
    static let accounts = "accounts"          // key[32], 0x00, u64 nonce -> u64 leaf; key[32], 0x01, u64 leaf -> ticket id
    static let eventRecords = "event_records"   // u8 len, event id, u64 leaf -> ()
    static let contracts = "contracts"        // id[32] -> ContractState
    static let bindings = "bindings"          // event id -> BindingState
    static let decisions = "decisions"        // u64 leaf -> RecordedDecision
    static let holdings = "holdings"          // u8 len, event id, key[32] -> Holding
    static let audit = "audit"                // u8 len, event id, u8 kind, u64 leaf -> TradeRow / RedeemRow
    static let listings = "listings"          // u8 len, ticket id -> ListingState
    static let eventTickets = "event_tickets" // u8 len, event id, u8 len, ticket id -> ()
    static let rejectedEntries = "rejected_entries" // u64 log index -> RejectedEntry

    static let all = [meta, blocks, envelopes, receipts, envelopeIndex, merkle, issuers, events, gates,
                      tickets, accounts, eventRecords, contracts, bindings, decisions, holdings, listings, audit, eventTickets,
                      rejectedEntries]

    enum MetaKey {
        static let genesisHash = Array("genesis_hash".utf8)
        static let genesis = Array("genesis".utf8)
        static let height = Array("height".utf8)
        static let schemaVersion = Array("schema_version".utf8)
        /// The index of the last replicated-log entry applied (absent: none).
        static let logIndex = Array("log_index".utf8)
    }

    /// 2 added the contract tables and the `holdings` counts; 3 keyed holdings by event first
    /// and added the `audit` rows; 4 added `event_tickets`; 5 keyed `merkle` by post-order
    /// position. An older store gets all four rebuilt from its envelopes when opened
    /// (Ledger+Migrate.swift).
    /// `rejected_entries` needs no new version: it is created empty when a store is opened,
    /// and empty is right for every store written before it (those builds stopped on such
    /// an entry instead of applying past it), so no rebuild is due.
    static let schemaVersion: UInt8 = 5

    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

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
    static func merkleKey(level: Int, index: UInt64) -> [UInt8] {
        let next = index &+ 1
        let leaves = next << UInt64(level)
        return u64((leaves &* 2) &- UInt64(next.nonzeroBitCount) &- UInt64(next.trailingZeroBitCount) &- 1)
    }
    static func gateKey(event: String, gate: PublicKey) -> [UInt8] { key(event.utf8.count + 33) { $0.id(event); $0.key(gate) } }
    static func ticketKey(_ ticket: String) -> [UInt8] { id(ticket) }
    static func ticketHistoryKey(_ ticket: String, leaf: UInt64) -> [UInt8] { key(ticket.utf8.count + 9) { $0.id(ticket); $0.u64(leaf) } }
    static func nonceKey(_ signer: PublicKey, _ nonce: UInt64) -> [UInt8] { key(41) { $0.key(signer); $0.append(0x00); $0.u64(nonce) } }
    static func holderHistoryPrefix(_ holder: PublicKey) -> [UInt8] { key(33) { $0.key(holder); $0.append(0x01) } }
    static func holderHistoryKey(_ holder: PublicKey, leaf: UInt64) -> [UInt8] {
        key(41) { $0.key(holder); $0.append(0x01); $0.u64(leaf) }
    }
    static func holdingKey(_ holder: PublicKey, event: String) -> [UInt8] { key(event.utf8.count + 33) { $0.id(event); $0.key(holder) } }
    static func auditKey(_ event: String, _ kind: AuditKind, leaf: UInt64) -> [UInt8] {
        key(event.utf8.count + 10) { $0.id(event); $0.append(kind.rawValue); $0.u64(leaf) }
    }
    static func auditPrefix(_ event: String, _ kind: AuditKind) -> [UInt8] { key(event.utf8.count + 2) { $0.id(event); $0.append(kind.rawValue) } }
    static func eventTicketKey(_ event: String, _ ticket: String) -> [UInt8] {
        key(event.utf8.count + ticket.utf8.count + 2) { $0.id(event); $0.id(ticket) }
    }
    static func eventRecordKey(_ event: String, leaf: UInt64) -> [UInt8] { key(event.utf8.count + 9) { $0.id(event); $0.u64(leaf) } }

    /// Builds a key in one allocation of `capacity` bytes: keys are built for every index
    /// entry an envelope writes, so apply throughput depends on this being cheap.
    private static func key(_ capacity: Int, _ build: (inout [UInt8]) -> Void) -> [UInt8] {
        var k: [UInt8] = []
        k.reserveCapacity(capacity)
        build(&k)
        return k
    }

    /// The leaf index at the end of a history key.
    static func trailingLeaf(_ key: [UInt8]) -> UInt64? { u64(key.suffix(8)) }
}

private extension [UInt8] {
    /// A length byte then the UTF-8 bytes (ids are at most `Limits.idBytes` long).
    mutating func id(_ s: String) {
        append(UInt8(truncatingIfNeeded: s.utf8.count))
        append(contentsOf: s.utf8)
    }
    mutating func key(_ p: PublicKey) { p.withUnsafeBytes { append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) } }
}
