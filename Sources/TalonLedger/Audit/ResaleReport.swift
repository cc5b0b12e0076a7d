public import TalonProtocol
import TalonContracts
import TalonStore

/// An event's resales: totals, the markup distribution, what broke the cap, and one page of
/// the resales themselves.
public struct ResaleReport: Sendable, Encodable {
    public var head: Head
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

    enum CodingKeys: String, CodingKey {
        case head, event, capPct = "cap_pct", capSource = "cap_source", totals, distribution, rejected, resales, next
    }

    public struct Totals: Hashable, Sendable, Encodable {
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

        enum CodingKeys: String, CodingKey {
            case resales, volume, fees, royalties, faceValue = "face_value"
            case averageMarkupBasisPoints = "average_markup_bp", medianMarkupBasisPoints = "median_markup_bp"
            case maxMarkupBasisPoints = "max_markup_bp", overCap = "over_cap", overCapShareBasisPoints = "over_cap_share_bp"
            case listings, rejectedListings = "rejected_listings", rejectedBuys = "rejected_buys", rejectedOverCap = "rejected_over_cap"
        }
    }

    public struct Bucket: Hashable, Sendable, Encodable {
        /// Markup range in percent, `from` included, `to` excluded; nil is unbounded.
        public var fromPct: Int?, toPct: Int?
        public var count: Int
        enum CodingKeys: String, CodingKey { case fromPct = "from_pct", toPct = "to_pct", count }
    }

    /// One resale or listing attempt as reported.
    public struct Trade: Hashable, Sendable, Encodable {
        public var kind: String
        public var leaf: UInt64, height: UInt64, timestamp: Int64
        public var ticketID: String
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

        enum CodingKeys: String, CodingKey {
            case kind, leaf, height, timestamp, ticketID = "ticket_id", seller, buyer, price, fees, faceValue = "face_value"
            case markupBasisPoints = "markup_bp", royalty, overCap = "over_cap", result, reason, envelopeHash = "envelope_hash", proof
        }
    }

    /// Bucket bounds: below 0, then 0–10 … 190–200, then 200 and up.
    static func bucket(_ bp: Int64) -> Int { Int(min(max(bp < 0 ? -1 : bp / 1000, -1), 20)) + 1 }
    static let bucketCount = 22
}

extension Ledger {
    /// The resale report of event `id` (nil when there is no such event), judged against
    /// `capPct` or else the bound contract's `max_price_pct`. Reads only the event's audit rows.
    public func resaleReport(event id: String, capPct: UInt64? = nil, after: UInt64? = nil, limit: Int = 100,
                             prove: Bool = false, signer: HeadSigner? = nil) throws(TalonError) -> ResaleReport? {
        try audit(prove: prove, signer: signer) { s -> ResaleReport? in
            guard let event = try s.event(id) else { return nil }
            let contractCap = try s.contractParameter(event: id, "max_price_pct").flatMap { UInt64(exactly: $0) }
            let cap = capPct ?? contractCap
            let buys = try s.rows(id, .resale) { try TradeRow(leaf: $0, bytes: $1) }
            let listings = try s.rows(id, .listing) { try TradeRow(leaf: $0, bytes: $1) }

            var totals = ResaleReport.Totals()
            var buckets = [Int](repeating: 0, count: ResaleReport.bucketCount)
            var markups: [Int64] = []
            markups.reserveCapacity(buys.count)
            var overCap = 0
            for row in buys where row.result == "ok" {
                totals.resales += 1
                totals.volume &+= row.price; totals.fees &+= row.fees; totals.royalties &+= row.royalty; totals.faceValue &+= row.faceValue
                if let bp = row.markupBasisPoints { markups.append(bp); buckets[ResaleReport.bucket(bp)] += 1 }
                if let cap, Markup.overCap(price: row.price, fees: row.fees, face: row.faceValue, capPct: cap) { overCap += 1 }
            }
            if !markups.isEmpty {
                totals.averageMarkupBasisPoints = Int64((markups.reduce(0.0) { $0 + Double($1) } / Double(markups.count)).rounded(.towardZero))
                markups.sort()
                totals.medianMarkupBasisPoints = markups[markups.count / 2]
                totals.maxMarkupBasisPoints = markups.last
            }
            if cap != nil {
                totals.overCap = overCap
                totals.overCapShareBasisPoints = totals.resales == 0 ? 0 : Int64(overCap) * 10_000 / Int64(totals.resales)
            }
            totals.listings = listings.count { $0.result == "ok" }
            totals.rejectedListings = listings.count - totals.listings
            totals.rejectedBuys = buys.count - totals.resales

            let rejectedRows = (listings + buys).filter { $0.result != "ok" }.sorted { $0.leaf < $1.leaf }
            if let cap {
                totals.rejectedOverCap = rejectedRows.count { Markup.overCap(price: $0.price, fees: $0.fees, face: $0.faceValue, capPct: cap) }
            }
            func trade(_ row: TradeRow) throws -> ResaleReport.Trade {
                let evidence = try s.evidence(leaf: row.leaf)
                return ResaleReport.Trade(
                    kind: row.buyer == nil ? "list_resale" : "buy_resale", leaf: row.leaf, height: row.height, timestamp: row.timestamp,
                    ticketID: row.ticketID, seller: row.seller, buyer: row.buyer, price: row.price, fees: row.fees, faceValue: row.faceValue,
                    markupBasisPoints: row.markupBasisPoints, royalty: row.royalty,
                    overCap: cap.map { Markup.overCap(price: row.price, fees: row.fees, face: row.faceValue, capPct: $0) },
                    result: row.result, reason: row.reason.isEmpty ? nil : row.reason,
                    envelopeHash: evidence.hash, proof: evidence.proof)
            }
            let page = buys.lazy.filter { row in row.result == "ok" && after.map { row.leaf > $0 } ?? true }
            let pageRows = Array(page.prefix(limit + 1))
            return ResaleReport(
                head: s.head, event: event, capPct: cap, capSource: capPct != nil ? "query" : contractCap != nil ? "contract" : nil,
                totals: totals,
                distribution: buckets.enumerated().map { i, count in
                    ResaleReport.Bucket(fromPct: i == 0 ? nil : (i - 1) * 10, toPct: i == ResaleReport.bucketCount - 1 ? nil : i * 10, count: count)
                },
                rejected: try rejectedRows.prefix(limit).map(trade),
                resales: try pageRows.prefix(limit).map(trade),
                next: pageRows.count > limit ? pageRows[limit - 1].leaf : nil)
        }
    }
}
