public import TalonProtocol
import TalonContracts
import TalonStore

/// What an `audit` row records. The byte is part of the row's key, so each kind of an
/// event is one contiguous range in leaf order.
enum AuditKind: UInt8 {
    /// A `buy_resale` attempt, accepted or not.
    case resale = 1
    /// A `list_resale` attempt, accepted or not.
    case listing = 2
    /// A `redeem` attempt, accepted or not.
    case redeem = 3
}

/// One resale or listing attempt on a ticket of an event, as it stood when the envelope
/// applied: written beside the block so that reports never replay the ledger.
public struct TradeRow: Hashable, Sendable {
    /// The envelope's Merkle leaf, block height and block timestamp (ms).
    public var leaf: UInt64
    public var height: UInt64
    public var timestamp: Int64
    public var ticketID: String
    /// The ticket's holder when the attempt applied (the lister, for a listing).
    public var seller: PublicKey
    /// The signer of a `buy_resale`; nil for a listing.
    public var buyer: PublicKey?
    /// What the seller asks and what the buyer pays on top, minor units.
    public var price: UInt64
    public var fees: UInt64
    public var faceValue: UInt64
    /// The royalty the contract decided (0 without one).
    public var royalty: Int64
    /// Block timestamp (ms) of the seller's acquisition of the ticket (issue or last change of holder).
    public var sellerAcquiredAt: Int64
    /// `ok` or the reason code; `reason` is the contract's words when it denied.
    public var result: String
    public var reason: String

    /// What the buyer pays against the face value, in hundredths of a percent
    /// (`(price + fees - face) * 10000 / face`, rounded toward zero); nil for a free ticket.
    public var markupBasisPoints: Int64? { Markup.basisPoints(price: price, fees: fees, face: faceValue) }

    var bytes: [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.u8(1); w.u64(height); w.i64(timestamp); w.string(ticketID); w.key(seller)
        if let buyer { w.u8(1); w.key(buyer) } else { w.u8(0) }
        w.u64(price); w.u64(fees); w.u64(faceValue); w.i64(royalty); w.i64(sellerAcquiredAt)
        w.string(result); w.string(reason)
        return w.bytes
    }

    init(leaf: UInt64, height: UInt64, timestamp: Int64, ticketID: String, seller: PublicKey, buyer: PublicKey?,
         price: UInt64, fees: UInt64, faceValue: UInt64, royalty: Int64, sellerAcquiredAt: Int64, result: String, reason: String) {
        self.leaf = leaf; self.height = height; self.timestamp = timestamp; self.ticketID = ticketID
        self.seller = seller; self.buyer = buyer; self.price = price; self.fees = fees; self.faceValue = faceValue
        self.royalty = royalty; self.sellerAcquiredAt = sellerAcquiredAt; self.result = result; self.reason = reason
    }

    init(leaf: UInt64, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "audit row at leaf \(leaf): unknown version") }
        self.leaf = leaf
        height = try r.u64(); timestamp = try r.i64(); ticketID = try r.string(max: Limits.idBytes); seller = try r.key()
        buyer = try r.u8() == 1 ? try r.key() : nil
        price = try r.u64(); fees = try r.u64(); faceValue = try r.u64(); royalty = try r.i64(); sellerAcquiredAt = try r.i64()
        result = try r.string(max: 64); reason = try r.string(max: Limits.textBytes * 4)
        try r.finish()
    }
}

/// One redeem attempt on a ticket of an event.
public struct RedeemRow: Hashable, Sendable {
    public var leaf: UInt64
    public var height: UInt64
    public var timestamp: Int64
    public var ticketID: String
    /// The signing gate and the scan time it reported (ms).
    public var gate: PublicKey
    public var scannedAt: Int64
    public var result: String

    var bytes: [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.u8(1); w.u64(height); w.i64(timestamp); w.string(ticketID); w.key(gate); w.i64(scannedAt); w.string(result)
        return w.bytes
    }

    init(leaf: UInt64, height: UInt64, timestamp: Int64, ticketID: String, gate: PublicKey, scannedAt: Int64, result: String) {
        self.leaf = leaf; self.height = height; self.timestamp = timestamp; self.ticketID = ticketID
        self.gate = gate; self.scannedAt = scannedAt; self.result = result
    }

    init(leaf: UInt64, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "audit row at leaf \(leaf): unknown version") }
        self.leaf = leaf
        height = try r.u64(); timestamp = try r.i64(); ticketID = try r.string(max: Limits.idBytes)
        gate = try r.key(); scannedAt = try r.i64(); result = try r.string(max: 64)
        try r.finish()
    }
}

/// The ticket facts an audit row needs from before an envelope applied.
struct AuditSubject {
    var eventID: String
    var holder: PublicKey
    var faceValue: UInt64
    /// Height of the holder's acquisition (issue or last change of holder).
    var updatedAt: UInt64

    init(_ t: TicketState) { eventID = t.eventID; holder = t.holder; faceValue = t.faceValue; updatedAt = t.updatedAt }
    init(eventID: String, holder: PublicKey, faceValue: UInt64, updatedAt: UInt64) {
        self.eventID = eventID; self.holder = holder; self.faceValue = faceValue; self.updatedAt = updatedAt
    }

    /// The audit row `envelope` makes on this ticket, with its key; nil for other operations.
    /// `acquiredAt` is the block timestamp of `updatedAt`; `decision` what the contract said.
    func row(_ envelope: Envelope, leaf: UInt64, height: UInt64, timestamp: Int64, result: String,
             decision: RecordedDecision?, acquiredAt: Int64) -> (key: [UInt8], bytes: [UInt8])? {
        let royalty = decision?.decision.allowed == true ? decision?.decision.royalty ?? 0 : 0
        let reason = decision.map { $0.decision.allowed ? "" : $0.decision.reason } ?? ""
        switch envelope.operation {
        case .buyResale(let o):
            let row = TradeRow(leaf: leaf, height: height, timestamp: timestamp, ticketID: o.ticketID, seller: holder, buyer: envelope.signer,
                               price: o.price, fees: o.fees, faceValue: faceValue, royalty: royalty, sellerAcquiredAt: acquiredAt,
                               result: result, reason: reason)
            return (Schema.auditKey(eventID, .resale, leaf: leaf), row.bytes)
        case .listResale(let o):
            let row = TradeRow(leaf: leaf, height: height, timestamp: timestamp, ticketID: o.ticketID, seller: envelope.signer, buyer: nil,
                               price: o.price, fees: o.fees, faceValue: faceValue, royalty: 0, sellerAcquiredAt: acquiredAt,
                               result: result, reason: reason)
            return (Schema.auditKey(eventID, .listing, leaf: leaf), row.bytes)
        case .redeem(let o):
            let row = RedeemRow(leaf: leaf, height: height, timestamp: timestamp, ticketID: o.ticketID, gate: envelope.signer,
                                scannedAt: o.scannedAt, result: result)
            return (Schema.auditKey(eventID, .redeem, leaf: leaf), row.bytes)
        default:
            return nil
        }
    }

    /// The ticket an operation that makes audit rows names.
    static func ticketID(of op: LedgerOperation) -> String? {
        switch op {
        case .buyResale(let o): o.ticketID
        case .listResale(let o): o.ticketID
        case .redeem(let o): o.ticketID
        default: nil
        }
    }
}
