import Foundation
import Testing
import TalonContracts
import TalonProtocol
import TalonLedger

/// Contracts through real ledger operations: deploying, binding (and rebinding under the
/// contract's `on_rebind`), and transfers decided by the shipped contracts.
@Suite struct LedgerContractTests {
    /// A shipped contract's source, read from genesis/contracts.
    static func shipped(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("genesis/contracts/\(name)"), encoding: .utf8)
    }

    static func id(_ source: String) -> Digest { SHA256.hash(Array(source.utf8)) }

    @Test func deployingChecksTheSignerAndTheScript() throws {
        let f = try LedgerFixture()
        let source = try Self.shipped("transfer-limit.lua")
        let stranger = SigningKey.generate()
        #expect(try f.run(.deployContract(DeployContract(source: source)), by: stranger) == "not_authorized")
        #expect(try f.run(.deployContract(DeployContract(source: source)), by: f.issuer) == "ok")
        #expect(try f.run(.deployContract(DeployContract(source: source)), by: f.issuer) == "already_exists")
        #expect(try f.run(.deployContract(DeployContract(source: "function on_transfer(")), by: f.issuer) == "contract_invalid")
        #expect(try f.run(.deployContract(DeployContract(source: "while true do end\nfunction on_transfer() return true end")), by: f.issuer)
                == "contract_invalid", "a top level that never ends is an invalid contract")
        #expect(try f.run(.deployContract(DeployContract(source: "x = 1")), by: f.issuer) == "contract_invalid", "no hook")
    }

    /// Issue 16: this top level wedged every node's apply loop (the table library looped to
    /// what `__len` returned). Now the deploy is recorded as rejected, quickly, and the
    /// ledger goes on.
    @Test func aTopLevelThatWouldHaveWedgedTheNodesIsAnInvalidDeploy() throws {
        let f = try LedgerFixture()
        let wedge = """
            local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})
            table.insert(t, 1, true)
            function on_transfer() return true end
            """
        let nulSort = """
            local s = string.rep('\\0', 16000) local t = {} for i = 1, 2000 do t[i] = s end table.sort(t)
            function on_transfer() return true end
            """
        let started = ContinuousClock.now
        #expect(try f.run(.deployContract(DeployContract(source: wedge)), by: f.issuer) == "contract_invalid")
        #expect(try f.run(.deployContract(DeployContract(source: nulSort)), by: f.issuer) == "contract_invalid")
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(try f.createEvent("AFTER") == "ok")
        #expect(try f.run(.bindContract(BindContract(eventID: "AFTER", contract: Self.id(wedge), params: "{}")), by: f.issuer)
                == "unknown_contract", "a rejected deploy keeps nothing")
    }

    @Test func bindingChecksTheEventTheContractAndTheParameters() throws {
        let f = try LedgerFixture()
        let source = try Self.shipped("transfer-limit.lua"), id = Self.id(source)
        try f.createEvent()
        func bind(_ params: String, contract: Digest = id, by key: SigningKey? = nil) throws -> String {
            try f.run(.bindContract(BindContract(eventID: "E1", contract: contract, params: params)), by: key ?? f.issuer)
        }
        #expect(try bind("{}") == "unknown_contract")
        try f.run(.deployContract(DeployContract(source: source)), by: f.issuer)
        #expect(try bind("{}", by: SigningKey.generate()) == "not_authorized")
        #expect(try bind(#"{"max_transfers": "many"}"#) == "contract_error", "on_rebind raises on a bad parameter")
        #expect(try bind(#"{"max_transfers": 1, "max_per_buyer": 2}"#) == "ok")
        #expect(try f.run(.bindContract(BindContract(eventID: "NOPE", contract: id, params: "{}")), by: f.issuer) == "unknown_event")

        // Once tickets exist, the contract stays; its parameters may change under on_rebind.
        try f.issue(ids: ["T1"], to: SigningKey.generate().publicKey)
        let other = try Self.shipped("no-resale.lua")
        try f.run(.deployContract(DeployContract(source: other)), by: f.issuer)
        #expect(try bind("{}", contract: Self.id(other)) == "contract_locked")
        #expect(try bind(#"{"max_transfers": 3}"#) == "ok")
    }

    @Test func aPublishedRefundWindowMayBeLoosenedButNotTightened() throws {
        let f = try LedgerFixture()
        let source = try Self.shipped("refund-window.lua"), id = Self.id(source)
        try f.createEvent()
        try f.run(.deployContract(DeployContract(source: source)), by: f.issuer)
        func bind(_ params: String) throws -> String {
            try f.run(.bindContract(BindContract(eventID: "E1", contract: id, params: params)), by: f.issuer)
        }
        #expect(try bind(#"{"full_refund_hours": 48, "partial_pct": 50}"#) == "ok")
        #expect(try bind(#"{"full_refund_hours": 72, "partial_pct": 50}"#) == "contract_denied", "a shorter full-refund window")
        #expect(try bind(#"{"full_refund_hours": 48, "partial_pct": 40}"#) == "contract_denied", "a smaller partial refund")
        #expect(try bind(#"{"full_refund_hours": 24, "partial_pct": 60}"#) == "ok", "both loosened")
        // The denial is on the record, with the contract's reason.
        let denied = f.sign(.bindContract(BindContract(eventID: "E1", contract: id, params: #"{"full_refund_hours": 48}"#)), by: f.issuer)
        #expect(try f.apply([denied]) == ["contract_denied"])
        let record = try #require(try f.ledger.record(hash: denied.hash))
        #expect(record.decision?.hook == .onRebind && record.decision?.decision.allowed == false)
        #expect(record.decision?.decision.reason.contains("may not be shortened") == true)
    }

    @Test func transferLimitHoldsPerTicketAndPerBuyerAcrossOrders() throws {
        let f = try LedgerFixture()
        let source = try Self.shipped("transfer-limit.lua")
        let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
        try f.createEvent()
        try f.run(.deployContract(DeployContract(source: source)), by: f.issuer)
        #expect(try f.run(.bindContract(BindContract(eventID: "E1", contract: Self.id(source),
                                                     params: #"{"max_transfers": 1, "max_per_buyer": 2}"#)), by: f.issuer) == "ok")
        try f.issue(ids: ["T1", "T2"], to: alice.publicKey)
        try f.issue(ids: ["T3"], to: alice.publicKey)

        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "ok")
        // T1 has changed hands once: the limit.
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), by: bob) == "contract_denied")
        #expect(try f.run(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), by: alice) == "ok")
        // Bob has acquired two tickets in two orders: a third is refused.
        let third = f.sign(.transfer(Transfer(ticketID: "T3", to: bob.publicKey)), by: alice)
        #expect(try f.apply([third]) == ["contract_denied"])
        #expect(try f.ledger.record(hash: third.hash)?.decision?.decision.reason.contains("already acquired 2") == true)
        // Giving one away does not reset what bob acquired.
        #expect(try f.run(.transfer(Transfer(ticketID: "T2", to: carol.publicKey)), by: bob) == "contract_denied",
                "T2 changed hands once already")
        #expect(try f.run(.transfer(Transfer(ticketID: "T3", to: carol.publicKey)), by: alice) == "ok")

        let t1 = try #require(try f.ledger.ticket("T1"))
        #expect(t1.holder == bob.publicKey && t1.transfers == 1 && t1.sequence == 1 && t1.paid == 4500)
        let t3 = try #require(try f.ledger.ticket("T3"))
        #expect(t3.holder == carol.publicKey && t3.transfers == 1)
    }

    @Test func noResaleCanForbidGiftsAndBeLoosened() throws {
        let f = try LedgerFixture()
        let source = try Self.shipped("no-resale.lua"), id = Self.id(source)
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        try f.createEvent()
        try f.run(.deployContract(DeployContract(source: source)), by: f.issuer)
        try f.run(.bindContract(BindContract(eventID: "E1", contract: id, params: #"{"allow_gifts": false}"#)), by: f.issuer)
        try f.issue(ids: ["T1"], to: alice.publicKey)
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "contract_denied")
        #expect(try f.ledger.ticket("T1")?.holder == alice.publicKey, "a denied transfer changes nothing")
        try f.run(.bindContract(BindContract(eventID: "E1", contract: id, params: #"{"allow_gifts": true}"#)), by: f.issuer)
        #expect(try f.run(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), by: alice) == "ok")
    }

    @Test func hostileHooksAreRejectionsAndTheLedgerGoesOn() throws {
        let f = try LedgerFixture()
        let alice = SigningKey.generate(), bob = SigningKey.generate()
        let cases: [(String, String)] = [
            ("function on_transfer() while true do end end", "contract_budget"),
            ("local function f(n) return f(n + 1) + 1 end\nfunction on_transfer() return f(1) end", "contract_budget"),
            ("function on_transfer() return string.rep('x', 1 << 20) end", "contract_budget"),
            ("function on_transfer() return io.open('/etc/passwd') end", "contract_error"),
            ("function on_transfer() error({}) end", "contract_error"),
            ("function on_transfer() return 1.5 end", "contract_result"),
            // Issue 16: the __len wedge in a hook, and the NUL-string sort.
            ("function on_transfer()\nlocal t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})\n"
             + "table.insert(t, 1, true) end", "contract_error"),
            ("function on_transfer() local s = string.rep('\\0', 16000) local t = {} for i = 1, 2000 do t[i] = s end "
             + "table.sort(t) return true end", "contract_budget"),
        ]
        for (n, (script, code)) in cases.enumerated() {
            let event = "H\(n)"
            try f.createEvent(event)
            #expect(try f.run(.deployContract(DeployContract(source: script)), by: f.issuer) == "ok", "\(script)")
            #expect(try f.run(.bindContract(BindContract(eventID: event, contract: Self.id(script), params: "{}")), by: f.issuer) == "ok")
            try f.issue(event, ids: ["\(event)-1"], to: alice.publicKey)
            #expect(try f.run(.transfer(Transfer(ticketID: "\(event)-1", to: bob.publicKey)), by: alice) == code, "\(script)")
            #expect(try f.ledger.ticket("\(event)-1")?.holder == alice.publicKey)
        }
        // The ledger still applies and verifies.
        #expect(try f.createEvent("AFTER") == "ok")
        #expect(try f.ledger.verify().ok)
    }

    @Test func twoLedgersFedTheSameEnvelopesDecideTheSameBytes() throws {
        let a = try LedgerFixture()
        let b = try LedgerFixture(admin: a.admin, issuer: a.issuer, genesis: a.genesisFile)
        let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
        let limit = try Self.shipped("transfer-limit.lua")
        let window = try Self.shipped("refund-window.lua")
        var envelopes: [Envelope] = []
        func add(_ op: LedgerOperation, _ key: SigningKey) { envelopes.append(a.sign(op, by: key)) }
        add(.createEvent(CreateEvent(eventID: "E1", name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                     doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), a.issuer)
        add(.deployContract(DeployContract(source: limit)), a.issuer)
        add(.deployContract(DeployContract(source: window)), a.issuer)
        add(.bindContract(BindContract(eventID: "E1", contract: Self.id(limit), params: #"{"max_transfers": 1, "max_per_buyer": 1}"#)), a.issuer)
        add(.issue(IssueTickets(eventID: "E1", tickets: (1...3).map {
            TicketSpec(ticketID: "T\($0)", section: "A", seat: "\($0)", faceValue: 4500, holder: alice.publicKey)
        })), a.issuer)
        add(.transfer(Transfer(ticketID: "T1", to: bob.publicKey)), alice)
        add(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), alice)
        add(.transfer(Transfer(ticketID: "T1", to: carol.publicKey)), bob)
        add(.bindContract(BindContract(eventID: "E1", contract: Self.id(window), params: "{}")), a.issuer)
        for f in [a, b] {
            for (i, chunk) in stride(from: 0, to: envelopes.count, by: 3).enumerated() {
                try f.ledger.apply(Array(envelopes[chunk..<min(envelopes.count, chunk + 3)]), timestamp: 1_800_000_000_000 + Int64(i) * 1000)
            }
        }
        #expect(try a.ledger.head() == b.ledger.head())
        let decisions = { (f: LedgerFixture) in try envelopes.map { try f.ledger.record(hash: $0.hash)?.decision } }
        let fromA = try decisions(a), fromB = try decisions(b)
        #expect(fromA == fromB)
        #expect(fromA.compactMap { $0 }.count == 4, "one decision per binding and per transfer the contract saw")
        #expect(try envelopes.map { try a.ledger.record(hash: $0.hash)?.receipt.result } ==
                ["ok", "ok", "ok", "ok", "ok", "ok", "contract_denied", "contract_denied", "contract_locked"])
    }
}
