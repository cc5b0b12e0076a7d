public import TalonProtocol
/// What a hook knows about the operation it decides, as the ledger sees it when applying
/// the block. A value type; the script receives it as a read-only table `ctx`:
///
/// ```
/// ctx.now                        block time, ms since the epoch (the leader's, not a node clock)
/// ctx.operation.kind             "transfer" | "list" | "buy" | "refund" | "cancel" | "rebind"
/// ctx.operation.price            price asked or paid, minor units (0 for a gift)
/// ctx.operation.fees             fees the buyer pays on top of the price, minor units
/// ctx.operation.currency         ISO 4217 code, e.g. "EUR"
/// ctx.ticket.id / .section
/// ctx.ticket.face_value          printed price incl. the primary seller's fees, minor units
/// ctx.ticket.paid                what the current holder paid for it, minor units
/// ctx.ticket.transfers           ownership changes since issue (gifts and sales)
/// ctx.ticket.resales             paid resales since issue
/// ctx.event.id / .issuer         issuer: its public key text
/// ctx.event.starts_at            ms since the epoch
/// ctx.event.cancelled            true once the issuer cancelled it
/// ctx.parties.holder             the current holder's key
/// ctx.parties.counterparty       the buyer or recipient ("" when there is none)
/// ctx.parties.signer             who signed the operation
/// ctx.buyer.event_tickets        tickets of this event the counterparty holds now
/// ctx.buyer.event_acquisitions   tickets of this event the counterparty ever acquired
///                                (bought or received), across all orders
/// ctx.extra                      anything else the ledger adds
/// ```
/// `kind` comes from the hook being evaluated, not from this value.
public struct ContractContext: Hashable, Sendable {
    /// Block time, milliseconds since the epoch.
    public var now: Int64
    /// The operation being decided.
    public var operation: Operation
    /// The ticket it concerns.
    public var ticket: Ticket
    /// The ticket's event.
    public var event: Event
    /// Who is involved.
    public var parties: Parties
    /// Counts from the counterparty's (buyer's or recipient's) history.
    public var buyer: Buyer
    /// Further fields, visible as `ctx.extra`.
    public var extra: [String: ContractValue]

    /// A context; every field has a neutral default.
    public init(now: Int64 = 0, operation: Operation = .init(), ticket: Ticket = .init(), event: Event = .init(),
                parties: Parties = .init(), buyer: Buyer = .init(), extra: [String: ContractValue] = [:]) {
        self.now = now
        self.operation = operation
        self.ticket = ticket
        self.event = event
        self.parties = parties
        self.buyer = buyer
        self.extra = extra
    }

    /// The operation being decided (`ctx.operation`).
    public struct Operation: Hashable, Sendable {
        /// Price asked or paid, minor units.
        public var price: Int64
        /// Fees the buyer pays on top of the price, minor units.
        public var fees: Int64
        /// ISO 4217 currency code.
        public var currency: String
        /// An operation with a price, fees and currency.
        public init(price: Int64 = 0, fees: Int64 = 0, currency: String = "") {
            self.price = price
            self.fees = fees
            self.currency = currency
        }
    }

    /// The ticket (`ctx.ticket`).
    public struct Ticket: Hashable, Sendable {
        /// Ticket id.
        public var id: String
        /// Section it belongs to.
        public var section: String
        /// Printed price including the primary seller's fees, minor units.
        public var faceValue: Int64
        /// What the current holder paid, minor units.
        public var paid: Int64
        /// Ownership changes since issue.
        public var transfers: Int64
        /// Paid resales since issue.
        public var resales: Int64
        /// A ticket description.
        public init(id: String = "", section: String = "", faceValue: Int64 = 0, paid: Int64 = 0,
                    transfers: Int64 = 0, resales: Int64 = 0) {
            self.id = id
            self.section = section
            self.faceValue = faceValue
            self.paid = paid
            self.transfers = transfers
            self.resales = resales
        }
    }

    /// The event (`ctx.event`).
    public struct Event: Hashable, Sendable {
        /// Event id.
        public var id: String
        /// The issuer's public key text.
        public var issuer: String
        /// Start, milliseconds since the epoch.
        public var startsAt: Int64
        /// Whether the issuer cancelled it.
        public var cancelled: Bool
        /// An event description.
        public init(id: String = "", issuer: String = "", startsAt: Int64 = 0, cancelled: Bool = false) {
            self.id = id
            self.issuer = issuer
            self.startsAt = startsAt
            self.cancelled = cancelled
        }
    }

    /// Who is involved (`ctx.parties`), as public key texts.
    public struct Parties: Hashable, Sendable {
        /// The current holder.
        public var holder: String
        /// The buyer or recipient; empty when there is none.
        public var counterparty: String
        /// Who signed the operation.
        public var signer: String
        /// The parties.
        public init(holder: String = "", counterparty: String = "", signer: String = "") {
            self.holder = holder
            self.counterparty = counterparty
            self.signer = signer
        }
    }

    /// Counts from the counterparty's history (`ctx.buyer`).
    public struct Buyer: Hashable, Sendable {
        /// Tickets of this event the counterparty holds now.
        public var eventTickets: Int64
        /// Tickets of this event the counterparty ever acquired, across orders.
        public var eventAcquisitions: Int64
        /// The counts.
        public init(eventTickets: Int64 = 0, eventAcquisitions: Int64 = 0) {
            self.eventTickets = eventTickets
            self.eventAcquisitions = eventAcquisitions
        }
    }
}

extension ContractContext {
    /// Appends the context in the C side's encoding, as the script sees it for `hook`.
    func write(to w: inout WireWriter, hook: Hook) {
        w.table(7)                      // keys in byte order
        w.key("buyer")
        w.table(2)
        w.key("event_acquisitions"); w.int(buyer.eventAcquisitions)
        w.key("event_tickets"); w.int(buyer.eventTickets)
        w.key("event")
        w.table(4)
        w.key("cancelled"); w.bool(event.cancelled)
        w.key("id"); w.string(event.id)
        w.key("issuer"); w.string(event.issuer)
        w.key("starts_at"); w.int(event.startsAt)
        w.key("extra")
        w.value(.table(extra))
        w.key("now"); w.int(now)
        w.key("operation")
        w.table(4)
        w.key("currency"); w.string(operation.currency)
        w.key("fees"); w.int(operation.fees)
        w.key("kind"); w.string(hook.operationKind)
        w.key("price"); w.int(operation.price)
        w.key("parties")
        w.table(3)
        w.key("counterparty"); w.string(parties.counterparty)
        w.key("holder"); w.string(parties.holder)
        w.key("signer"); w.string(parties.signer)
        w.key("ticket")
        w.table(6)
        w.key("face_value"); w.int(ticket.faceValue)
        w.key("id"); w.string(ticket.id)
        w.key("paid"); w.int(ticket.paid)
        w.key("resales"); w.int(ticket.resales)
        w.key("section"); w.string(ticket.section)
        w.key("transfers"); w.int(ticket.transfers)
    }
}
