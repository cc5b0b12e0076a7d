/// Who trades an event's tickets, ranked by resales, with the signals of scalping: quick
/// flips and acquisitions beyond the per-buyer limit (`GET /v1/audit/events/{id}/holders`).
public struct HolderReport: Hashable, Sendable, Codable {
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

    /// The report on event `eventID`.
    package init(eventID: String, flipWindowMs: Int64, maxPerBuyer: UInt64?, maxPerBuyerSource: String?, totals: Totals, holders: [Activity]) {
        self.eventID = eventID; self.flipWindowMs = flipWindowMs; self.maxPerBuyer = maxPerBuyer
        self.maxPerBuyerSource = maxPerBuyerSource; self.totals = totals; self.holders = holders
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", flipWindowMs = "flip_window_ms", maxPerBuyer = "max_per_buyer"
        case maxPerBuyerSource = "max_per_buyer_source", totals, holders
    }

    /// Counts over every key that held a ticket of the event.
    public struct Totals: Hashable, Sendable, Codable {
        /// Keys that ever held a ticket of the event.
        public var holders = 0
        public var sellers = 0, buyers = 0, flips = 0
        public var overLimit: Int?

        /// Totals over `holders` keys, the rest counted after.
        package init(holders: Int) { self.holders = holders }

        enum CodingKeys: String, CodingKey { case holders, sellers, buyers, flips, overLimit = "over_limit" }
    }

    /// One key's trading.
    public struct Activity: Hashable, Sendable, Codable {
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

        /// Key `key`, holding `held` tickets of `acquired`; its trades counted after.
        package init(key: PublicKey, held: UInt32, acquired: UInt32) { self.key = key; self.held = held; self.acquired = acquired }

        enum CodingKeys: String, CodingKey {
            case key, held, acquired, bought, sold, proceeds, averageMarkupBasisPoints = "average_markup_bp", flips, overLimit = "over_limit"
        }
    }
}
