public import TalonProtocol
import TalonContracts
import TalonStore

/// Every record touching one ticket, oldest first, read as a chain of custody.
public struct TicketProvenance: Sendable, Encodable {
    /// The head the answer was read at.
    public var head: Head
    public var ticket: TicketState
    public var steps: [ProvenanceStep]
    /// True when the ticket has more records than one answer holds (`limit`).
    public var truncated: Bool
}

/// One record of a ticket's provenance: who moved it to whom, for how much, with what result.
public struct ProvenanceStep: Hashable, Sendable, Encodable {
    public var leaf: UInt64
    public var height: UInt64
    /// The block's timestamp, ms since the Unix epoch.
    public var timestamp: Int64
    /// The operation's name (`issue`, `transfer`, `buy_resale`, …).
    public var kind: String
    public var result: String
    /// The contract's reason when it denied the operation.
    public var reason: String?
    public var signer: PublicKey
    /// The holder the ticket leaves (the signer for attempts that would not move it).
    public var from: PublicKey?
    public var to: PublicKey?
    public var price: UInt64?
    public var fees: UInt64?
    /// Markup of price + fees over the face value, hundredths of a percent.
    public var markupBasisPoints: Int64?
    public var royalty: Int64?
    public var refund: UInt64?
    public var gate: PublicKey?
    public var scannedAt: Int64?
    public var envelopeHash: Digest
    /// The inclusion proof against `head`, when asked with `prove`.
    public var proof: RecordProof?

    enum CodingKeys: String, CodingKey {
        case leaf, height, timestamp, kind, result, reason, signer, from, to, price, fees
        case markupBasisPoints = "markup_bp", royalty, refund, gate, scannedAt = "scanned_at"
        case envelopeHash = "envelope_hash", proof
    }
}

extension Ledger {
    /// The provenance of ticket `id` (nil when there is no such ticket): its first `limit`
    /// records in ledger order with holders, prices and markups, rejected attempts included,
    /// each with its inclusion and outcome proofs when `prove` is set (outcome heads signed by
    /// `signer`). Reads only the ticket's own index.
    public func provenance(ticket id: String, prove: Bool = false, limit: Int = 10_000, signer: HeadSigner? = nil) throws(TalonError) -> TicketProvenance? {
        try audit(prove: prove, signer: signer) { s -> TicketProvenance? in
            guard let bytes = try s.txn.get(tables.tickets, Schema.ticketKey(id)) else { return nil }
            let ticket = try TicketState(ticketID: id, bytes: bytes)
            let leaves = try leaves(s.txn, tables.tickets, prefix: Schema.ticketKey(id), after: nil, limit: limit + 1)
            var holder: PublicKey?
            var steps: [ProvenanceStep] = []
            for leaf in leaves.prefix(limit) {
                let receipt = try receipt(s.txn, leaf: leaf), ok = receipt.result == "ok"
                let decision = try decision(s.txn, leaf: leaf)?.decision
                let (signer, operation, hash, proof) = try s.record(leaf: leaf, height: receipt.height, ticket: id)
                var step = ProvenanceStep(
                    leaf: leaf, height: receipt.height, timestamp: try s.timestamp(receipt.height),
                    kind: operation.kind.name, result: receipt.result,
                    reason: decision.flatMap { $0.allowed || $0.reason.isEmpty ? nil : $0.reason },
                    signer: signer, envelopeHash: hash, proof: proof)
                switch operation {
                case .issue(let o):
                    let spec = o.tickets.first { $0.ticketID == id }
                    step.to = spec?.holder; step.price = spec?.faceValue
                    if ok { holder = spec?.holder }
                case .transfer(let o):
                    step.from = signer; step.to = o.to
                    if ok { holder = o.to }
                case .listResale(let o):
                    step.from = signer; step.price = o.price; step.fees = o.fees
                    step.markupBasisPoints = Markup.basisPoints(price: o.price, fees: o.fees, face: ticket.faceValue)
                case .cancelListing:
                    step.from = signer
                case .buyResale(let o):
                    step.from = holder; step.to = signer; step.price = o.price; step.fees = o.fees
                    step.markupBasisPoints = Markup.basisPoints(price: o.price, fees: o.fees, face: ticket.faceValue)
                    if ok { step.royalty = decision?.royalty ?? 0; holder = signer }
                case .requestRefund:
                    step.from = signer
                    if ok { step.refund = ticket.refund }
                case .redeem(let o):
                    step.from = holder; step.gate = signer; step.scannedAt = o.scannedAt
                case .void:
                    step.from = holder
                default:
                    break
                }
                steps.append(step)
            }
            return TicketProvenance(head: s.head, ticket: ticket, steps: steps, truncated: leaves.count > limit)
        }
    }
}
