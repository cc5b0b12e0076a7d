import TalonProtocol
import TalonTestSupport
import Testing

/// The gate routes through the router in process: ownership certificates checked with the
/// genesis member key over the bytes docs/format.md describes (rebuilt by the tests' format
/// model), an event's gates, and its tickets page by page under signed heads.
@Suite(.timeLimit(.minutes(3)))
struct RouterGateTests {
    static func isGate(_ operation: String) -> Bool {
        ["GET /v1/tickets/{id}/certificate", "GET /v1/events/{id}/gates", "GET /v1/events/{id}/tickets"].contains(operation)
    }

    @Test func everyGateRouteAnswersAsDocumented() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            try await api.call("POST", "/v1/envelopes", body: RouterSubmitTests.event(api.solo, "EV2"), expect: 200)
            let genesis = api.solo.genesisBytes, genesisHash = FormatModel.sha256(genesis)
            let alice = s.alice.publicKey.text, bob = s.bob.publicKey.text
            let height = UInt64(s.steps.count + 1)
            let key = try FormatModel.memberKey("n1", genesis: genesis)

            // Certificates of the active tickets, signed over exactly their fields.
            for (ticket, holder, sequence) in [("T-2", bob, UInt64(1)), ("T-3", alice, UInt64(0))] {
                let cert = try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": ticket], expect: 200)
                #expect(cert["ticket_id"]?.string == ticket && cert["event_id"]?.string == "EV" && cert["holder"]?.string == holder)
                #expect(cert["sequence"]?.int == Int64(sequence) && cert["height"]?.int == Int64(height) && cert["node"]?.string == "n1")
                let signature = try #require(cert["signature"]?.string.flatMap { Signature(hex: $0) })
                func signs(_ sequence: UInt64, _ height: UInt64, genesis: [UInt8] = genesisHash) throws -> Bool {
                    key.verify(signature, for: try FormatModel.certificateBytes(genesisHash: genesis, ticket: ticket, event: "EV", holder: holder,
                                                                              sequence: sequence, height: height))
                }
                #expect(try signs(sequence, height), "the certificate's signature does not verify with n1's genesis key")
                #expect(try !signs(sequence + 1, height), "another sequence must not verify")
                #expect(try !signs(sequence, height + 1), "another height must not verify")
                #expect(try !signs(sequence, height, genesis: [UInt8](repeating: 0, count: 32)), "another chain's genesis must not verify")
            }
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "T-1"], expect: 409, code: "already_redeemed")
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "T-4"], expect: 409, code: "ticket_void")
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "R-1"], expect: 409, code: "ticket_refunded")
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "NOPE"], expect: 404, code: "unknown_ticket")

            // Gates, with the sections each admits (none listed: every section).
            let gates = try await api.call("GET", "/v1/events/{id}/gates", ["id": "EV"], expect: 200)
            #expect(gates["gates"] == .array([.object(["event_id": .string("EV"), "key": .string(s.gate.publicKey.text), "name": .string("North"),
                                                       "sections": .array([]), "registered_height": .int((try s.leaf("gate")) + 1)])]))
            let none = try await api.call("GET", "/v1/events/{id}/gates", ["id": "EVR"], expect: 200)
            #expect(none["gates"] == .array([]))
            try await api.call("GET", "/v1/events/{id}/gates", ["id": "NOPE"], expect: 404, code: "unknown_event")

            // Tickets page by page, each under a valid signed head: every ticket once, in
            // index order, and a full last page is followed by an empty one without `next`.
            for (limit, pages) in [(1, 5), (3, 2), (4, 2)] {
                var walked: [JSONValue] = [], after: String?, count = 0
                repeat {
                    count += 1
                    try #require(count <= 10, "the walk does not end")
                    let query = [("limit", "\(limit)")] + (after.map { [("after", $0)] } ?? [])
                    let page = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: query, expect: 200)
                    try verifySignedHead(try #require(page["head"]), genesis: genesis)
                    let tickets = try #require(page["tickets"]?.array)
                    #expect(tickets.count <= limit)
                    #expect(page["next"] == (tickets.count == limit ? tickets.last?["ticket_id"] : nil), "\(page.reply)")
                    walked += tickets
                    after = page["next"]?.string
                } while after != nil
                #expect(count == pages, "limit \(limit)")
                #expect(walked.map { $0["ticket_id"]?.string } == ["T-1", "T-2", "T-3", "T-4"])
                #expect(walked.map { $0["status"]?.string } == ["redeemed", "active", "active", "void"])
                #expect(walked.map { $0["holder"]?.string } == [bob, bob, alice, alice])
            }
            let rest = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: [("after", "T-3")], expect: 200)
            #expect(rest["tickets"]?.array?.map { $0["ticket_id"]?.string } == ["T-4"] && rest["next"] == nil)
            let refunded = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EVR"], query: [("limit", "10000")], expect: 200)
            #expect(refunded["tickets"]?.array?.map { $0["status"]?.string } == ["refunded", "refunded"])
            let empty = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV2"], query: [("limit", "1")], expect: 200)
            #expect(empty["tickets"] == .array([]) && empty["next"] == nil)
            for query in [[("limit", "0")], [("limit", "10001")], [("limit", "x")], [("limit", "%2B1")], [("after", "")], [("after", "T%201")],
                          [("after", "%C2%84")], [("after", String(repeating: "x", count: 129))]] {
                try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: query, expect: 400, code: "invalid_parameter")
            }
            try await api.call("GET", "/v1/events/{id}/tickets", ["id": "NOPE"], expect: 404, code: "unknown_event")

            let operations = api.probe.doc.operations.filter(Self.isGate)
            APIProbe.expectCovered(api.probe.seen.only(operations), api.probe.doc, operations: operations)
        }
    }
}
