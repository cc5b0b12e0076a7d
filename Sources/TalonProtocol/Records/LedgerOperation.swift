
/// What an envelope asks the ledger to do. Times are milliseconds since the Unix epoch (UTC);
/// money is an integer count of the currency's minor unit (cents).
public enum LedgerOperation: Hashable, Sendable {
    case registerIssuer(RegisterIssuer)
    case createEvent(CreateEvent)
    case registerGate(RegisterGate)
    case issue(IssueTickets)
    case transfer(Transfer)
    case redeem(Redeem)
    case void(VoidTicket)
    case deployContract(DeployContract)
    case bindContract(BindContract)
    case listResale(ListResale)
    case cancelListing(CancelListing)
    case buyResale(BuyResale)
    case requestRefund(RequestRefund)
    case cancelEvent(CancelEvent)

    /// The kind of an operation, with its stable wire number and name.
    ///
    public enum Kind: UInt16, CaseIterable, Sendable {
        case registerIssuer = 1, createEvent = 2, registerGate = 3, issue = 4, transfer = 5, redeem = 6, void = 7
        case deployContract = 8, bindContract = 9, listResale = 10, cancelListing = 11, buyResale = 12
        case requestRefund = 13, cancelEvent = 14

        /// The name used in JSON and on the command line.
        public var name: String {
            switch self {
            case .registerIssuer: "register_issuer"
            case .createEvent: "create_event"
            case .registerGate: "register_gate"
            case .issue: "issue"
            case .transfer: "transfer"
            case .redeem: "redeem"
            case .void: "void"
            case .deployContract: "deploy_contract"
            case .bindContract: "bind_contract"
            case .listResale: "list_resale"
            case .cancelListing: "cancel_listing"
            case .buyResale: "buy_resale"
            case .requestRefund: "request_refund"
            case .cancelEvent: "cancel_event"
            }
        }

        /// The kind named `name`, or nil.
        public init?(name: String) {
            guard let k = Kind.allCases.first(where: { $0.name == name }) else { return nil }
            self = k
        }
    }

    /// This operation's kind.
    public var kind: Kind {
        switch self {
        case .registerIssuer: .registerIssuer
        case .createEvent: .createEvent
        case .registerGate: .registerGate
        case .issue: .issue
        case .transfer: .transfer
        case .redeem: .redeem
        case .void: .void
        case .deployContract: .deployContract
        case .bindContract: .bindContract
        case .listResale: .listResale
        case .cancelListing: .cancelListing
        case .buyResale: .buyResale
        case .requestRefund: .requestRefund
        case .cancelEvent: .cancelEvent
        }
    }
}

/// An admin registers a key as a ticket issuer (an organizer).
public struct RegisterIssuer: Hashable, Sendable {
    public var issuer: PublicKey
    public var name: String
    public init(issuer: PublicKey, name: String) { self.issuer = issuer; self.name = name }
}

/// An issuer creates an event it will sell tickets for.
public struct CreateEvent: Hashable, Sendable {
    public var eventID: String
    public var name: String
    public var venue: String
    /// When the event starts.
    public var startsAt: Int64
    /// When gates start admitting; not after `startsAt`.
    public var doorsOpenAt: Int64
    /// The most tickets that may ever be issued for it.
    public var capacity: UInt32
    /// ISO 4217 code of the face values, e.g. `EUR`.
    public var currency: String
    public init(eventID: String, name: String, venue: String, startsAt: Int64, doorsOpenAt: Int64, capacity: UInt32, currency: String) {
        self.eventID = eventID; self.name = name; self.venue = venue; self.startsAt = startsAt
        self.doorsOpenAt = doorsOpenAt; self.capacity = capacity; self.currency = currency
    }
}

/// An event's issuer registers a gate scanner's key; the gate may redeem that event's tickets.
public struct RegisterGate: Hashable, Sendable {
    public var eventID: String
    public var gate: PublicKey
    public var name: String
    /// The sections this gate admits; empty means every section.
    public var sections: [String]
    public init(eventID: String, gate: PublicKey, name: String, sections: [String]) {
        self.eventID = eventID; self.gate = gate; self.name = name; self.sections = sections
    }
}

/// One ticket of an issue batch.
public struct TicketSpec: Hashable, Sendable {
    public var ticketID: String
    public var section: String
    public var seat: String
    /// The price at first sale, in minor units.
    public var faceValue: UInt64
    /// The first holder.
    public var holder: PublicKey
    public init(ticketID: String, section: String, seat: String, faceValue: UInt64, holder: PublicKey) {
        self.ticketID = ticketID; self.section = section; self.seat = seat; self.faceValue = faceValue; self.holder = holder
    }
}

/// An event's issuer issues a batch of tickets; all are issued or none.
public struct IssueTickets: Hashable, Sendable {
    public var eventID: String
    public var tickets: [TicketSpec]
    public init(eventID: String, tickets: [TicketSpec]) { self.eventID = eventID; self.tickets = tickets }
}

/// A ticket's holder gives it to another key.
public struct Transfer: Hashable, Sendable {
    public var ticketID: String
    public var to: PublicKey
    public init(ticketID: String, to: PublicKey) { self.ticketID = ticketID; self.to = to }
}

/// A registered gate records that it admitted a ticket.
public struct Redeem: Hashable, Sendable {
    public var ticketID: String
    /// The ownership sequence shown on the scanned pass.
    public var sequence: UInt64
    /// When the gate scanned it (the gate's clock).
    public var scannedAt: Int64
    public init(ticketID: String, sequence: UInt64, scannedAt: Int64) {
        self.ticketID = ticketID; self.sequence = sequence; self.scannedAt = scannedAt
    }
}

/// A ticket's issuer voids it; it can no longer move or be redeemed.
public struct VoidTicket: Hashable, Sendable {
    public var ticketID: String
    public var reason: String
    public init(ticketID: String, reason: String) { self.ticketID = ticketID; self.reason = reason }
}

/// An issuer publishes a contract (a Lua script, docs/contracts.md); its id is the SHA-256
/// of the source's UTF-8 bytes.
public struct DeployContract: Hashable, Sendable {
    public var source: String
    public init(source: String) { self.source = source }
    /// The contract's id.
    public var contractID: Digest { SHA256.hash(Array(source.utf8)) }
}

/// An event's issuer binds a deployed contract to the event with parameters, or changes the
/// parameters of the binding (the contract's `on_rebind` decides which changes it accepts).
public struct BindContract: Hashable, Sendable {
    public var eventID: String
    public var contract: Digest
    /// A JSON object of integers, strings, booleans, arrays and objects (no floats, no null).
    public var params: String
    public init(eventID: String, contract: Digest, params: String) {
        self.eventID = eventID; self.contract = contract; self.params = params
    }
}

/// A ticket's holder offers it for resale at `price` (to the seller) plus `fees` (what the
/// buyer pays on top); listing again replaces the offer.
public struct ListResale: Hashable, Sendable {
    public var ticketID: String
    public var price: UInt64
    public var fees: UInt64
    public init(ticketID: String, price: UInt64, fees: UInt64) { self.ticketID = ticketID; self.price = price; self.fees = fees }
}

/// The seller withdraws a listing.
public struct CancelListing: Hashable, Sendable {
    public var ticketID: String
    public init(ticketID: String) { self.ticketID = ticketID }
}

/// A buyer (the signer) buys a listed ticket at the listed price and fees, which it repeats
/// so that a relisting on other terms cannot be bought by surprise.
public struct BuyResale: Hashable, Sendable {
    public var ticketID: String
    public var price: UInt64
    public var fees: UInt64
    public init(ticketID: String, price: UInt64, fees: UInt64 = 0) { self.ticketID = ticketID; self.price = price; self.fees = fees }
}

/// A ticket's holder asks for a refund; the event's contract decides the amount.
public struct RequestRefund: Hashable, Sendable {
    public var ticketID: String
    public init(ticketID: String) { self.ticketID = ticketID }
}

/// The event's issuer cancels it: its tickets can no longer move or be redeemed, only refunded.
public struct CancelEvent: Hashable, Sendable {
    public var eventID: String
    public var reason: String
    public init(eventID: String, reason: String) { self.eventID = eventID; self.reason = reason }
}
