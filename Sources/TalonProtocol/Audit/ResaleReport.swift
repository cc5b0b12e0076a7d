/// An event's resales: totals, the markup distribution, what broke the cap, and one page of
/// the resales themselves (`GET /v1/audit/events/{id}/resales`).
public struct ResaleReport: Hashable, Sendable, Codable {
    public var event: EventState
    /// The cap the report judges by: price + fees may be at most this percent of face value.
    public var capPct: UInt64?
    /// `query` (asked for), `contract` (the binding's `max_price_pct`), or nil (no cap known).
    public var capSource: String?
    public var totals: Totals
    /// Counts of accepted resales by markup, in 10-point buckets from 0 to 200 %, with one
    /// bucket below 0 and one from 200 up.
    public var distribution: [Bucket]
    /// Rejected listings and buys, oldest first (at most `limit`).
    public var rejected: [Trade]
    /// Accepted resales after leaf `after`, oldest first (at most `limit`).
    public var resales: [Trade]
    /// The `after` of the next page, when there is one.
    public var next: UInt64?

    /// The report on `event`.
    package init(event: EventState, capPct: UInt64?, capSource: String?, totals: Totals, distribution: [Bucket],
                 rejected: [Trade], resales: [Trade], next: UInt64?) {
        self.event = event; self.capPct = capPct; self.capSource = capSource; self.totals = totals
        self.distribution = distribution; self.rejected = rejected; self.resales = resales; self.next = next
    }

    enum CodingKeys: String, CodingKey {
        case event, capPct = "cap_pct", capSource = "cap_source", totals, distribution, rejected, resales, next
    }

    /// Sums and counts over every resale and listing of the event.
    public struct Totals: Hashable, Sendable, Codable {
        public var resales = 0
        /// Sums over accepted resales, minor units.
        public var volume: UInt64 = 0, fees: UInt64 = 0, royalties: Int64 = 0, faceValue: UInt64 = 0
        public var averageMarkupBasisPoints: Int64?, medianMarkupBasisPoints: Int64?, maxMarkupBasisPoints: Int64?
        /// Accepted resales over the cap, and their share of all resales in hundredths of a percent.
        public var overCap: Int?
        public var overCapShareBasisPoints: Int64?
        public var listings = 0
        public var rejectedListings = 0, rejectedBuys = 0
        /// Rejected listings and buys that asked more than the cap.
        public var rejectedOverCap: Int?

        /// Zero totals, counted after.
        package init() {}

        enum CodingKeys: String, CodingKey {
            case resales, volume, fees, royalties, faceValue = "face_value"
            case averageMarkupBasisPoints = "average_markup_bp", medianMarkupBasisPoints = "median_markup_bp"
            case maxMarkupBasisPoints = "max_markup_bp", overCap = "over_cap", overCapShareBasisPoints = "over_cap_share_bp"
            case listings, rejectedListings = "rejected_listings", rejectedBuys = "rejected_buys", rejectedOverCap = "rejected_over_cap"
        }
    }

    /// Accepted resales with a markup in one range.
    public struct Bucket: Hashable, Sendable, Codable {
        /// Markup range in percent, `from` included, `to` excluded; nil is unbounded.
        public var fromPct: Int?, toPct: Int?
        public var count: Int

        /// `count` resales with a markup from `fromPct` to `toPct`.
        package init(fromPct: Int?, toPct: Int?, count: Int) { self.fromPct = fromPct; self.toPct = toPct; self.count = count }

        enum CodingKeys: String, CodingKey { case fromPct = "from_pct", toPct = "to_pct", count }
    }

    /// One resale or listing attempt as reported.
    public struct Trade: Hashable, Sendable, Codable {
        /// `list_resale` or `buy_resale`.
        public var kind: String
        public var leaf: UInt64, height: UInt64, timestamp: Int64
        public var ticketID: String
        /// The listing's signer, or the holder a buy took the ticket from.
        public var seller: PublicKey
        public var buyer: PublicKey?
        public var price: UInt64, fees: UInt64, faceValue: UInt64
        public var markupBasisPoints: Int64?
        public var royalty: Int64
        public var overCap: Bool?
        public var result: String
        public var reason: String?
        public var envelopeHash: Digest
        public var proof: RecordProof?

        /// A trade with every field.
        package init(kind: String, leaf: UInt64, height: UInt64, timestamp: Int64, ticketID: String, seller: PublicKey, buyer: PublicKey?,
                     price: UInt64, fees: UInt64, faceValue: UInt64, markupBasisPoints: Int64?, royalty: Int64, overCap: Bool?,
                     result: String, reason: String?, envelopeHash: Digest, proof: RecordProof?) {
            self.kind = kind; self.leaf = leaf; self.height = height; self.timestamp = timestamp; self.ticketID = ticketID
            self.seller = seller; self.buyer = buyer; self.price = price; self.fees = fees; self.faceValue = faceValue
            self.markupBasisPoints = markupBasisPoints; self.royalty = royalty; self.overCap = overCap; self.result = result
            self.reason = reason; self.envelopeHash = envelopeHash; self.proof = proof
        }

        enum CodingKeys: String, CodingKey {
            case kind, leaf, height, timestamp, ticketID = "ticket_id", seller, buyer, price, fees, faceValue = "face_value"
            case markupBasisPoints = "markup_bp", royalty, overCap = "over_cap", result, reason, envelopeHash = "envelope_hash", proof
        }
    }
}
