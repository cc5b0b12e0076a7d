/// `GET /v1/events/{id}/gates`: an event's registered gates (docs/openapi.yaml `EventGates`).
public struct EventGates: Hashable, Sendable, Codable {
    public var gates: [GateState]

    /// The answer holding `gates`.
    public init(gates: [GateState]) { self.gates = gates }
}

/// `GET /v1/events/{id}/tickets`: one page of an event's tickets in id order, with the head
/// they were read at signed by the node (docs/openapi.yaml `EventTickets`).
public struct EventTickets: Hashable, Sendable, Codable {
    public var head: SignedHead
    public var tickets: [TicketState]
    /// The `after` of the next page; nil (absent) on the last.
    public var next: String?

    /// A page of `tickets` read at `head`, followed by the page after `next`.
    public init(head: SignedHead, tickets: [TicketState], next: String?) { self.head = head; self.tickets = tickets; self.next = next }
}
