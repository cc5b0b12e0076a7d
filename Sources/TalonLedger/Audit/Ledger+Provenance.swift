public import TalonProtocol
import TalonContracts
import TalonStore

extension Ledger {
    /// The provenance of ticket `id` (nil when there is no such ticket): its first `limit`
    /// records in ledger order with holders, prices and markups, rejected attempts included,
    /// each with its inclusion and outcome proofs when `prove` is set (outcome heads signed by
    /// `signer`). Reads only the ticket's own index.
    public func provenance(ticket id: String, prove: Bool = false, limit: Int = 10_000, signer: HeadSigner? = nil) throws(TalonError) -> Audited<TicketProvenance, Head>? {
        try audit(prove: prove, signer: signer) { s -> Audited<TicketProvenance, Head>? in
            guard let bytes = try s.txn.get(tables.tickets, Schema.ticketKey(id)) else { return nil }
            let ticket = try TicketState(ticketID: id, bytes: bytes)
            let leaves = try TicketHistory.leaves(s.txn, tables.tickets, ticket: id, limit: limit + 1)
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
            return Audited(head: s.head, report: TicketProvenance(ticket: ticket, steps: steps, truncated: leaves.count > limit))
        }
    }
}
