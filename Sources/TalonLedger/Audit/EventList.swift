import TalonStore
public import TalonProtocol

/// The ledger's events in id order, with the head they were read at.
public struct EventList: Sendable, Encodable {
    public var head: Head
    public var events: [EventState]
}

extension Ledger {
    /// Events in id order after `after` (at most `limit`), read on one snapshot with its head.
    public func events(after: String? = nil, limit: Int = 1000) throws(TalonError) -> EventList {
        try audit(prove: false) { s in
            var events: [EventState] = []
            try s.txn.scan(tables.events, from: after.map { Array($0.utf8) + [0] }) { k, v in
                guard events.count < limit, let id = String(validating: k, as: UTF8.self) else { return events.count < limit }
                events.append(try EventState(eventID: id, bytes: v))
                return true
            }
            return EventList(head: s.head, events: events)
        }
    }
}
