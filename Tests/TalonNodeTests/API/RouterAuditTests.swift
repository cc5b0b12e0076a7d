import TalonProtocol
import TalonTestSupport
import Testing

/// The audit routes through the router in process, over the scenario's ledger: every answer
/// carries a head signed by the node, and with `prove=true` every record in it is proven as
/// docs/format.md "Audit answers" says (`AuditProof`).
@Suite(.timeLimit(.minutes(3)))
struct RouterAuditTests {
    static func isAudit(_ operation: String) -> Bool { operation.contains(" /v1/audit/") || operation.hasSuffix(" /audit") }

    @Test func everyAuditRouteAnswersAsDocumentedWithProofs() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let genesis = api.solo.genesisBytes
            let alice = s.alice.publicKey.text, bob = s.bob.publicKey.text

            // Events, in id order.
            let events = try await api.call("GET", "/v1/audit/events", expect: 200)
            #expect(events["events"]?.array?.map { $0["event_id"]?.string } == ["EV", "EVR"])
            try verifySignedHead(try #require(events["head"]), genesis: genesis)
            let after = try await api.call("GET", "/v1/audit/events", query: [("after", "EV")], expect: 200)
            #expect(after["events"]?.array?.map { $0["event_id"]?.string } == ["EVR"])
            let first = try await api.call("GET", "/v1/audit/events", query: [("limit", "1")], expect: 200)
            #expect(first["events"]?.array?.map { $0["event_id"]?.string } == ["EV"])
            for query in [[("limit", "0")], [("limit", "1001")], [("limit", "+1")], [("after", "")], [("after", "E%20V")]] {
                try await api.call("GET", "/v1/audit/events", query: query, expect: 400, code: "invalid_parameter")
            }

            // Provenance, proven record by record.
            for (ticket, names, kinds, results) in [
                ("T-1", ["issue", "transfer", "redeem", "redeemAgain"], ["issue", "transfer", "redeem", "redeem"], ["ok", "ok", "ok", "already_redeemed"]),
                ("T-2", ["issue", "overCap", "list", "buy"], ["issue", "list_resale", "list_resale", "buy_resale"], ["ok", "contract_denied", "ok", "ok"]),
            ] {
                let p = try await api.call("GET", "/v1/audit/tickets/{id}", ["id": ticket], query: [("prove", "true")], expect: 200)
                let head = try #require(p["head"])
                try verifySignedHead(head, genesis: genesis)
                let steps = try #require(p["steps"]?.array)
                #expect(steps.map { $0["kind"]?.string } == kinds && steps.map { $0["result"]?.string } == results, "\(ticket)")
                for (step, name) in zip(steps, names) {
                    try AuditProof.expectProven(step, line: try s.line(name), head: head, genesis: genesis)
                }
                if ticket == "T-2" {
                    // (4900 + 0 − 4500) · 10000 / 4500 rounds toward zero to 888; the royalty is 5 % of 4900.
                    #expect(steps[3]["from"]?.string == alice && steps[3]["to"]?.string == bob)
                    #expect(steps[3]["markup_bp"]?.int == 888 && steps[3]["royalty"]?.int == 245)
                }
            }
            for prove in [nil, "false"] {
                let plain = try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "T-4"], query: prove.map { [("prove", $0)] } ?? [], expect: 200)
                #expect(plain["steps"]?.array?.count == 2 && plain["steps"]?.array?.allSatisfy { $0["proof"] == nil } == true)
            }
            try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            for bad in ["yes", "TRUE", "1", ""] {
                try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "T-1"], query: [("prove", bad)], expect: 400, code: "invalid_parameter")
            }

            // Resales, judged by the contract's cap (110 %) and by a stricter one.
            let r = try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: [("prove", "true")], expect: 200)
            let rHead = try #require(r["head"])
            try verifySignedHead(rHead, genesis: genesis)
            #expect(r["cap_pct"]?.int == 110 && r["cap_source"]?.string == "contract")
            #expect(r["totals"]?["resales"]?.int == 1 && r["totals"]?["volume"]?.int == 4900 && r["totals"]?["royalties"]?.int == 245)
            #expect(r["totals"]?["over_cap"]?.int == 0 && r["totals"]?["rejected_over_cap"]?.int == 1 && r["totals"]?["rejected_listings"]?.int == 1)
            let resales = try #require(r["resales"]?.array), rejected = try #require(r["rejected"]?.array)
            #expect(resales.map { $0["buyer"]?.string } == [bob] && resales.map { $0["seller"]?.string } == [alice])
            #expect(rejected.map { $0["over_cap"] } == [.bool(true)] && rejected.map { $0["result"]?.string } == ["contract_denied"])
            try AuditProof.expectProven(resales[0], line: try s.line("buy"), head: rHead, genesis: genesis)
            try AuditProof.expectProven(rejected[0], line: try s.line("overCap"), head: rHead, genesis: genesis)
            let strict = try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: [("cap_pct", "105"), ("limit", "1"), ("after", "0")], expect: 200)
            #expect(strict["cap_source"]?.string == "query" && strict["totals"]?["over_cap"]?.int == 1 && strict["totals"]?["over_cap_share_bp"]?.int == 10_000)
            #expect(strict["resales"]?.array?.count == 1 && strict["resales"]?.array?.first?["proof"] == nil)
            let past = try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: [("after", "\(try s.leaf("buy"))")], expect: 200)
            #expect(past["resales"]?.array?.isEmpty == true)
            try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "NOPE"], expect: 404, code: "unknown_event")
            for query in [[("cap_pct", "0")], [("cap_pct", "100001")], [("after", "-1")], [("limit", "1001")], [("prove", "maybe")]] {
                try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: query, expect: 400, code: "invalid_parameter")
            }

            // Holders: alice acquired four tickets (more than two) and sold one within the hour.
            let h = try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "EV"],
                                       query: [("flip_window_ms", "3600000"), ("max_per_buyer", "2"), ("limit", "10")], expect: 200)
            try verifySignedHead(try #require(h["head"]), genesis: genesis)
            let holders = try #require(h["holders"]?.array)
            let byKey = Dictionary(holders.compactMap { h in h["key"]?.string.map { ($0, h) } }) { a, _ in a }
            #expect(Set(byKey.keys) == [alice, bob], "\(h.reply)")
            #expect(byKey[alice]?["sold"]?.int == 1 && byKey[alice]?["flips"]?.int == 1 && byKey[alice]?["over_limit"] == .bool(true))
            #expect(byKey[bob]?["bought"]?.int == 1 && byKey[bob]?["sold"]?.int == 0 && byKey[bob]?["over_limit"] == .bool(false))
            #expect(h["max_per_buyer_source"]?.string == "query")
            try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "NOPE"], expect: 404, code: "unknown_event")
            for query in [[("flip_window_ms", "-1")], [("flip_window_ms", "9223372036854775808")], [("max_per_buyer", "0")], [("limit", "0")]] {
                try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "EV"], query: query, expect: 400, code: "invalid_parameter")
            }

            // Double entries: T-1 presented twice at North.
            let e = try await api.call("GET", "/v1/audit/events/{id}/entries", ["id": "EV"], query: [("prove", "true"), ("limit", "10")], expect: 200)
            let eHead = try #require(e["head"])
            let tickets = try #require(e["tickets"]?.array)
            #expect(tickets.map { $0["ticket_id"]?.string } == ["T-1"])
            let attempts = try #require(tickets.first?["attempts"]?.array)
            #expect(attempts.map { $0["gate_name"]?.string } == ["North", "North"] && attempts.map { $0["result"]?.string } == ["ok", "already_redeemed"])
            for (attempt, name) in zip(attempts, ["redeem", "redeemAgain"]) {
                try AuditProof.expectProven(attempt, line: try s.line(name), head: eHead, genesis: genesis)
            }
            #expect(e["totals"]?["attempts"]?.int == 2 && e["totals"]?["redeemed"]?.int == 1 && e["totals"]?["repeated_tickets"]?.int == 1)
            try await api.call("GET", "/v1/audit/events/{id}/entries", ["id": "NOPE"], expect: 404, code: "unknown_event")
            try await api.call("GET", "/v1/audit/events/{id}/entries", ["id": "EV"], query: [("limit", "x")], expect: 400, code: "invalid_parameter")

            // The page: HTML over this API, loading nothing from elsewhere.
            let page = try await api.call("GET", "/audit", expect: 200)
            #expect(page.reply.text.contains("<title>Talon audit</title>") && !page.reply.text.contains("http://") && !page.reply.text.contains("https://"))

            let operations = api.probe.doc.operations.filter(Self.isAudit)
            APIProbe.expectCovered(api.probe.seen.only(operations), api.probe.doc, operations: operations)
        }
    }
}
