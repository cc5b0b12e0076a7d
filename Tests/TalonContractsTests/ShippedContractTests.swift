import Testing
import TalonContracts
import TalonProtocol

/// Every shipped contract's rules at their edges: exactly at a limit, one minor unit over.
@Suite struct ShippedContractTests {
    @Test func faceValueCapAllowsUpToFaceValueFeesIncluded() throws {
        let c = try LoadedContract(source: try shipped("face-value-cap"))
        #expect(c.hooks == [.onList, .onBuy, .onRebind])
        for hook in [Hook.onList, .onBuy] {
            #expect(try c.evaluate(hook: hook, context: resale(price: 4750, fees: 250)).allowed)
            #expect(try c.evaluate(hook: hook, context: resale(price: 5000)).allowed)
            let over = try c.evaluate(hook: hook, context: resale(price: 4751, fees: 250))
            #expect(!over.allowed)
            #expect(over.reason == "price 4751 plus fees 250 is 5001, above the face value 5000")
            #expect(over.royalty == 0 && over.refund == 0)
        }
        // A gift is not a sale: the contract has no on_transfer, which allows.
        #expect(try c.evaluate(hook: .onTransfer, context: resale(price: 0)) == .undefinedHook)
        #expect(try c.evaluate(hook: .onRebind, context: resale(price: 0), parameters: [:], previousParameters: nil).allowed)
        #expect(try !c.evaluate(hook: .onRebind, context: resale(price: 0), parameters: ["cap": 1]).allowed)
    }

    @Test func markupCapIsExactAtTheCap() throws {
        let c = try LoadedContract(source: try shipped("markup-cap-royalty"))
        let params: [String: ContractValue] = ["max_price_pct": 110, "royalty_pct": 5]
        // 110% of 50.00 is exactly 55.00.
        #expect(try c.evaluate(hook: .onList, context: resale(price: 5300, fees: 200), parameters: params).allowed)
        #expect(try !c.evaluate(hook: .onList, context: resale(price: 5301, fees: 200), parameters: params).allowed)
        // 110% of 33.33 is 36.663: 36.66 passes, 36.67 does not (no rounding in the check).
        #expect(try c.evaluate(hook: .onBuy, context: resale(price: 3666, face: 3333), parameters: params).allowed)
        let over = try c.evaluate(hook: .onBuy, context: resale(price: 3667, face: 3333), parameters: params)
        #expect(!over.allowed)
        #expect(over.reason.contains("at most 3666"))
        // Default cap is 110%, default royalty 0.
        let plain = try c.evaluate(hook: .onBuy, context: resale(price: 5500))
        #expect(plain.allowed && plain.royalty == 0)
        #expect(try !c.evaluate(hook: .onBuy, context: resale(price: 5501)).allowed)
    }

    @Test func royaltyRoundsDown() throws {
        let c = try LoadedContract(source: try shipped("markup-cap-royalty"))
        func royalty(_ price: Int64, _ pct: Int64) throws -> Int64 {
            try c.evaluate(hook: .onBuy, context: resale(price: price, face: 10_000),
                           parameters: ["max_price_pct": 110, "royalty_pct": .int(pct)]).royalty
        }
        #expect(try royalty(5500, 5) == 275)
        #expect(try royalty(3333, 5) == 166)     // 166.65 -> 166
        #expect(try royalty(19, 5) == 0)         // 0.95 -> 0
        #expect(try royalty(20, 5) == 1)
        #expect(try royalty(9999, 100) == 9999)
        #expect(try royalty(1, 0) == 0)
    }

    @Test func markupCapRefusesBadParameters() throws {
        let c = try LoadedContract(source: try shipped("markup-cap-royalty"))
        for params: [String: ContractValue] in [["max_price_pct": 99], ["max_price_pct": 1001], ["royalty_pct": 101],
                                                ["royalty_pct": -1], ["royalty_pct": "5"]] {
            let e = failure { () throws(ContractFailure) in try c.evaluate(hook: .onBuy, context: resale(price: 1), parameters: params) }
            #expect(e == ContractFailure(.contractError))
            let rebind = failure { () throws(ContractFailure) in try c.evaluate(hook: .onRebind, context: resale(price: 1), parameters: params) }
            #expect(rebind == ContractFailure(.contractError))
        }
        #expect(try c.evaluate(hook: .onRebind, context: resale(price: 1), parameters: ["max_price_pct": 120]).allowed)
    }

    @Test func noResale() throws {
        let c = try LoadedContract(source: try shipped("no-resale"))
        #expect(try !c.evaluate(hook: .onList, context: resale(price: 1)).allowed)
        #expect(try !c.evaluate(hook: .onBuy, context: resale(price: 0)).allowed)
        #expect(try c.evaluate(hook: .onTransfer, context: resale(price: 0)).allowed)
        #expect(try !c.evaluate(hook: .onTransfer, context: resale(price: 1)).allowed)
        #expect(try !c.evaluate(hook: .onTransfer, context: resale(price: 0), parameters: ["allow_gifts": false]).allowed)
        #expect(try c.evaluate(hook: .onTransfer, context: resale(price: 0), parameters: ["allow_gifts": true]).allowed)
        let e = failure { () throws(ContractFailure) in
            try c.evaluate(hook: .onTransfer, context: resale(price: 0), parameters: ["allow_gifts": "no"])
        }
        #expect(e == ContractFailure(.contractError))
        #expect(e?.message == "parameter allow_gifts must be true or false")
    }

    @Test func transferLimitPerTicket() throws {
        let c = try LoadedContract(source: try shipped("transfer-limit"))
        var ctx = resale(price: 0)
        ctx.ticket.transfers = 0
        #expect(try c.evaluate(hook: .onTransfer, context: ctx).allowed)
        ctx.ticket.transfers = 1                    // default max_transfers = 1
        #expect(try !c.evaluate(hook: .onTransfer, context: ctx).allowed)
        #expect(try !c.evaluate(hook: .onList, context: ctx).allowed)
        #expect(try c.evaluate(hook: .onBuy, context: ctx, parameters: ["max_transfers": 2]).allowed)
        ctx.ticket.transfers = 2
        #expect(try !c.evaluate(hook: .onBuy, context: ctx, parameters: ["max_transfers": 2]).allowed)
        #expect(try !c.evaluate(hook: .onTransfer, context: resale(price: 0), parameters: ["max_transfers": 0]).allowed)
    }

    @Test func transferLimitPerBuyerAcrossOrders() throws {
        let c = try LoadedContract(source: try shipped("transfer-limit"))
        var ctx = resale(price: 5000)
        ctx.buyer.eventAcquisitions = 3             // default max_per_buyer = 4
        ctx.buyer.eventTickets = 0                  // passed them all on: still counts
        #expect(try c.evaluate(hook: .onBuy, context: ctx).allowed)
        ctx.buyer.eventAcquisitions = 4
        let d = try c.evaluate(hook: .onBuy, context: ctx)
        #expect(!d.allowed)
        #expect(d.reason == "the buyer has already acquired 4 tickets for this event; the limit is 4")
        #expect(try !c.evaluate(hook: .onTransfer, context: ctx).allowed)
        #expect(try c.evaluate(hook: .onList, context: ctx).allowed)   // listing is the seller's act
        #expect(try c.evaluate(hook: .onBuy, context: ctx, parameters: ["max_per_buyer": 5]).allowed)
    }

    @Test func refundWindow() throws {
        let c = try LoadedContract(source: try shipped("refund-window"))
        let hour: Int64 = 3_600_000
        var ctx = resale(price: 0, face: 5001)
        let start = ctx.event.startsAt
        let params: [String: ContractValue] = ["full_refund_hours": 48, "partial_pct": 50]
        func refund(at now: Int64) throws -> ContractDecision {
            ctx.now = now
            return try c.evaluate(hook: .onRefund, context: ctx, parameters: params)
        }
        #expect(try refund(at: start - 72 * hour).refund == 5001)
        #expect(try refund(at: start - 48 * hour).refund == 5001)      // exactly 48 h before: still full
        #expect(try refund(at: start - 48 * hour + 1).refund == 2501)  // 2500.5 rounds up, for the fan
        #expect(try refund(at: start - 1).refund == 2501)
        #expect(try !refund(at: start).allowed)                         // started: nothing
        #expect(try refund(at: start).refund == 0)
        ctx.ticket.paid = 5000
        #expect(try refund(at: start - hour).refund == 2500)
        ctx.event.cancelled = true
        #expect(try refund(at: start + hour).refund == 5000)           // cancelled: always full
        #expect(try c.evaluate(hook: .onCancel, context: ctx).refund == 5000)
        ctx.event.cancelled = false
        ctx.now = start - hour
        #expect(try !c.evaluate(hook: .onRefund, context: ctx, parameters: ["partial_pct": 0]).allowed)
        #expect(try c.evaluate(hook: .onRefund, context: ctx, parameters: ["partial_pct": 1]).refund == 50)
    }

    @Test func refundWindowCanBeLoosenedNotTightened() throws {
        let c = try LoadedContract(source: try shipped("refund-window"))
        let old: [String: ContractValue] = ["full_refund_hours": 48, "partial_pct": 50]
        func rebind(_ new: [String: ContractValue], from: [String: ContractValue]? = old) throws -> Bool {
            try c.evaluate(hook: .onRebind, context: resale(price: 0), parameters: new, previousParameters: from).allowed
        }
        #expect(try rebind(["full_refund_hours": 24, "partial_pct": 50]))     // full refunds until later: looser
        #expect(try rebind(["full_refund_hours": 48, "partial_pct": 75]))
        #expect(try rebind(old))
        #expect(try !rebind(["full_refund_hours": 49, "partial_pct": 50]))
        #expect(try !rebind(["full_refund_hours": 48, "partial_pct": 49]))
        #expect(try rebind([:]))                                               // defaults are 48 / 50
        #expect(try rebind(["full_refund_hours": 72], from: nil))              // first binding: only checked
        let e = failure { () throws(ContractFailure) in
            try c.evaluate(hook: .onRebind, context: resale(price: 0), parameters: ["partial_pct": 101], previousParameters: old)
        }
        #expect(e == ContractFailure(.contractError))
    }

    @Test func everyShippedContractLoads() throws {
        for name in shippedNames {
            let c = try LoadedContract(source: try shipped(name))
            #expect(!c.hooks.isEmpty, "\(name)")
        }
    }
}
