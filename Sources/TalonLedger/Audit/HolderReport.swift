public import TalonProtocol
import TalonStore

/// Who trades an event's tickets, ranked by resales, with the signals of scalping: quick
/// flips and acquisitions beyond the per-buyer limit.
public struct HolderReport: Sendable, Encodable {
    public var head: Head
    public var eventID: String
    /// A resale within this many ms of the seller's acquisition counts as a flip.
    public var flipWindowMs: Int64
    /// The per-buyer limit acquisitions are judged by, and where it came from
    /// (`query`, or `contract` for the binding's `max_per_buyer`); nil when none is known.
    public var maxPerBuyer: UInt64?
    public var maxPerBuyerSource: String?
    public var totals: Totals
    /// The first `limit` holders by resales, flips and acquisitions (then key), among those
    /// who bought, sold, or acquired beyond the limit.
    public var holders: [Activity]

    enum CodingKeys: String, CodingKey {
        case head, eventID = "event_id", flipWindowMs = "flip_window_ms", maxPerBuyer = "max_per_buyer"
        case maxPerBuyerSource = "max_per_buyer_source", totals, holders
    }

    public struct Totals: Hashable, Sendable, Encodable {
        /// Keys that ever held a ticket of the event.
        public var holders = 0
        public var sellers = 0, buyers = 0, flips = 0
        public var overLimit: Int?
        enum CodingKeys: String, CodingKey { case holders, sellers, buyers, flips, overLimit = "over_limit" }
    }

    public struct Activity: Hashable, Sendable, Encodable {
        public var key: PublicKey
        /// Tickets held now, and acquired in total (issue, gifts received and resales bought).
        public var held: UInt32, acquired: UInt32
        /// Accepted resales as buyer and as seller.
        public var bought = 0, sold = 0
        /// What its sales brought in (price), minor units, and their average markup.
        public var proceeds: UInt64 = 0
        public var averageMarkupBasisPoints: Int64?
        /// Sales within the flip window of acquiring the ticket.
        public var flips = 0
        public var overLimit: Bool?
        var markupSum = 0.0, markupCount = 0

        enum CodingKeys: String, CodingKey {
            case key, held, acquired, bought, sold, proceeds, averageMarkupBasisPoints = "average_markup_bp", flips, overLimit = "over_limit"
        }
    }
}

extension Ledger {
    /// The holder report of event `id` (nil when there is no such event). Reads the event's
    /// holdings and resale rows only.
    public func holderReport(event id: String, flipWindowMs: Int64 = 86_400_000, maxPerBuyer: UInt64? = nil,
                             limit: Int = 100) throws(TalonError) -> HolderReport? {
        try audit(prove: false) { s -> HolderReport? in
            guard try s.event(id) != nil else { return nil }
            let contractLimit = try s.contractParameter(event: id, "max_per_buyer").flatMap { UInt64(exactly: $0) }
            let cap = maxPerBuyer ?? contractLimit
            var activity: [PublicKey: HolderReport.Activity] = [:]
            let prefix = Schema.id(id)
            try s.txn.scan(tables.holdings, prefix: prefix) { k, v in
                guard let key = PublicKey(bytes: k.dropFirst(prefix.count)) else { throw TalonError(.storeCorrupt, "holding key") }
                let h = try Holding(bytes: v)
                activity[key] = HolderReport.Activity(key: key, held: h.held, acquired: h.acquired)
                return true
            }
            var totals = HolderReport.Totals(holders: activity.count)
            for row in try s.rows(id, .resale, { try TradeRow(leaf: $0, bytes: $1) }) where row.result == "ok" {
                guard let buyer = row.buyer else { continue }
                activity[buyer, default: .init(key: buyer, held: 0, acquired: 0)].bought += 1
                var seller = activity[row.seller] ?? .init(key: row.seller, held: 0, acquired: 0)
                seller.sold += 1
                seller.proceeds &+= row.price
                if let bp = row.markupBasisPoints { seller.markupSum += Double(bp); seller.markupCount += 1 }
                if row.timestamp - row.sellerAcquiredAt <= flipWindowMs { seller.flips += 1; totals.flips += 1 }
                activity[row.seller] = seller
            }
            var ranked: [HolderReport.Activity] = []
            for var a in activity.values {
                if a.markupCount > 0 { a.averageMarkupBasisPoints = Int64((a.markupSum / Double(a.markupCount)).rounded(.towardZero)) }
                if let cap { a.overLimit = UInt64(a.acquired) > cap }
                if a.sold > 0 { totals.sellers += 1 }
                if a.bought > 0 { totals.buyers += 1 }
                if a.sold > 0 || a.bought > 0 || a.overLimit == true { ranked.append(a) }
            }
            if cap != nil { totals.overLimit = ranked.count { $0.overLimit == true } }
            ranked.sort {
                ($0.sold, $0.flips, $0.acquired) != ($1.sold, $1.flips, $1.acquired)
                    ? ($0.sold, $0.flips, $0.acquired) > ($1.sold, $1.flips, $1.acquired) : $0.key < $1.key
            }
            return HolderReport(head: s.head, eventID: id, flipWindowMs: flipWindowMs, maxPerBuyer: cap,
                                maxPerBuyerSource: maxPerBuyer != nil ? "query" : contractLimit != nil ? "contract" : nil,
                                totals: totals, holders: Array(ranked.prefix(limit)))
        }
    }
}
