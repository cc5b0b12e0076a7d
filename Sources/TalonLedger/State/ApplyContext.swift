import TalonContracts
import TalonProtocol
import TalonStore

/// Applies the envelopes of one block, one at a time, inside the block's write transaction.
///
/// Each rule checks everything first and writes only when every check passed, so a
/// rejected envelope changes no state; the indexes record it either way. One context
/// serves a whole block: it keeps the events and contract bindings it has read, which
/// nearly every envelope of a block asks for again.
final class ApplyContext {
    let txn: Transaction
    let tables: Ledger.Tables
    let height: UInt64
    let admins: Set<PublicKey>
    let chainID: String
    /// The block's timestamp: contracts see it as `ctx.now`.
    let timestamp: Int64
    let contracts: ContractRuntime
    /// Whether an envelope below the given leaf spent this signer's nonce
    /// (`Ledger.EnvelopeLookup.nonceSpent`: the nonces are found through `envelope_hashes`).
    let nonceSpent: (PublicKey, UInt64, _ below: UInt64) throws -> Bool
    /// The Merkle leaf of the envelope being applied.
    private var leaf: UInt64 = 0
    /// The contract decision recorded for the envelope being applied, if one was taken.
    private var decision: RecordedDecision?
    /// Events and bindings as this block has read or written them (nil: no binding).
    private var events: [String: EventState] = [:]
    private var bindings: [String: BindingState?] = [:]
    /// The last ticket read or written: an envelope's rules ask again for the ticket its
    /// indexes looked up.
    private var lastTicket: (id: String, state: TicketState?)?

    init(txn: Transaction, tables: Ledger.Tables, height: UInt64, admins: Set<PublicKey>, chainID: String,
         timestamp: Int64, contracts: ContractRuntime, nonceSpent: @escaping (PublicKey, UInt64, _ below: UInt64) throws -> Bool) {
        self.txn = txn; self.tables = tables; self.height = height; self.admins = admins; self.chainID = chainID
        self.timestamp = timestamp; self.contracts = contracts; self.nonceSpent = nonceSpent
    }

    /// Applies `envelope` as leaf `leaf`; returns its block entry: `ok` or the reason it was
    /// rejected (a code of `Code.results`, and no other: a store failure, or any other code,
    /// aborts the block), and the hash of the contract decision taken on it; and the holders
    /// whose history names the leaf, each once, which the caller files in bulk (`RecentLeafKeys`).
    func apply(_ envelope: Envelope, leaf: UInt64) throws -> (entry: Block.Entry, holders: [PublicKey]) {
        self.leaf = leaf
        decision = nil
        let touched = try self.touched(by: envelope)
        // The ticket as it was before this envelope, for the audit row of a resale, listing or redeem.
        let subject = AuditSubject.ticketID(of: envelope.operation) == nil ? nil : touched.ticket.map(AuditSubject.init)
        let result: String
        do {
            guard envelope.chainID.utf8.elementsEqual(chainID.utf8) else { throw TalonError(.wrongChain) }
            // The nonce is spent whatever the rules decide, so a rejected envelope can never
            // be replayed later, when it might pass: this envelope, filed under its signer and
            // nonce in `envelope_hashes`, is what later ones find.
            guard try !nonceSpent(envelope.signer, envelope.nonce, leaf) else {
                throw TalonError(.nonceReused)
            }
            try applyRules(envelope.operation, signer: envelope.signer)
            result = Code.ok.name
        } catch let e as TalonError where e.code.atApply == .recorded {
            result = e.code.name
        } catch let e as TalonError where e.code.kind != .fault {
            // Not a verdict on the envelope but a stored record that does not decode (its
            // decoding code): recording it would put a code no block may hold in this node's
            // block alone. Like any damaged store, it aborts the block.
            throw TalonError(.storeCorrupt, "applying leaf \(leaf): \(e)")
        }
        // Leaves only grow, so each history gains its greatest member: an append.
        for ticket in touched.tickets { try TicketHistory.append(txn, tables.tickets, ticket: ticket, leaf: leaf) }
        if let event = touched.event { try txn.append(tables.eventHistory, Schema.id(event), leaf) }
        if let subject { try recordAudit(envelope, subject, result: result) }
        return (Block.Entry(envelopeHash: envelope.hash, result: result, decision: decision?.hash), touched.holders)
    }

    /// Writes the audit row of a resale, listing or redeem attempt on an existing ticket.
    private func recordAudit(_ envelope: Envelope, _ subject: AuditSubject, result: String) throws {
        let acquiredAt = try subject.updatedAt == height ? timestamp : tables.blockTimestamp(txn, subject.updatedAt)
        guard let row = subject.row(envelope, leaf: leaf, height: height, timestamp: timestamp, result: result,
                                    decision: decision, acquiredAt: acquiredAt) else { return }
        try txn.put(tables.audit, row.key, row.bytes)
    }


    /// What an envelope names, looked up before it applies: the tickets, holders and event
    /// its record is indexed under, and the state of the one ticket it acts on, if any.
    private struct Touched {
        var tickets: [String] = [], holders: [PublicKey] = [], event: String?
        var ticket: TicketState?
    }

    private func touched(by envelope: Envelope) throws -> Touched {
        switch envelope.operation {
        case .registerIssuer, .deployContract:
            return Touched()
        case .createEvent(let o):
            return Touched(event: o.eventID)
        case .registerGate(let o):
            return Touched(event: o.eventID)
        case .bindContract(let o):
            return Touched(event: o.eventID)
        case .cancelEvent(let o):
            return Touched(event: o.eventID)
        case .issue(let o):
            // Each once (admission refuses repeats; a history gains a leaf once either way).
            var seen = Set<PublicKey>(), seenIDs = Set<[UInt8]>()
            return Touched(tickets: o.tickets.map(\.ticketID).filter { seenIDs.insert(Array($0.utf8)).inserted },
                           holders: o.tickets.map(\.holder).filter { seen.insert($0).inserted }, event: o.eventID)
        case .transfer(let o):
            let ticket = try self.ticket(o.ticketID)
            return Touched(tickets: [o.ticketID], holders: Self.distinct(envelope.signer, o.to), event: ticket?.eventID, ticket: ticket)
        case .redeem(let o):
            return try ticketTouch(o.ticketID, signer: nil)
        case .void(let o):
            return try ticketTouch(o.ticketID, signer: nil)
        case .listResale(let o):
            return try ticketTouch(o.ticketID, signer: envelope.signer)
        case .cancelListing(let o):
            return try ticketTouch(o.ticketID, signer: envelope.signer)
        case .buyResale(let o):
            return try ticketTouch(o.ticketID, signer: envelope.signer)
        case .requestRefund(let o):
            return try ticketTouch(o.ticketID, signer: envelope.signer)
        }
    }

    /// A ticket operation touches the ticket, the signer (when given), its holder and its event.
    private func ticketTouch(_ id: String, signer: PublicKey?) throws -> Touched {
        let ticket = try self.ticket(id)
        return Touched(tickets: [id], holders: Self.distinct(signer, ticket?.holder), event: ticket?.eventID, ticket: ticket)
    }

    /// The keys given, each once.
    private static func distinct(_ a: PublicKey?, _ b: PublicKey?) -> [PublicKey] {
        switch (a, b) {
        case let (a?, b?): a == b ? [a] : [a, b]
        case let (a?, nil), let (nil, a?): [a]
        case (nil, nil): []
        }
    }

    private func applyRules(_ op: LedgerOperation, signer: PublicKey) throws {
        switch op {
        case .registerIssuer(let o):
            guard admins.contains(signer) else { throw TalonError(.notAuthorized, "only a genesis admin may register issuers") }
            guard try !txn.contains(tables.issuers, o.issuer.bytes) else {
                throw TalonError(.alreadyExists, "issuer \(o.issuer) is already registered")
            }
            try txn.put(tables.issuers, o.issuer.bytes, IssuerState(key: o.issuer, name: o.name, registeredAt: height).bytes)

        case .createEvent(let o):
            guard try txn.contains(tables.issuers, signer.bytes) else { throw TalonError(.notAuthorized, "\(signer) is not a registered issuer") }
            guard try !txn.contains(tables.events, Array(o.eventID.utf8)) else { throw TalonError(.alreadyExists, "event \(o.eventID) exists") }
            try putEvent(EventState(o, issuer: signer, height: height))

        case .registerGate(let o):
            let event = try requireOpenEvent(o.eventID)
            guard event.issuer == signer else { throw TalonError(.notAuthorized, "only the event's issuer may register its gates") }
            let key = Schema.gateKey(event: o.eventID, gate: o.gate)
            guard try !txn.contains(tables.gates, key) else { throw TalonError(.alreadyExists, "gate \(o.gate) is registered for \(o.eventID)") }
            try txn.put(tables.gates, key, GateState(o, height: height).bytes)

        case .issue(let o):
            var event = try requireOpenEvent(o.eventID)
            guard event.issuer == signer else { throw TalonError(.notAuthorized, "only the event's issuer may issue its tickets") }
            guard UInt64(event.issued) + UInt64(o.tickets.count) <= UInt64(event.capacity) else {
                throw TalonError(.overCapacity, "\(event.issued) issued + \(o.tickets.count) exceeds capacity \(event.capacity)")
            }
            for spec in o.tickets where try txn.contains(tables.tickets, Schema.ticketKey(spec.ticketID)) {
                throw TalonError(.ticketExists, "ticket \(spec.ticketID) already exists")
            }
            for spec in o.tickets {
                try putTicket(TicketState(spec: spec, eventID: o.eventID, height: height))
                try txn.put(tables.eventTickets, Schema.eventTicketKey(o.eventID, spec.ticketID), [])
            }
            var received: [PublicKey: UInt32] = [:]
            for spec in o.tickets { received[spec.holder, default: 0] += 1 }
            for (holder, count) in received {
                try changeHolding(holder, event: o.eventID) { $0.held = $0.held.saturatingAdd(count); $0.acquired = $0.acquired.saturatingAdd(count) }
            }
            event.issued += UInt32(o.tickets.count)
            try putEvent(event)

        case .transfer(let o):
            var ticket = try requireHeld(o.ticketID, by: signer)
            guard o.to != signer else { throw TalonError(.invalidField, "a ticket cannot be transferred to its holder") }
            let event = try requireOpenEvent(ticket.eventID)
            if let binding = try binding(ticket.eventID) {
                try decide(binding, .onTransfer, context(event: event, ticket: ticket, counterparty: o.to, signer: signer))
            }
            try dropListing(o.ticketID)
            ticket.holder = o.to
            ticket.sequence += 1
            ticket.transfers = ticket.transfers.saturatingAdd(1)
            ticket.updatedAt = height
            try putTicket(ticket)
            try changeHolding(signer, event: ticket.eventID) { $0.held -= min($0.held, 1) }
            try changeHolding(o.to, event: ticket.eventID) { $0.held = $0.held.saturatingAdd(1); $0.acquired = $0.acquired.saturatingAdd(1) }

        case .redeem(let o):
            guard var ticket = try self.ticket(o.ticketID) else { throw TalonError(.unknownTicket, "no ticket \(o.ticketID)") }
            guard let gateBytes = try txn.get(tables.gates, Schema.gateKey(event: ticket.eventID, gate: signer)) else {
                throw TalonError(.notAuthorized, "\(signer) is not a gate of event \(ticket.eventID)")
            }
            let gate = try GateState(eventID: ticket.eventID, key: signer, bytes: gateBytes)
            guard gate.admits(section: ticket.section) else {
                throw TalonError(.wrongZone, "gate \(gate.name) does not admit section \(ticket.section)")
            }
            try checkMovable(ticket)
            _ = try requireOpenEvent(ticket.eventID)
            guard o.sequence == ticket.sequence else {
                throw TalonError(.superseded, "pass shows ownership \(o.sequence), the ticket is at \(ticket.sequence)")
            }
            ticket.status = .redeemed
            ticket.redeemedBy = signer
            ticket.redeemedAt = o.scannedAt
            ticket.updatedAt = height
            try putTicket(ticket)
            try dropListing(o.ticketID)

        case .void(let o):
            var ticket = try requireMovable(o.ticketID)
            // A cancelled event's tickets are owed refunds: voiding them would take that away.
            let event = try requireOpenEvent(ticket.eventID)
            guard event.issuer == signer else { throw TalonError(.notAuthorized, "only the event's issuer may void its tickets") }
            ticket.status = .void
            ticket.updatedAt = height
            try putTicket(ticket)
            try dropListing(o.ticketID)
            try changeHolding(ticket.holder, event: ticket.eventID) { $0.held -= min($0.held, 1) }

        case .deployContract(let o):
            guard try txn.contains(tables.issuers, signer.bytes) else { throw TalonError(.notAuthorized, "\(signer) is not a registered issuer") }
            let id = o.contractID
            guard try !txn.contains(tables.contracts, id.bytes) else { throw TalonError(.alreadyExists, "contract \(id.hex) is deployed") }
            if let error = contracts.check(id, source: o.source) { throw TalonError(error.code, error.description) }
            try txn.put(tables.contracts, id.bytes, ContractState(id: id, deployer: signer, source: o.source, deployedAt: height).bytes)

        case .bindContract(let o):
            let event = try requireOpenEvent(o.eventID)
            guard event.issuer == signer else { throw TalonError(.notAuthorized, "only the event's issuer may bind its contract") }
            guard try txn.contains(tables.contracts, o.contract.bytes) else {
                throw TalonError(.unknownContract, "no contract \(o.contract.hex) is deployed")
            }
            // Tickets are sold under the rules bound when they were issued: once there are
            // tickets, no contract can be added or swapped, only its parameters changed.
            let old = try binding(o.eventID)
            if event.issued > 0, old?.contract != o.contract {
                throw TalonError(.contractLocked, old.map { "tickets of \(o.eventID) are issued under contract \($0.contract.hex.prefix(16))…; only its parameters can change" }
                                                      ?? "tickets of \(o.eventID) were issued without a contract; none can be bound now")
            }
            // The contract's on_rebind checks the parameters and, on a change, whether it only
            // loosens the rules; it runs against the old parameters' contract when rebinding.
            let new = BindingState(eventID: o.eventID, contract: o.contract, params: o.params, boundAt: height)
            let previous = try old.flatMap { $0.contract == o.contract ? try ContractParameters.parse($0.params) : nil }
            try decide(new, .onRebind, context(event: event, ticket: nil, counterparty: nil, signer: signer), previous: previous)
            try putBinding(new)

        case .listResale(let o):
            let ticket = try requireHeld(o.ticketID, by: signer)
            let event = try requireOpenEvent(ticket.eventID)
            if let binding = try binding(ticket.eventID) {
                try decide(binding, .onList, context(event: event, ticket: ticket, counterparty: nil, signer: signer, price: o.price, fees: o.fees))
            }
            let listing = ListingState(ticketID: o.ticketID, seller: signer, price: o.price, fees: o.fees, sequence: ticket.sequence, listedAt: height)
            try txn.put(tables.listings, Schema.ticketKey(o.ticketID), listing.bytes)

        case .cancelListing(let o):
            guard let listing = try listing(o.ticketID) else { throw TalonError(.notListed, "\(o.ticketID) is not listed") }
            guard listing.seller == signer else { throw TalonError(.notAuthorized, "only the seller may withdraw the listing of \(o.ticketID)") }
            try dropListing(o.ticketID)

        case .buyResale(let o):
            var ticket = try requireMovable(o.ticketID)
            guard let listing = try listing(o.ticketID), listing.sequence == ticket.sequence, listing.seller == ticket.holder else {
                throw TalonError(.notListed, "\(o.ticketID) is not listed by its holder")
            }
            guard signer != ticket.holder else { throw TalonError(.invalidField, "the seller cannot buy its own listing") }
            guard o.price == listing.price, o.fees == listing.fees else {
                throw TalonError(.priceMismatch, "\(o.ticketID) is listed at \(listing.price) + \(listing.fees) fees, the offer says \(o.price) + \(o.fees)")
            }
            let event = try requireOpenEvent(ticket.eventID)
            if let binding = try binding(ticket.eventID) {
                try decide(binding, .onBuy, context(event: event, ticket: ticket, counterparty: signer, signer: signer,
                                                    price: listing.price, fees: listing.fees))
            }
            let seller = ticket.holder
            ticket.holder = signer
            ticket.sequence += 1
            ticket.transfers = ticket.transfers.saturatingAdd(1)
            ticket.resales = ticket.resales.saturatingAdd(1)
            let (total, overflow) = listing.price.addingReportingOverflow(listing.fees)
            ticket.paid = overflow ? .max : total
            ticket.updatedAt = height
            try putTicket(ticket)
            try dropListing(o.ticketID)
            try changeHolding(seller, event: ticket.eventID) { $0.held -= min($0.held, 1) }
            try changeHolding(signer, event: ticket.eventID) { $0.held = $0.held.saturatingAdd(1); $0.acquired = $0.acquired.saturatingAdd(1) }

        case .requestRefund(let o):
            var ticket = try requireHeld(o.ticketID, by: signer)
            let event = try requireEvent(ticket.eventID)
            let amount: UInt64
            if let binding = try binding(ticket.eventID) {
                // A cancelled event asks on_cancel (a full refund when the contract has no such
                // hook); otherwise on_refund, and a contract without one grants nothing.
                let hook: Hook = event.cancelled ? .onCancel : .onRefund
                let decision = try decide(binding, hook, context(event: event, ticket: ticket, counterparty: nil, signer: signer))
                if decision.hookDefined {
                    amount = UInt64(max(0, decision.refund))
                } else if event.cancelled {
                    amount = ticket.paid
                } else {
                    throw TalonError(.notRefundable, "the event's contract grants no refunds")
                }
            } else {
                guard event.cancelled else { throw TalonError(.notRefundable, "the event has no refund rules; only its cancellation refunds") }
                amount = ticket.paid
            }
            ticket.status = .refunded
            ticket.refund = amount
            ticket.updatedAt = height
            try putTicket(ticket)
            try dropListing(o.ticketID)
            try changeHolding(signer, event: ticket.eventID) { $0.held -= min($0.held, 1) }

        case .cancelEvent(let o):
            var event = try requireEvent(o.eventID)
            guard event.issuer == signer else { throw TalonError(.notAuthorized, "only the event's issuer may cancel it") }
            guard !event.cancelled else { throw TalonError(.eventCancelled, "event \(o.eventID) is already cancelled") }
            event.cancelled = true
            try putEvent(event)
        }
    }

    private func listing(_ ticket: String) throws -> ListingState? {
        try txn.get(tables.listings, Schema.ticketKey(ticket)).map { try ListingState(ticketID: ticket, bytes: $0) }
    }

    private func dropListing(_ ticket: String) throws { _ = try txn.delete(tables.listings, Schema.ticketKey(ticket)) }

    private func requireOpenEvent(_ id: String) throws -> EventState {
        let event = try requireEvent(id)
        guard !event.cancelled else { throw TalonError(.eventCancelled, "event \(id) was cancelled") }
        return event
    }

    // MARK: contracts

    /// The context a hook sees for an operation on `ticket` (nil for event-level hooks).
    private func context(event: EventState, ticket: TicketState?, counterparty: PublicKey?, signer: PublicKey,
                         price: UInt64 = 0, fees: UInt64 = 0) throws -> ContractContext {
        let buyer = try counterparty.map { try holding($0, event: event.eventID) } ?? Holding()
        return ContractContext(
            now: timestamp,
            operation: .init(price: Int64(clamping: price), fees: Int64(clamping: fees), currency: event.currency),
            ticket: ticket.map {
                .init(id: $0.ticketID, section: $0.section, faceValue: Int64(clamping: $0.faceValue), paid: Int64(clamping: $0.paid),
                      transfers: Int64($0.transfers), resales: Int64($0.resales))
            } ?? .init(),
            event: .init(id: event.eventID, issuer: event.issuer.description, startsAt: event.startsAt, cancelled: event.cancelled),
            parties: .init(holder: ticket?.holder.description ?? "", counterparty: counterparty?.description ?? "", signer: signer.description),
            buyer: .init(eventTickets: Int64(buyer.held), eventAcquisitions: Int64(buyer.acquired)))
    }

    /// Evaluates `hook` of `binding`'s contract and records the decision at this envelope's
    /// leaf; a denial or a failed evaluation rejects the envelope with its code.
    @discardableResult
    private func decide(_ binding: BindingState, _ hook: Hook, _ context: ContractContext,
                        previous: [String: ContractValue]? = nil) throws -> ContractDecision {
        let params = try ContractParameters.parse(binding.params)
        let outcome = try contracts.evaluate(binding.contract, source: { try contractSource(binding.contract) }, hook: hook,
                                             context: context, parameters: params, previous: previous)
        switch outcome {
        case .failure(let error):
            throw TalonError(error.code, error.description)
        case .success(let decision):
            let recorded = RecordedDecision(contract: binding.contract, hook: hook, decision: decision)
            try txn.put(tables.decisions, Schema.u64(leaf), recorded.bytes)
            self.decision = recorded
            guard decision.allowed else {
                throw TalonError(.contractDenied, decision.reason.isEmpty ? "the event's contract denied it" : decision.reason)
            }
            return decision
        }
    }

    private func contractSource(_ id: Digest) throws -> String {
        guard let bytes = try txn.get(tables.contracts, id.bytes) else { throw TalonError(.storeCorrupt, "bound contract \(id.hex) is missing") }
        return try ContractState(id: id, bytes: bytes).source
    }

    private func binding(_ event: String) throws -> BindingState? {
        if let cached = bindings[event] { return cached }
        let binding = try txn.get(tables.bindings, Array(event.utf8)).map { try BindingState(eventID: event, bytes: $0) }
        bindings[event] = .some(binding)
        return binding
    }

    private func putBinding(_ b: BindingState) throws {
        try txn.put(tables.bindings, Array(b.eventID.utf8), b.bytes)
        bindings[b.eventID] = .some(b)
    }

    private func holding(_ key: PublicKey, event: String) throws -> Holding {
        try holding(at: Schema.holdingKey(key, event: event))
    }

    private func holding(at key: [UInt8]) throws -> Holding {
        try txn.get(tables.holdings, key).map { try Holding(bytes: $0) } ?? Holding()
    }

    private func changeHolding(_ holder: PublicKey, event: String, _ change: (inout Holding) -> Void) throws {
        let key = Schema.holdingKey(holder, event: event)
        var h = try holding(at: key)
        change(&h)
        try txn.put(tables.holdings, key, h.bytes)
    }

    // MARK: state access

    private func ticket(_ id: String) throws -> TicketState? {
        if let last = lastTicket, last.id == id { return last.state }
        let ticket = try txn.get(tables.tickets, Schema.ticketKey(id)).map { try TicketState(ticketID: id, bytes: $0) }
        lastTicket = (id, ticket)
        return ticket
    }

    /// A movable ticket that `signer` holds.
    private func requireHeld(_ id: String, by signer: PublicKey) throws -> TicketState {
        let ticket = try requireMovable(id)
        guard ticket.holder == signer else { throw TalonError(.notHolder, "\(signer) does not hold \(id)") }
        return ticket
    }

    private func requireMovable(_ id: String) throws -> TicketState {
        guard let ticket = try ticket(id) else { throw TalonError(.unknownTicket, "no ticket \(id)") }
        try checkMovable(ticket)
        return ticket
    }

    private func checkMovable(_ ticket: TicketState) throws {
        switch ticket.status {
        case .active: return
        case .void: throw TalonError(.ticketVoid, "ticket \(ticket.ticketID) is void")
        case .redeemed: throw TalonError(.alreadyRedeemed, "ticket \(ticket.ticketID) was redeemed")
        case .refunded: throw TalonError(.ticketRefunded, "ticket \(ticket.ticketID) was refunded")
        }
    }

    private func requireEvent(_ id: String) throws -> EventState {
        if let cached = events[id] { return cached }
        guard let bytes = try txn.get(tables.events, Array(id.utf8)) else { throw TalonError(.unknownEvent, "no event \(id)") }
        let event = try EventState(eventID: id, bytes: bytes)
        events[id] = event
        return event
    }

    private func putTicket(_ t: TicketState) throws {
        try txn.put(tables.tickets, Schema.ticketKey(t.ticketID), t.bytes)
        lastTicket = (t.ticketID, t)
    }
    private func putEvent(_ e: EventState) throws {
        try txn.put(tables.events, Array(e.eventID.utf8), e.bytes)
        events[e.eventID] = e
    }
}

extension UInt32 {
    /// `self + other`, or `UInt32.max` where that would overflow (counters never trap).
    func saturatingAdd(_ other: UInt32) -> UInt32 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}
