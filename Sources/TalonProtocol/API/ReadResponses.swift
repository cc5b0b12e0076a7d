/// The height a read was served at, and how (docs/openapi.yaml `ServedAt`).
public struct ServedAt: Hashable, Sendable, Codable {
    public var height: UInt64
    /// `local` (the node's own state) or `linearizable` (after a ReadIndex barrier).
    public var consistency: String

    /// A read served at `height` with `consistency`.
    public init(height: UInt64, consistency: String) { self.height = height; self.consistency = consistency }
}

/// `GET /v1/tickets/{id}`: a ticket's state (docs/openapi.yaml `TicketResponse`).
public struct TicketResponse: Hashable, Sendable, Codable {
    public var ticket: TicketState
    public var servedAt: ServedAt

    /// The answer holding `ticket`, read at `servedAt`.
    public init(ticket: TicketState, servedAt: ServedAt) { self.ticket = ticket; self.servedAt = servedAt }

    enum CodingKeys: String, CodingKey { case ticket, servedAt = "served_at" }
}

/// `GET /v1/events/{id}`: an event's state (docs/openapi.yaml `EventResponse`).
public struct EventResponse: Hashable, Sendable, Codable {
    public var event: EventState
    public var servedAt: ServedAt

    /// The answer holding `event`, read at `servedAt`.
    public init(event: EventState, servedAt: ServedAt) { self.event = event; self.servedAt = servedAt }

    enum CodingKeys: String, CodingKey { case event, servedAt = "served_at" }
}

/// `GET /v1/tickets/{id}/history`: one page of the records naming a ticket, oldest first
/// (docs/openapi.yaml `HistoryResponse`).
public struct HistoryResponse: Hashable, Sendable, Codable {
    public var records: [LedgerRecord]
    public var servedAt: ServedAt

    /// The answer holding `records`, read at `servedAt`.
    public init(records: [LedgerRecord], servedAt: ServedAt) { self.records = records; self.servedAt = servedAt }

    enum CodingKeys: String, CodingKey { case records, servedAt = "served_at" }
}
