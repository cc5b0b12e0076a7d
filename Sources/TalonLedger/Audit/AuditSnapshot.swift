public import TalonCrypto
import TalonContracts
import TalonStore

/// A record's Merkle inclusion proof in an audit answer: the envelope itself (so a verifier
/// can hash it) and the audit path to the root of the answer's head.
public struct RecordProof: Hashable, Sendable, Codable {
    public var envelope: Envelope
    public var path: [Digest]
}

/// One read snapshot that an audit answer is computed from: every figure and every proof of
/// one answer is against the same head.
final class AuditSnapshot {
    let txn: Transaction
    let tables: Ledger.Tables
    let head: Head
    let prove: Bool
    private var times: [UInt64: Int64] = [:]

    init(txn: Transaction, tables: Ledger.Tables, head: Head, prove: Bool) {
        self.txn = txn; self.tables = tables; self.head = head; self.prove = prove
    }

    /// The timestamp of the block at `height` (ms), read from its header.
    func timestamp(_ height: UInt64) throws -> Int64 {
        if let t = times[height] { return t }
        let t = try tables.blockTimestamp(txn, height)
        times[height] = t
        return t
    }

    /// The inclusion proof of `envelope`, at `leaf`, against the head, when the answer was
    /// asked with proofs.
    func proof(of envelope: Envelope, leaf: UInt64) throws -> RecordProof? {
        guard prove else { return nil }
        let path = try Ledger.merkle {
            try MerkleProver(nodes: StoredMerkleNodes(txn: txn, table: tables.merkle), size: head.treeSize)
                .inclusionProof(leafIndex: leaf, size: head.treeSize)
        }
        return RecordProof(envelope: envelope, path: path)
    }

    /// The stored bytes of the envelope at `leaf`.
    private func envelopeBytes(leaf: UInt64) throws -> [UInt8] {
        guard let bytes = try txn.get(tables.envelopes.table, Schema.u64(leaf)) else {
            throw LedgerError.storeCorrupt.with("no envelope at leaf \(leaf)")
        }
        return bytes
    }

    /// The hash of the envelope at `leaf` and, when asked, its inclusion proof: one read.
    func evidence(leaf: UInt64) throws -> (hash: Digest, proof: RecordProof?) {
        let envelope = try Envelope(storeBytes: try envelopeBytes(leaf: leaf))
        return (envelope.hash, try proof(of: envelope, leaf: leaf))
    }

    /// The envelope at `leaf` (in block `height`) as a record about ticket `ticket`: signer,
    /// operation, hash and proof. Without proofs, an issue is read as its spec for this one
    /// ticket and its hash taken from the block, so a 10,000-ticket issue is neither decoded
    /// nor hashed; with proofs the whole envelope is the evidence and is read whole.
    func record(leaf: UInt64, height: UInt64, ticket: String) throws
        -> (signer: PublicKey, operation: LedgerOperation, hash: Digest, proof: RecordProof?) {
        let bytes = try envelopeBytes(leaf: leaf)
        if !prove {
            var (signer, kind, fields) = try Envelope.peek(bytes)
            if kind == .issue {
                guard let issue = try IssueTickets.narrowed(to: ticket, fields: &fields) else {
                    throw LedgerError.storeCorrupt.with("the issue at leaf \(leaf) does not name ticket \(ticket)")
                }
                return (signer, .issue(issue), try tables.envelopeHash(txn, leaf: leaf, height: height), nil)
            }
        }
        let envelope = try Envelope(storeBytes: bytes)
        return (envelope.signer, envelope.operation, envelope.hash, try proof(of: envelope, leaf: leaf))
    }

    func event(_ id: String) throws -> EventState? {
        try txn.get(tables.events, Array(id.utf8)).map { try EventState(eventID: id, bytes: $0) }
    }

    /// An integer parameter of the event's bound contract, or nil.
    func contractParameter(event: String, _ name: String) throws -> Int64? {
        guard let bytes = try txn.get(tables.bindings, Array(event.utf8)) else { return nil }
        let binding = try BindingState(eventID: event, bytes: bytes)
        return try ContractParameters.parse(binding.params)[name]?.intValue
    }

    /// Every row of `kind` for `event`, in leaf order.
    func rows<Row>(_ event: String, _ kind: AuditKind, _ decode: (UInt64, [UInt8]) throws -> Row) throws -> [Row] {
        var out: [Row] = []
        let prefix = Schema.auditPrefix(event, kind)
        try txn.scan(tables.audit, prefix: prefix) { k, v in
            guard let leaf = Schema.trailingLeaf(k) else { throw LedgerError.storeCorrupt.with("audit key without a leaf") }
            out.append(try decode(leaf, v))
            return true
        }
        return out
    }
}

extension Ledger {
    /// Runs an audit query on one read snapshot, whose head the answer names.
    func audit<R>(prove: Bool, _ body: (AuditSnapshot) throws -> R) throws(LedgerError) -> R {
        try read { txn in try body(AuditSnapshot(txn: txn, tables: tables, head: try head(txn), prove: prove)) }
    }
}

/// Markup arithmetic shared by every report, exact for any amounts.
enum Markup {
    /// What the buyer pays (price + fees) against the face value, in hundredths of a percent,
    /// rounded toward zero; nil for a free ticket.
    static func basisPoints(price: UInt64, fees: UInt64, face: UInt64) -> Int64? {
        guard face > 0 else { return nil }
        let total = Double(price) + Double(fees), f = Double(face)
        return Int64(exactly: ((total - f) * 10_000 / f).rounded(.towardZero)) ?? .max
    }

    /// True when price + fees is more than `capPct` percent of the face value.
    static func overCap(price: UInt64, fees: UInt64, face: UInt64, capPct: UInt64) -> Bool {
        let (total, overflow) = price.addingReportingOverflow(fees)
        if overflow { return true }
        let paid = total.multipliedFullWidth(by: 100), allowed = face.multipliedFullWidth(by: capPct)
        return (paid.high, paid.low) > (allowed.high, allowed.low)
    }
}
