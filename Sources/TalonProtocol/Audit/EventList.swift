/// The ledger's events in id order (`GET /v1/audit/events`).
public struct EventList: Hashable, Sendable, Codable {
    public var events: [EventState]

    /// The list of `events`.
    package init(events: [EventState]) { self.events = events }
}
