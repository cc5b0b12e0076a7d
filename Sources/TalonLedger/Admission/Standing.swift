import TalonProtocol
import TalonStore

/// Whether a signer has standing for an operation: the role or holding without which apply
/// would certainly reject it as `not_authorized`. The leader refuses such envelopes at
/// admission, so a key with no role and no ticket cannot fill every node's disk with
/// rejected records.
///
/// Reads the ledger's state through one read transaction, plus what the envelopes admitted
/// earlier in the same submission grant (an issuer registered, a gate registered, tickets
/// issued, transferred or bought), so `[register_issuer X, create_event by X]` works in one
/// request. The grants are optimistic: should the earlier envelope fail at apply, the later
/// one is still proposed and apply rejects it on the record, as before.
///
/// Deliberately not checked here (apply decides, and its rejection stays on the record for
/// audit): whether an issuer acts on its own event, whether a holder still holds the
/// ticket, a gate's zone, contract decisions, nonces, and `buy_resale`, which needs no
/// standing (a fresh buyer is legitimate).
struct Standing {
    private let txn: Transaction
    private let tables: Ledger.Tables
    private let admins: Set<PublicKey>
    /// Granted by envelopes admitted earlier in this submission.
    private var issuers: Set<PublicKey> = []
    private var gates: Set<[UInt8]> = []
    private var holdings: Set<[UInt8]> = []
    private var ticketEvents: [String: String] = [:]

    init(txn: Transaction, tables: Ledger.Tables, admins: Set<PublicKey>) {
        self.txn = txn
        self.tables = tables
        self.admins = admins
    }

    /// Checks that `envelope`'s signer has standing for its operation (the events of the
    /// tickets it reads are remembered for the envelopes after it).
    /// - Throws: `TalonError(.notAuthorized)`; store errors as `TalonError` store codes.
    mutating func check(_ envelope: Envelope) throws(TalonError) {
        let signer = envelope.signer
        switch envelope.operation {
        case .registerIssuer:
            guard admins.contains(signer) else { throw TalonError(.notAuthorized, "\(signer) is not a genesis admin: only an admin may register issuers") }
        case .createEvent, .deployContract, .registerGate, .issue, .void, .bindContract, .cancelEvent:
            guard try isIssuer(signer) else { throw TalonError(.notAuthorized, "\(signer) is not a registered issuer") }
        case .redeem(let o):
            let event = try eventOf(o.ticketID)
            guard try isGate(signer, of: event) else { throw TalonError(.notAuthorized, "\(signer) is not a gate of event \(event)") }
        case .transfer(let o):
            try requireHolding(signer, o.ticketID)
        case .listResale(let o):
            try requireHolding(signer, o.ticketID)
        case .cancelListing(let o):
            try requireHolding(signer, o.ticketID)
        case .requestRefund(let o):
            try requireHolding(signer, o.ticketID)
        case .buyResale:
            return
        }
    }

    /// Records what an admitted `envelope` grants to the envelopes after it.
    mutating func grant(_ envelope: Envelope) {
        switch envelope.operation {
        case .registerIssuer(let o):
            issuers.insert(o.issuer)
        case .registerGate(let o):
            gates.insert(Schema.gateKey(event: o.eventID, gate: o.gate))
        case .issue(let o):
            for t in o.tickets {
                ticketEvents[t.ticketID] = o.eventID
                holdings.insert(Schema.holdingKey(t.holder, event: o.eventID))
            }
        case .transfer(let o):
            if let event = try? eventOf(o.ticketID) { holdings.insert(Schema.holdingKey(o.to, event: event)) }
        case .buyResale(let o):
            if let event = try? eventOf(o.ticketID) { holdings.insert(Schema.holdingKey(envelope.signer, event: event)) }
        default:
            break
        }
    }

    private func isIssuer(_ key: PublicKey) throws(TalonError) -> Bool {
        if issuers.contains(key) { return true }
        return try Ledger.store { try txn.contains(tables.issuers, key.bytes) }
    }

    private func isGate(_ key: PublicKey, of event: String) throws(TalonError) -> Bool {
        let gateKey = Schema.gateKey(event: event, gate: key)
        if !gates.isEmpty, gates.contains(gateKey) { return true }
        return try Ledger.store { try txn.contains(tables.gates, gateKey) }
    }

    /// The signer holds, or once acquired, a ticket of the event of `ticketID`.
    private mutating func requireHolding(_ signer: PublicKey, _ ticketID: String) throws(TalonError) {
        let event = try eventOf(ticketID)
        let key = Schema.holdingKey(signer, event: event)
        if !holdings.isEmpty, holdings.contains(key) { return }
        guard try Ledger.store({ try txn.contains(tables.holdings, key) }) else {
            throw TalonError(.notAuthorized, "\(signer) holds no ticket of event \(event)")
        }
    }

    /// The event of a ticket known to the ledger or issued earlier in the submission, read
    /// once per submission (a ticket never changes event).
    /// - Throws: `TalonError(.notAuthorized)` for an unknown ticket: nobody has standing on it.
    private mutating func eventOf(_ ticketID: String) throws(TalonError) -> String {
        if let event = ticketEvents[ticketID] { return event }
        let bytes = try Ledger.store { try txn.get(tables.tickets, Schema.ticketKey(ticketID)) }
        guard let bytes else {
            throw TalonError(.notAuthorized, "no ticket \(ticketID) is known to this node, so no key has standing on it (retry if it was just issued)")
        }
        let event = try TicketState(ticketID: ticketID, bytes: bytes).eventID
        ticketEvents[ticketID] = event
        return event
    }
}
