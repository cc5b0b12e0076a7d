/// The rows of an audit answer that carry a proof, and what each says that its envelope and
/// its proven outcome can confirm or refute.
extension AuditVerifier {
    /// A row with a proof, named by its JSON path in the answer.
    struct ProvenRow {
        var path: String
        var leaf: UInt64
        var envelopeHash: Digest
        var proof: RecordProof
        var claims: Claims
    }

    /// What a row says; nil where it says nothing.
    struct Claims {
        var kind: String?, signer: PublicKey?
        /// The ticket the row is about: its own field, or the ticket of the provenance or
        /// double entry it stands in.
        var ticketID: String?
        var buyer: PublicKey?, seller: PublicKey?, to: PublicKey?, gate: PublicKey?
        var price: UInt64?, fees: UInt64?, scannedAt: Int64?
        var height: UInt64?, timestamp: Int64?, result: String?, royalty: Int64?, reason: String?
    }

    /// Every row of `answer` that carries a proof, in the answer's order.
    static func provenRows(_ answer: AnyAuditAnswer) -> [ProvenRow] {
        switch answer {
        case .provenance(let a):
            let ticket = a.ticket.ticketID
            return a.steps.enumerated().compactMap { i, s in
                s.proof.map {
                    ProvenRow(path: "$.steps[\(i)]", leaf: s.leaf, envelopeHash: s.envelopeHash, proof: $0, claims: Claims(
                        kind: s.kind, signer: s.signer, ticketID: ticket, to: s.to, gate: s.gate, price: s.price, fees: s.fees,
                        scannedAt: s.scannedAt, height: s.height, timestamp: s.timestamp, result: s.result, royalty: s.royalty, reason: s.reason))
                }
            }
        case .resales(let a):
            return trades(a.rejected, "$.rejected") + trades(a.resales, "$.resales")
        case .entries(let a):
            return a.tickets.enumerated().flatMap { i, t in
                t.attempts.enumerated().compactMap { j, at in
                    // Every attempt of a double entry is a redeem of the ticket it stands under.
                    at.proof.map {
                        ProvenRow(path: "$.tickets[\(i)].attempts[\(j)]", leaf: at.leaf, envelopeHash: at.envelopeHash, proof: $0, claims: Claims(
                            kind: LedgerOperation.Kind.redeem.name, ticketID: t.ticketID, gate: at.gate, scannedAt: at.scannedAt,
                            height: at.height, timestamp: at.timestamp, result: at.result))
                    }
                }
            }
        case .holders, .events:
            return []
        }
    }

    private static func trades(_ trades: [ResaleReport.Trade], _ path: String) -> [ProvenRow] {
        trades.enumerated().compactMap { i, t in
            t.proof.map {
                ProvenRow(path: "\(path)[\(i)]", leaf: t.leaf, envelopeHash: t.envelopeHash, proof: $0, claims: Claims(
                    kind: t.kind, ticketID: t.ticketID, buyer: t.buyer, seller: t.seller, price: t.price, fees: t.fees,
                    height: t.height, timestamp: t.timestamp, result: t.result, royalty: t.royalty, reason: t.reason))
            }
        }
    }
}

extension AuditVerifier.Claims {
    /// What the row says that `envelope` contradicts: kind, signer, ticket, and per operation
    /// the buyer, seller, recipient, gate, price, fees and scan time.
    func mismatches(_ envelope: Envelope) -> [String] {
        var out: [String] = []
        func same(_ key: String, _ claimed: PublicKey?, _ actual: PublicKey) {
            if let claimed, claimed != actual { out.append("\(key) \(claimed)") }
        }
        func same<N: BinaryInteger>(_ key: String, _ claimed: N?, _ actual: N) {
            if let claimed, claimed != actual { out.append("\(key) \(claimed)") }
        }
        let op = envelope.operation, signer = envelope.signer
        if let kind, kind != op.kind.name { out.append("kind \(kind)") }
        if let claimed = self.signer, claimed != signer { out.append("signer \(claimed)") }
        if let ticketID, !Self.names(op, ticket: ticketID) { out.append("ticket_id \(ticketID)") }
        switch op {
        case .buyResale(let o):
            same("buyer", buyer, signer); same("to", to, signer); same("price", price, o.price); same("fees", fees, o.fees)
        case .listResale(let o):
            same("seller", seller, signer); same("price", price, o.price); same("fees", fees, o.fees)
        case .redeem(let o):
            same("gate", gate, signer); same("scanned_at", scannedAt, o.scannedAt)
        case .transfer(let o):
            same("to", to, o.to)
        default:
            break
        }
        return out
    }

    /// What the row says that the proven `outcome` of an operation of `kind` contradicts:
    /// block, result, royalty, reason.
    func mismatches(_ outcome: OutcomeProof, of kind: LedgerOperation.Kind) -> [String] {
        var out: [String] = []
        if let height, height != outcome.header.height { out.append("height \(height)") }
        if let timestamp, timestamp != outcome.header.timestamp { out.append("timestamp \(timestamp)") }
        if let result, result != outcome.result { out.append("result \(result)") }
        let decision = outcome.decision?.decision
        // A royalty is the contract's, on an accepted buy it allowed: the only operation that
        // pays one. Another hook may return an amount too, and the ledger pays none.
        let proven = kind == .buyResale && outcome.result == "ok" && decision?.allowed == true ? decision?.royalty ?? 0 : 0
        if let royalty, royalty != proven { out.append("royalty \(royalty)") }
        if let reason, reason != decision?.reason { out.append("reason '\(reason)'") }
        return out
    }

    /// Whether `op` is about ticket `id`: issues it, or names it as the ticket it acts on.
    static func names(_ op: LedgerOperation, ticket id: String) -> Bool {
        let named: [String]
        switch op {
        case .issue(let o): named = o.tickets.map(\.ticketID)
        case .transfer(let o): named = [o.ticketID]
        case .redeem(let o): named = [o.ticketID]
        case .void(let o): named = [o.ticketID]
        case .listResale(let o): named = [o.ticketID]
        case .cancelListing(let o): named = [o.ticketID]
        case .buyResale(let o): named = [o.ticketID]
        case .requestRefund(let o): named = [o.ticketID]
        case .registerIssuer, .createEvent, .registerGate, .deployContract, .bindContract, .cancelEvent: named = []
        }
        return named.contains { $0.utf8.elementsEqual(id.utf8) }
    }
}
