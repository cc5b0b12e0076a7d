/// Any answer under `/v1/audit/`, told apart by the one list it holds: `steps` (a ticket's
/// provenance), `resales`, `holders`, `tickets` (double entries) or `events`.
public enum AnyAuditAnswer: Hashable, Sendable, Decodable {
    case provenance(AuditAnswer<TicketProvenance>)
    case resales(AuditAnswer<ResaleReport>)
    case holders(AuditAnswer<HolderReport>)
    case entries(AuditAnswer<EntryReport>)
    case events(AuditAnswer<EventList>)

    /// The signed head the answer was read at.
    public var head: SignedHead {
        switch self {
        case .provenance(let a): a.head
        case .resales(let a): a.head
        case .holders(let a): a.head
        case .entries(let a): a.head
        case .events(let a): a.head
        }
    }

    /// The answer whose one list says what it is.
    /// - Throws: a decoding error when it holds none of the lists, or more than one.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: List.self)
        let present = List.allCases.filter { c.contains($0) }
        guard present.count == 1, let list = present.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "an audit answer holds exactly one of steps, resales, holders, tickets and events"))
        }
        switch list {
        case .steps: self = .provenance(try AuditAnswer(from: decoder))
        case .resales: self = .resales(try AuditAnswer(from: decoder))
        case .holders: self = .holders(try AuditAnswer(from: decoder))
        case .tickets: self = .entries(try AuditAnswer(from: decoder))
        case .events: self = .events(try AuditAnswer(from: decoder))
        }
    }

    private enum List: String, CodingKey, CaseIterable { case steps, resales, holders, tickets, events }
}
