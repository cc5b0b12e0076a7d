import Foundation
import TalonProtocol
import TalonTestSupport
import Testing

/// The gate endpoints of docs/openapi.yaml (a holder's pass and a gate's snapshot) against a
/// real node: ownership certificates checked with the genesis member key over the bytes the
/// document describes, rebuilt here rather than by the product's encoder; an event's gates;
/// and its tickets walked page by page, each page's signed head verified.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct GateAPITests {
    /// The operations this suite must cover.
    static func isGate(_ operation: String) -> Bool {
        ["GET /v1/tickets/{id}/certificate", "GET /v1/events/{id}/gates", "GET /v1/events/{id}/tickets"].contains(operation)
    }

    /// What `populate` made, by name.
    struct Data {
        var alice = "", bob = "", north = "", south = ""
    }

    /// EV with T-1 … T-5 issued to alice and two gates (North admits every section, South
    /// only A): T-1 transferred to bob, T-2 redeemed at North, T-3 voided, T-4 and T-5 left
    /// with alice. EV2 has no tickets. EVR's R-1 was refunded to alice after EVR was cancelled.
    static func populate(_ c: LocalCluster) async throws -> Data {
        let g = c.chain, s = c.sandbox
        let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
        let north = try await s.newKey("north"), south = try await s.newKey("south")
        let show = ["--venue", "Hall", "--starts-at", "2027-12-31T20:00:00Z", "--capacity", "10"]
        let steps: [(String, String, String, UInt64, [String])] = [
            ("event", "create-event", g.issuer, 1, ["--event-id", "EV", "--name", "Show"] + show),
            ("empty", "create-event", g.issuer, 2, ["--event-id", "EV2", "--name", "Empty"] + show),
            ("doomed", "create-event", g.issuer, 3, ["--event-id", "EVR", "--name", "Rained off"] + show),
            ("issue", "issue", g.issuer, 4, ["--event-id", "EV", "--count", "5", "--prefix", "T", "--holder", alice.publicKey, "--face-value", "4500"]),
            ("issueR", "issue", g.issuer, 5, ["--event-id", "EVR", "--count", "1", "--prefix", "R", "--holder", alice.publicKey, "--face-value", "3000"]),
            ("gateN", "register-gate", g.issuer, 6, ["--event-id", "EV", "--gate", north.publicKey, "--name", "North"]),
            ("gateS", "register-gate", g.issuer, 7, ["--event-id", "EV", "--gate", south.publicKey, "--name", "South", "--sections", "A"]),
            ("transfer", "transfer", alice.path, 1, ["--ticket-id", "T-1", "--to", bob.publicKey]),
            ("redeem", "redeem", north.path, 1, ["--ticket-id", "T-2", "--sequence", "0"]),
            ("void", "void", g.issuer, 8, ["--ticket-id", "T-3", "--reason", "lost"]),
            ("cancel", "cancel-event", g.issuer, 9, ["--event-id", "EVR", "--reason", "storm"]),
            ("refund", "request-refund", alice.path, 2, ["--ticket-id", "R-1"]),
        ]
        for (name, kind, key, nonce, args) in steps {
            let line = try await s.op(kind, key: key, genesis: g.genesis, nonce: nonce, args)
            let r = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: line, timeout: 30)
            #expect(r.status == 200, "\(name): \(r)")
            #expect(try JSONValue.parse(r.body)["result"]?.string == "ok", "\(name): \(r)")
        }
        return Data(alice: alice.publicKey, bob: bob.publicKey, north: north.publicKey, south: south.publicKey)
    }

    /// Checks a certificate's fields and that n1's genesis key signed exactly them; a change
    /// of any signed field, or another chain's genesis, no longer verifies.
    static func expectCertificate(_ cert: JSONValue, ticket: String, event: String, holder: String, sequence: UInt64, atLeast height: UInt64,
                                  genesis: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(cert["ticket_id"]?.string == ticket && cert["event_id"]?.string == event, "\(cert)", sourceLocation: sourceLocation)
        #expect(cert["holder"]?.string == holder, "\(cert)", sourceLocation: sourceLocation)
        #expect(cert["sequence"]?.int == Int64(sequence), "\(cert)", sourceLocation: sourceLocation)
        #expect(cert["node"]?.string == "n1", "\(cert)", sourceLocation: sourceLocation)
        let certHeight = UInt64(try #require(cert["height"]?.int, sourceLocation: sourceLocation))
        #expect(certHeight > 0 && certHeight >= height, "signed at \(certHeight), the node had applied \(height)", sourceLocation: sourceLocation)

        let key = try FormatModel.memberKey("n1", genesis: genesis)
        let signatureText = try #require(cert["signature"]?.string, sourceLocation: sourceLocation)
        let signature = try #require(Signature(hex: signatureText), sourceLocation: sourceLocation)
        let genesisHash = FormatModel.sha256(genesis)
        func signs(_ bytes: [UInt8]) -> Bool { key.verify(signature, for: bytes) }
        #expect(signs(try FormatModel.certificateBytes(genesisHash: genesisHash, ticket: ticket, event: event, holder: holder, sequence: sequence, height: certHeight)),
                "the certificate's signature does not verify with n1's genesis key", sourceLocation: sourceLocation)
        #expect(!signs(try FormatModel.certificateBytes(genesisHash: genesisHash, ticket: ticket, event: event, holder: holder, sequence: sequence + 1, height: certHeight)),
                "another sequence must not verify", sourceLocation: sourceLocation)
        #expect(!signs(try FormatModel.certificateBytes(genesisHash: genesisHash, ticket: ticket, event: event, holder: holder, sequence: sequence, height: certHeight + 1)),
                "another height must not verify", sourceLocation: sourceLocation)
        #expect(!signs(try FormatModel.certificateBytes(genesisHash: [UInt8](repeating: 0, count: 32), ticket: ticket, event: event, holder: holder,
                                            sequence: sequence, height: certHeight)),
                "another chain's genesis must not verify", sourceLocation: sourceLocation)
    }

    @Test func everyGateOperationAnswersAsDocumented() async throws {
        let doc = try OpenAPIDocument.load()
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader()
            let api = APIProbe(doc: doc, address: c.api(1))
            let d = try await Self.populate(c)
            let genesis = c.chain.genesisBytes
            // Read outside the probe: only the gate operations may be called through it.
            let applied = try #require(await c.status(1)).head.height

            // Certificates: T-1 is bob's after one transfer, T-4 still alice's as issued.
            let t1 = try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "T-1"], expect: 200)
            try Self.expectCertificate(t1.json, ticket: "T-1", event: "EV", holder: d.bob, sequence: 1, atLeast: applied, genesis: genesis)
            let t4 = try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "T-4"], expect: 200)
            try Self.expectCertificate(t4.json, ticket: "T-4", event: "EV", holder: d.alice, sequence: 0, atLeast: applied, genesis: genesis)
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "T-2"], expect: 409, code: "already_redeemed")
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "T-3"], expect: 409, code: "ticket_void")
            try await api.call("GET", "/v1/tickets/{id}/certificate", ["id": "R-1"], expect: 409, code: "ticket_refunded")

            // Gates, in key order, with the sections each admits (none listed: every section).
            let gates = try #require(try await api.call("GET", "/v1/events/{id}/gates", ["id": "EV"], expect: 200)["gates"]?.array)
            let keys = gates.compactMap { $0["key"]?.string }
            #expect(keys == [d.north, d.south].sorted(), "\(gates)")
            let byName = Dictionary(gates.map { ($0["name"]?.string ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            #expect(byName["North"]?["key"]?.string == d.north && byName["North"]?["sections"] == .array([]), "\(gates)")
            #expect(byName["South"]?["key"]?.string == d.south && byName["South"]?["sections"] == .array([.string("A")]), "\(gates)")
            #expect(gates.allSatisfy { $0["event_id"]?.string == "EV" && ($0["registered_height"]?.int ?? 0) > 0 }, "\(gates)")
            let noGates = try await api.call("GET", "/v1/events/{id}/gates", ["id": "EV2"], expect: 200)
            #expect(noGates["gates"] == .array([]))
            try await api.call("GET", "/v1/events/{id}/gates", ["id": "NOPE"], expect: 404, code: "unknown_event")

            // Tickets, two a page: every ticket exactly once, each page under a valid signed head.
            var walked: [JSONValue] = [], after: String? = nil, pages = 0
            repeat {
                pages += 1
                try #require(pages <= 10, "the walk does not end: \(walked.count) tickets so far")
                let query = [("limit", "2")] + (after.map { [("after", $0)] } ?? [])
                let page = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: query, expect: 200)
                try verifySignedHead(try #require(page["head"]), genesis: genesis)
                let tickets = try #require(page["tickets"]?.array)
                #expect(tickets.count <= 2, "\(page.reply)")
                if tickets.isEmpty { #expect(page["next"] == nil, "an empty page is the last") }
                if let next = page["next"] { #expect(next.string == tickets.last?["ticket_id"]?.string, "\(page.reply)") }
                walked += tickets
                after = page["next"]?.string
            } while after != nil
            #expect(pages == 3, "5 tickets two a page end on a short page without next")
            #expect(walked.map { $0["ticket_id"]?.string } == ["T-1", "T-2", "T-3", "T-4", "T-5"])
            #expect(walked.map { $0["status"]?.string } == ["active", "redeemed", "void", "active", "active"])
            #expect(walked.map { $0["holder"]?.string } == [d.bob, d.alice, d.alice, d.alice, d.alice])
            #expect(walked.map { $0["sequence"]?.int } == [1, 0, 0, 0, 0])
            #expect(walked[1]["redeemed_by"]?.string == d.north && walked.allSatisfy { $0["event_id"]?.string == "EV" })

            // The default page holds them all; a cancelled event's refunded ticket; an empty event.
            let all = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], expect: 200)
            #expect(all["tickets"]?.array?.map { $0["ticket_id"]?.string } == ["T-1", "T-2", "T-3", "T-4", "T-5"] && all["next"] == nil)
            let refunded = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EVR"], query: [("limit", "10000")], expect: 200)
            #expect(refunded["tickets"]?.array?.map { $0["status"]?.string } == ["refunded"] && refunded["next"] == nil)
            try verifySignedHead(try #require(refunded["head"]), genesis: genesis)
            let empty = try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV2"], query: [("limit", "1")], expect: 200)
            #expect(empty["tickets"] == .array([]) && empty["next"] == nil)
            for limit in ["0", "10001", "x"] {
                try await api.call("GET", "/v1/events/{id}/tickets", ["id": "EV"], query: [("limit", limit)], expect: 400, code: "invalid_parameter")
            }
            try await api.call("GET", "/v1/events/{id}/tickets", ["id": "NOPE"], expect: 404, code: "unknown_event")

            APIProbe.expectCovered(api.seen, doc, operations: doc.operations.filter { Self.isGate($0) })
        }
    }
}
