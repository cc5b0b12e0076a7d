public import TalonProtocol
import TalonContracts
import TalonStore

/// Signs a head as one cluster member: what a node hands its audit answers.
public typealias HeadSigner = @Sendable (Head) -> SignedHead

/// One read snapshot that an audit answer is computed from: every figure and every proof of
/// one answer is against the same head.
final class AuditSnapshot {
    let txn: Transaction
    let tables: Ledger.Tables
    let head: Head
    let prove: Bool
    let signer: HeadSigner?
    /// The tree as of `head`, read through the ledger's proof cache.
    let prover: MerkleProver<StoredMerkleNodes>
    private var times: [UInt64: Int64] = [:]
    /// Blocks whose entries were proven, with their entry trees and signed heads.
    private var provenBlocks: [UInt64: (header: BlockHeader, tree: Block.EntryTree, head: SignedHead?)] = [:]

    init(txn: Transaction, tables: Ledger.Tables, head: Head, prove: Bool, signer: HeadSigner?, prover: MerkleProver<StoredMerkleNodes>) {
        self.txn = txn; self.tables = tables; self.head = head; self.prove = prove; self.signer = signer; self.prover = prover
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
        let path = try prover.inclusionProof(leafIndex: leaf, size: head.treeSize)
        return RecordProof(envelope: envelope, path: path, outcome: try outcome(leaf: leaf))
    }

    /// The outcome proof of the record at `leaf`, nil when its block is version 1.
    private func outcome(leaf: UInt64) throws -> OutcomeProof? {
        guard let rb = try txn.get(tables.receipts, Schema.u64(leaf)) else { throw TalonError(.storeCorrupt, "envelope at leaf \(leaf) has no receipt") }
        let receipt = try Receipt(leaf: leaf, bytes: rb)
        let proven: (header: BlockHeader, tree: Block.EntryTree, head: SignedHead?)
        if let cached = provenBlocks[receipt.height] {
            proven = cached
        } else {
            guard let block = try tables.blocks.get(txn, receipt.height) else {
                throw TalonError(.storeCorrupt, "the receipt at leaf \(leaf) names block \(receipt.height), which is missing")
            }
            guard block.version >= 2 else { return nil }
            let header = block.header
            proven = (header, try Block.EntryTree(block), signer?(header.head))
            provenBlocks[receipt.height] = proven
        }
        let decision = try txn.get(tables.decisions, Schema.u64(leaf)).map { try RecordedDecision(leaf: leaf, bytes: $0) }
        return OutcomeProof(header: proven.header, position: receipt.position, result: receipt.result, decision: decision,
                            path: try proven.tree.proof(position: Int(receipt.position)), head: proven.head)
    }

    /// The stored bytes of the envelope at `leaf`.
    private func envelopeBytes(leaf: UInt64) throws -> [UInt8] {
        guard let bytes = try txn.get(tables.envelopes.table, Schema.u64(leaf)) else {
            throw TalonError(.storeCorrupt, "no envelope at leaf \(leaf)")
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
                    throw TalonError(.storeCorrupt, "the issue at leaf \(leaf) does not name ticket \(ticket)")
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
            guard let leaf = Schema.trailingLeaf(k) else { throw TalonError(.storeCorrupt, "audit key without a leaf") }
            out.append(try decode(leaf, v))
            return true
        }
        return out
    }
}

extension Ledger {
    /// Runs an audit query on one read snapshot, whose head the answer names.
    func audit<R>(prove: Bool, signer: HeadSigner? = nil, _ body: (AuditSnapshot) throws -> R) throws(TalonError) -> R {
        try read { txn in
            let head = try self.head(txn)
            return try body(AuditSnapshot(txn: txn, tables: tables, head: head, prove: prove, signer: signer,
                                          prover: prover(txn, size: head.treeSize)))
        }
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
