import Hummingbird
import TalonProtocol
import TalonLedger

/// What a holder's pass and a gate's snapshot are made from (docs/openapi.yaml, tag `gate`):
/// a ticket's ownership certificate signed by this node, an event's gates, and its tickets
/// page by page with the head they were read at.
extension NodeAPI {
    func addGateRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/tickets/{id}/certificate") { _, context in
            let id = try pathID(context)
            let (ticket, head) = try node.ledger.ticketAtHead(id)
            guard let ticket else { throw TalonError(.unknownTicket, "no ticket \(id)") }
            switch ticket.status {
            case .active: break
            case .redeemed: throw TalonError(.alreadyRedeemed, "ticket \(id) was redeemed: it has no pass")
            case .void: throw TalonError(.ticketVoid, "ticket \(id) is void: it has no pass")
            case .refunded: throw TalonError(.ticketRefunded, "ticket \(id) was refunded: it has no pass")
            }
            return try json(OwnershipCertificate(ticket: ticket, height: head.height, node: memberName, key: key, genesis: node.ledger.genesis))
        }
        router.get("/v1/events/{id}/gates") { _, context in
            let id = try pathID(context)
            guard try node.ledger.event(id) != nil else { throw TalonError(.unknownEvent, "no event \(id)") }
            return try json(GatesBody(gates: try node.ledger.gates(event: id)))
        }
        router.get("/v1/events/{id}/tickets") { request, context in
            let id = try pathID(context)
            let q = request.uri.queryParameters
            let limit = try Self.integer(q.get("limit"), "limit", in: 1...10_000) ?? 1000
            let after = q.get("after")
            if let after, !LedgerOperation.isID(after) {
                throw TalonError(.invalidParameter, "after is a ticket id: 1–\(Limits.idBytes) characters of A–Z a–z 0–9 . _ : / -")
            }
            return try await offloaded {
                guard try node.ledger.event(id) != nil else { throw TalonError(.unknownEvent, "no event \(id)") }
                let page = try node.ledger.tickets(event: id, after: after, limit: limit)
                return try json(TicketsBody(head: signedHead(page.head), tickets: page.tickets,
                                            next: page.tickets.count == limit ? page.tickets.last?.ticketID : nil))
            }
        }
    }

    struct GatesBody: Encodable { let gates: [GateState] }

    struct TicketsBody: Encodable {
        let head: SignedHead
        let tickets: [TicketState]
        /// The `after` of the next page; absent on the last.
        let next: String?
    }
}
