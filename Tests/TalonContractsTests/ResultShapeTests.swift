import Testing
import TalonContracts
import TalonProtocol

/// What a hook may return, and every wrong shape as `contract_result`.
@Suite struct ResultShapeTests {
    func decide(_ body: String, context: ContractContext = resale(price: 5000)) throws(ContractFailure) -> ContractDecision {
        let c: LoadedContract
        do { c = try LoadedContract(source: "function on_buy(ctx, params)\n\(body)\nend") } catch { throw error }
        return try c.evaluate(hook: .onBuy, context: context)
    }

    func bad(_ body: String, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        let e = failure { () throws(ContractFailure) in try decide(body) }
        #expect(e == ContractFailure(.contractResult), "\(body): \(e.map { "\($0)" } ?? "decided")", sourceLocation: sourceLocation)
        return e?.message
    }

    @Test func acceptedShapes() throws {
        #expect(try decide("return true") == ContractDecision(allowed: true, instructions: try decide("return true").instructions))
        #expect(try decide("return true, 'fine'").reason == "fine")
        #expect(try decide("return false, 'no'") .reason == "no")
        #expect(try !decide("return false").allowed)
        #expect(try decide("return true, nil").allowed)
        let d = try decide("return { allow = true, royalty = 250, reason = 'ok' }")
        #expect(d.allowed && d.royalty == 250 && d.reason == "ok" && d.refund == 0)
        var refundable = resale(price: 0)
        refundable.ticket.paid = 5000
        #expect(try decide("return { allow = true, refund = 5000 }", context: refundable).refund == 5000)
        // A denial carries no amounts.
        let denied = try decide("return { allow = false, royalty = 250, reason = 'no' }")
        #expect(!denied.allowed && denied.royalty == 0)
        // Integral floats converted with math.tointeger are fine.
        #expect(try decide("return { allow = true, royalty = math.tointeger(250.0) }").royalty == 250)
        #expect(try decide("return { allow = true, royalty = 5000 * 5 // 100 }").royalty == 250)
    }

    @Test func wrongShapes() {
        #expect(bad("return") == "the hook returned nothing; return true, or false and a reason, or a decision table")
        #expect(bad("return nil") == "the hook returned a nil; return true, or false and a reason, or a decision table")
        _ = bad("return 'allow'")
        _ = bad("return 1")
        _ = bad("return on_buy")
        _ = bad("return true, 42")
        _ = bad("return true, 'a', 'b'")
        _ = bad("return { allow = true }, 1")
        _ = bad("return {}")
        _ = bad("return { allow = 'yes' }")
        _ = bad("return { allow = 1 }")
        _ = bad("return { allow = true, reason = 5 }")
        #expect(bad("return { allow = true, royality = 1 }") == "the decision table has fields other than allow, reason, royalty and refund")
        _ = bad("return { allow = true, [1] = 1 }")
        _ = bad("return ctx")
        _ = bad("return setmetatable({ allow = true }, {})")
        _ = bad("return { allow = true, reason = string.rep('x', 257) }")
        _ = bad("return false, string.rep('x', 257)")
        _ = bad("return false, '\\xff\\xfe'")
    }

    @Test func amountsAreIntegerMinorUnits() {
        #expect(bad("return { allow = true, royalty = 2.5 }") == "royalty must be an integer amount in minor units, got a float")
        #expect(bad("return { allow = true, royalty = 250.0 }") == "royalty must be an integer amount in minor units, got a float")
        #expect(bad("return { allow = true, royalty = 5000 * 0.05 }") == "royalty must be an integer amount in minor units, got a float")
        #expect(bad("return { allow = true, royalty = 5000 / 20 }") == "royalty must be an integer amount in minor units, got a float")
        #expect(bad("return { allow = true, refund = 1e3 }") == "refund must be an integer amount in minor units, got a float")
        #expect(bad("return { allow = true, royalty = '250' }") == "royalty must be an integer amount in minor units, got a string")
        #expect(bad("return { allow = true, royalty = -1 }") == "royalty must not be negative")
        #expect(bad("return { allow = true, refund = math.mininteger }") == "refund must not be negative")
        #expect(bad("return { allow = true, royalty = math.maxinteger }")?.contains("exceeds the largest amount") == true)
        #expect(bad("return { allow = true, royalty = 5001 }") == "royalty 5001 exceeds the price 5000")
        #expect(bad("return { allow = true, refund = 5001 }") == "refund 5001 exceeds what the holder paid, 5000")
        #expect(bad("return { allow = true, royalty = math.maxinteger + 1 }") == "royalty must not be negative")   // wraps
    }
}
