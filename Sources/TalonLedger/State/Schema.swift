import TalonCrypto
import TalonStore

/// The ledger's LMDB tables and how their keys are built. Integers in keys are big-endian,
/// so byte order is numeric order; variable-length ids are prefixed with their length so
/// that one id's keys never interleave with another's.
enum Schema {
    static let meta = "meta"
    static let blocks = "blocks"              // u64 height -> Block.bytes
    static let envelopes = "envelopes"        // u64 leaf -> Envelope.bytes
    static let receipts = "receipts"          // u64 leaf -> Receipt.bytes
    static let envelopeIndex = "envelope_index" // hash[32] -> u64 leaf of its first appearance
    static let merkle = "merkle"              // u8 level, u64 index -> hash[32]
    static let issuers = "issuers"            // key[32] -> IssuerState
    static let events = "events"              // event id -> EventState
    static let gates = "gates"                // u8 len, event id, key[32] -> GateState
    static let tickets = "tickets"            // ticket id -> TicketState
    static let nonces = "nonces"              // key[32], u64 nonce -> u64 leaf
    static let ticketHistory = "ticket_history" // u8 len, ticket id, u64 leaf -> ()
    static let holderHistory = "holder_history" // key[32], u64 leaf -> ticket id
    static let eventRecords = "event_records"   // u8 len, event id, u64 leaf -> ()

    static let all = [meta, blocks, envelopes, receipts, envelopeIndex, merkle, issuers, events, gates,
                      tickets, nonces, ticketHistory, holderHistory, eventRecords]

    enum MetaKey {
        static let genesisHash = Array("genesis_hash".utf8)
        static let genesis = Array("genesis".utf8)
        static let height = Array("height".utf8)
        static let schemaVersion = Array("schema_version".utf8)
    }

    static let schemaVersion: UInt8 = 1

    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    static func u64(_ b: some Collection<UInt8>) -> UInt64? {
        guard b.count == 8 else { return nil }
        return b.reduce(0) { $0 << 8 | UInt64($1) }
    }

    static func id(_ s: String) -> [UInt8] {
        let b = Array(s.utf8)
        return [UInt8(truncatingIfNeeded: b.count)] + b
    }

    static func merkleKey(level: Int, index: UInt64) -> [UInt8] { [UInt8(level)] + u64(index) }
    static func gateKey(event: String, gate: PublicKey) -> [UInt8] { id(event) + gate.bytes }
    static func nonceKey(_ signer: PublicKey, _ nonce: UInt64) -> [UInt8] { signer.bytes + u64(nonce) }
    static func ticketHistoryKey(_ ticket: String, leaf: UInt64) -> [UInt8] { id(ticket) + u64(leaf) }
    static func holderHistoryKey(_ holder: PublicKey, leaf: UInt64) -> [UInt8] { holder.bytes + u64(leaf) }
    static func eventRecordKey(_ event: String, leaf: UInt64) -> [UInt8] { id(event) + u64(leaf) }

    /// The leaf index at the end of a history key.
    static func trailingLeaf(_ key: [UInt8]) -> UInt64? { u64(key.suffix(8)) }
}
