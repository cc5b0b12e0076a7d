public import TalonProtocol
import TalonStore

extension Ledger {
    /// The holder report of event `id` (nil when there is no such event). Reads the event's
    /// holdings and resale rows only.
    public func holderReport(event id: String, flipWindowMs: Int64 = 86_400_000, maxPerBuyer: UInt64? = nil,
                             limit: Int = 100) throws(TalonError) -> Audited<HolderReport, Head>? {
        try audit(prove: false) { s -> Audited<HolderReport, Head>? in
            guard try s.event(id) != nil else { return nil }
            let contractLimit = try s.contractParameter(event: id, "max_per_buyer").flatMap { UInt64(exactly: $0) }
            let cap = maxPerBuyer ?? contractLimit
            var activity: [PublicKey: HolderReport.Activity] = [:]
            var markups: [PublicKey: (sum: Double, count: Int)] = [:]
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
                if let bp = row.markupBasisPoints { markups[row.seller, default: (0, 0)].sum += Double(bp); markups[row.seller, default: (0, 0)].count += 1 }
                if row.timestamp - row.sellerAcquiredAt <= flipWindowMs { seller.flips += 1; totals.flips += 1 }
                activity[row.seller] = seller
            }
            var ranked: [HolderReport.Activity] = []
            for var a in activity.values {
                if let m = markups[a.key], m.count > 0 { a.averageMarkupBasisPoints = Int64((m.sum / Double(m.count)).rounded(.towardZero)) }
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
            return Audited(head: s.head, report: HolderReport(eventID: id, flipWindowMs: flipWindowMs, maxPerBuyer: cap,
                                maxPerBuyerSource: maxPerBuyer != nil ? "query" : contractLimit != nil ? "contract" : nil,
                                totals: totals, holders: Array(ranked.prefix(limit))))
        }
    }
}
