public import TalonProtocol
import TalonContracts
import TalonStore

extension Ledger {
    /// The resale report of event `id` (nil when there is no such event), judged against
    /// `capPct` or else the bound contract's `max_price_pct`. Reads only the event's audit rows.
    public func resaleReport(event id: String, capPct: UInt64? = nil, after: UInt64? = nil, limit: Int = 100,
                             prove: Bool = false, signer: HeadSigner? = nil) throws(TalonError) -> Audited<ResaleReport, Head>? {
        try audit(prove: prove, signer: signer) { s -> Audited<ResaleReport, Head>? in
            guard let event = try s.event(id) else { return nil }
            let contractCap = try s.contractParameter(event: id, "max_price_pct").flatMap { UInt64(exactly: $0) }
            let cap = capPct ?? contractCap
            let buys = try s.rows(id, .resale) { try TradeRow(leaf: $0, bytes: $1) }
            let listings = try s.rows(id, .listing) { try TradeRow(leaf: $0, bytes: $1) }

            var totals = ResaleReport.Totals()
            var buckets = [Int](repeating: 0, count: Self.bucketCount)
            var markups: [Int64] = []
            markups.reserveCapacity(buys.count)
            var overCap = 0
            for row in buys where row.result == "ok" {
                totals.resales += 1
                totals.volume &+= row.price; totals.fees &+= row.fees; totals.royalties &+= row.royalty; totals.faceValue &+= row.faceValue
                if let bp = row.markupBasisPoints { markups.append(bp); buckets[Self.bucket(bp)] += 1 }
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
            return Audited(head: s.head, report: ResaleReport(
                event: event, capPct: cap, capSource: capPct != nil ? "query" : contractCap != nil ? "contract" : nil,
                totals: totals,
                distribution: buckets.enumerated().map { i, count in
                    ResaleReport.Bucket(fromPct: i == 0 ? nil : (i - 1) * 10, toPct: i == Self.bucketCount - 1 ? nil : i * 10, count: count)
                },
                rejected: try rejectedRows.prefix(limit).map(trade),
                resales: try pageRows.prefix(limit).map(trade),
                next: pageRows.count > limit ? pageRows[limit - 1].leaf : nil))
        }
    }

    /// Bucket bounds of the markup distribution: below 0, then 0–10 … 190–200, then 200 and up.
    static func bucket(_ bp: Int64) -> Int { Int(min(max(bp < 0 ? -1 : bp / 1000, -1), 20)) + 1 }
    static let bucketCount = 22
}
