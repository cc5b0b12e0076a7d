public import TalonProtocol

/// `talon gate sync`: an event's snapshot read from a node while online and checked
/// against the genesis before it replaces the one in a gate's store.
public enum GateSync {
    /// Tickets asked for per page, unless a caller says otherwise.
    public static let defaultPageSize = 5000

    /// Reads event `eventID`, its gates and every page (of `pageSize`) of its tickets from `node`, and
    /// replaces the snapshot in `dir` with them (admissions already recorded are kept).
    /// Every page's head must be signed by a member of `genesis`; the snapshot keeps the
    /// first. `gate` must be a registered gate of the event; `source` names the node and
    /// `now` (ms) is the gate's clock, both kept in the snapshot.
    /// - Throws: the client's errors; `invalid_json` for an answer that does not decode;
    ///   `bad_signature` for a head not signed by a member of this chain; `invalid_answer`
    ///   for another event, pages that do not move on or exceed the capacity; `not_a_gate`;
    ///   and `GateStore.replaceSnapshot`'s errors.
    @discardableResult
    public static func sync(event eventID: String, gate: PublicKey, genesis: GenesisFile, dir: String,
                            from node: some NodeAPIClient, source: String, at now: Int64,
                            pageSize: Int = defaultPageSize) async throws -> (info: GateSnapshotInfo, tickets: Int) {
        let (info, tickets) = try await snapshot(event: eventID, gate: gate, genesis: genesis, from: node, source: source, at: now,
                                                 pageSize: pageSize)
        try GateStore.replaceSnapshot(dir: dir, genesis: genesis, info: info, tickets: tickets)
        return (info, tickets.count)
    }

    /// The snapshot `sync` writes, read and checked but not written.
    /// - Throws: as `sync`, but for the store's errors.
    public static func snapshot(event eventID: String, gate me: PublicKey, genesis: GenesisFile, from node: some NodeAPIClient,
                                source: String, at now: Int64, pageSize: Int = defaultPageSize) async throws
        -> (info: GateSnapshotInfo, tickets: [TicketState]) {
        let event = try await node.get(APIPath.event(eventID), as: EventResponse.self).event
        guard event.eventID.utf8.elementsEqual(eventID.utf8) else {
            throw TalonError(.invalidAnswer, "asked for event \(eventID), the node answered \(event.eventID)")
        }
        let gates = try await node.get(APIPath.eventGates(eventID), as: EventGates.self).gates
        guard let gate = gates.first(where: { $0.key == me }) else {
            throw TalonError(.notAGate, "\(me) is not a registered gate of \(eventID)")
        }
        var tickets: [TicketState] = [], head: SignedHead?, after: String?
        repeat {
            let page = try await node.get(APIPath.eventTickets(eventID, limit: pageSize, after: after), as: EventTickets.self)
            try page.head.verify(genesis: genesis)
            head = head ?? page.head
            tickets += page.tickets
            // Each page must move on, and all of them hold at most the event's capacity.
            guard page.next == nil || (!page.tickets.isEmpty && page.next != after), tickets.count <= Int(event.capacity) else {
                throw TalonError(.invalidAnswer, "the node's pages of tickets do not move on or exceed the capacity")
            }
            after = page.next
        } while after != nil
        guard let head else { throw TalonError(.invalidAnswer, "the node returned no page of tickets") }
        return (GateSnapshotInfo(event: event, gate: gate, gates: gates, head: head, node: source, syncedAt: now), tickets)
    }
}
