import Foundation
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonTestSupport
import Testing

/// The read routes through the router in process, over the scenario's ledger: the signed
/// head, the status, blocks in JSON and in their stored bytes, records by hash, tickets and
/// their history page by page, events. Expected values come from the scenario's envelopes,
/// docs/format.md (through the tests' format model) and docs/openapi.yaml.
@Suite(.timeLimit(.minutes(3)))
struct RouterReadTests {
    @Test func theHeadIsSignedByTheMembersGenesisKey() async throws {
        try await InProcessAPI.run { api in
            let genesis = api.solo.genesisBytes
            // Before the first block: height 0, the genesis hash, an empty tree, time 0.
            let empty = try await api.call("GET", "/v1/head", expect: 200)
            #expect(empty["head"]?["height"]?.int == 0 && empty["head"]?["tree_size"]?.int == 0 && empty["head"]?["timestamp"]?.int == 0)
            #expect(empty["head"]?["block_hash"]?.string == FormatModel.hex(FormatModel.sha256(genesis)))
            #expect(empty["head"]?["tree_root"]?.string == FormatModel.hex(FormatModel.merkleRoot([])))
            #expect(empty["node"]?.string == "n1")
            try verifySignedHead(empty, genesis: genesis)

            let s = try await Scenario.populate(api)
            let head = try await api.call("GET", "/v1/head", expect: 200)
            try verifySignedHead(head, genesis: genesis)
            #expect(head["head"]?["height"]?.int == Int64(s.steps.count) && head["head"]?["tree_size"]?.int == Int64(s.steps.count))
            #expect(head["head"]?["tree_root"]?.string == FormatModel.hex(FormatModel.merkleRoot(try s.steps.map { try FormatModel.envelopeBytes(line: $0.line) })))
            // The signature covers the head: another height does not verify.
            let key = try FormatModel.memberKey("n1", genesis: genesis)
            let signature = try #require(head["signature"]?.string.flatMap { Signature(hex: $0) })
            var moved = try #require(head["head"])
            if case .object(var fields) = moved { fields["height"] = .int(Int64(s.steps.count) + 1); moved = .object(fields) }
            #expect(!key.verify(signature, for: try FormatModel.headBytes(moved, genesisHash: FormatModel.sha256(genesis))))
        }
    }

    @Test func statusNamesTheLeaderAndItsHead() async throws {
        try await InProcessAPI.run { api in
            let status = try await api.call("GET", "/v1/status", expect: 200)
            #expect(status["node"]?.string == "n1" && status["role"]?.string == "leader" && status["leader"]?.string == "n1")
            #expect(status["leader_api"]?.string == "127.0.0.1:2", "the member's api address in the genesis file")
            #expect(status["peers"]?.array?.isEmpty == true)
            #expect(status["rejected_entries"]?.int == 0 && status["waiting_submissions"]?.int == 0)
            let head = try await api.call("GET", "/v1/head", expect: 200)
            #expect(status["head"] == head["head"])
            let term = try #require(status["term"]?.int), commit = try #require(status["commit"]?.int)
            let applied = try #require(status["applied"]?.int), last = try #require(status["last_index"]?.int)
            #expect(term >= 1 && applied <= commit && commit <= last, "\(status.reply)")
        }
    }

    /// The hook each step's contract decision names (docs/format.md, "Contracts at apply"):
    /// EV is bound to markup-cap-royalty, EVR to refund-window; the other steps consult no
    /// contract. Whether a transfer refused as `not_holder` consults one the document does
    /// not say, so `stolen` is left out.
    static let hooks = ["bind": "on_rebind", "transfer": "on_transfer", "overCap": "on_list", "list": "on_list", "buy": "on_buy",
                        "listT3": "on_list", "bindR": "on_rebind", "refund": "on_refund", "refundAfter": "on_cancel"]

    /// A verifier written from docs/format.md walks every block through
    /// `/v1/blocks/{height}/records` to the signed head; each block's JSON and stored bytes
    /// are the ones the format gives.
    @Test func blocksAreTheChainTheFormatDescribes() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let genesis = api.solo.genesisBytes
            var prev = FormatModel.sha256(genesis), leaves: [[UInt8]] = []
            for height in 1...s.steps.count {
                let records = try await api.call("GET", "/v1/blocks/{height}/records", ["height": "\(height)"], expect: 200)
                let checked = try FormatModel.checkBlock(records.json, prev: prev, leaves: &leaves)
                prev = checked.hash
                let step = s.steps[height - 1]
                let record = try #require(records["records"]?.array?.first)
                let envelope = try JSONValue.parse(step.line)
                #expect(record["envelope"] == envelope && record["result"]?.string == step.result)
                #expect(record["bytes"]?.string == FormatModel.hex(try FormatModel.envelopeBytes(line: step.line)))
                if step.name != "stolen" {
                    #expect(record["decision"]?["hook"]?.string == Self.hooks[step.name], "\(step.name): \(record)")
                }

                let block = try await api.call("GET", "/v1/blocks/{height}", ["height": "\(height)"], expect: 200)
                #expect(block.json == records["block"])
                var entry: [String: JSONValue] = ["envelope": .string(try s.hash(step.name)), "result": .string(step.result)]
                if let decision = record["decision"] {
                    entry["decision"] = .string(FormatModel.hex(FormatModel.sha256(try FormatModel.decisionBytes(decision))))
                }
                #expect(block["entries"] == .array([.object(entry)]), "block \(height): \(block.reply)")
                let stored = try await api.call("GET", "/v1/blocks/{height}", ["height": "\(height)"], headers: ["Accept": "application/octet-stream"], expect: 200)
                #expect(stored.reply.headers["content-type"] == "application/octet-stream")
                #expect(stored.reply.body == (try FormatModel.storedBlock(records.json)), "block \(height)'s stored bytes")
                #expect(FormatModel.sha256(Array(stored.reply.body.prefix(125))) == checked.hash)
            }
            let head = try await api.call("GET", "/v1/head", expect: 200)
            #expect(head["head"]?["block_hash"]?.string == FormatModel.hex(prev))
            let transfer = try await api.call("GET", "/v1/records/{hash}", ["hash": try s.hash("transfer")], expect: 200)
            #expect(transfer["decision"]?["hook_defined"] == .bool(false) && transfer["decision"]?["allowed"] == .bool(true),
                    "a hook the contract does not define allows, and the decision is recorded")

            let beyond = "\(s.steps.count + 1)"
            for template in ["/v1/blocks/{height}", "/v1/blocks/{height}/records"] {
                try await api.call("GET", template, ["height": "0"], expect: 404, code: "not_found")
                try await api.call("GET", template, ["height": beyond], expect: 404, code: "not_found")
                try await api.call("GET", template, ["height": "18446744073709551616"], expect: 404, code: "not_found")
                for bad in ["+1", "-1", "-0", "0x1", "%201", "1e0", "one", String(repeating: "9", count: 400) + "x"] {
                    try await api.call("GET", template, ["height": bad], expect: 400, code: "invalid_parameter")
                }
            }
        }
    }

    @Test func recordsAreServedByHashAsJSONAndAsCanonicalBytes() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            for (i, step) in s.steps.enumerated() {
                let hash = try s.hash(step.name)
                let record = try await api.call("GET", "/v1/records/{hash}", ["hash": hash], expect: 200)
                let envelope = try JSONValue.parse(step.line)
                #expect(record["hash"]?.string == hash && record["envelope"] == envelope)
                #expect(record["receipt"] == .object(["height": .int(Int64(i + 1)), "leaf": .int(Int64(i)), "position": .int(0), "result": .string(step.result)]))
                let bytes = try await api.call("GET", "/v1/records/{hash}", ["hash": hash], headers: ["Accept": "application/octet-stream"], expect: 200)
                #expect(bytes.reply.body == (try FormatModel.envelopeBytes(line: step.line)))
            }
            let buy = try await api.call("GET", "/v1/records/{hash}", ["hash": try s.hash("buy")], expect: 200)
            #expect(buy["decision"]?["hook"]?.string == "on_buy" && buy["decision"]?["allowed"] == .bool(true))
            #expect(buy["decision"]?["royalty"]?.int == 245, "5 % of 4900")
            let hash = try s.hash("event")
            try await api.call("GET", "/v1/records/{hash}", ["hash": hash.uppercased()], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/records/{hash}", ["hash": String(hash.dropLast())], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/records/{hash}", ["hash": "zz"], expect: 400, code: "invalid_parameter")
            try await api.call("GET", "/v1/records/{hash}", ["hash": String(repeating: "0", count: 64)], expect: 404, code: "not_found")
        }
    }

    @Test func ticketsAndEventsAreServedWithTheHeightTheyWereReadAt() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let height = Int64(s.steps.count)
            let t1 = try await api.call("GET", "/v1/tickets/{id}", ["id": "T-1"], expect: 200)
            #expect(t1["ticket"]?["holder"]?.string == s.bob.publicKey.text && t1["ticket"]?["sequence"]?.int == 1)
            #expect(t1["ticket"]?["status"]?.string == "redeemed" && t1["ticket"]?["redeemed_by"]?.string == s.gate.publicKey.text)
            let issued = try s.leaf("issue") + 1, redeemed = try s.leaf("redeem") + 1
            #expect(t1["ticket"]?["issued_height"]?.int == issued && t1["ticket"]?["updated_height"]?.int == redeemed)
            #expect(t1["ticket"]?["event_id"]?.string == "EV" && t1["ticket"]?["face_value"]?.int == 4500)
            #expect(t1["served_at"] == .object(["height": .int(height), "consistency": .string("local")]))
            let t2 = try await api.call("GET", "/v1/tickets/{id}", ["id": "T-2"], query: [("consistency", "linearizable")], expect: 200)
            #expect(t2["ticket"]?["holder"]?.string == s.bob.publicKey.text && t2["ticket"]?["paid"]?.int == 4900)
            #expect(t2["ticket"]?["resales"]?.int == 1 && t2["ticket"]?["status"]?.string == "active")
            #expect(t2["served_at"] == .object(["height": .int(height), "consistency": .string("linearizable")]))
            let t4 = try await api.call("GET", "/v1/tickets/{id}", ["id": "T-4"], query: [("consistency", "local")], expect: 200)
            #expect(t4["ticket"]?["status"]?.string == "void")
            let r1 = try await api.call("GET", "/v1/tickets/{id}", ["id": "R-1"], expect: 200)
            #expect(r1["ticket"]?["status"]?.string == "refunded" && r1["ticket"]?["refund"]?.int == 3000, "a full refund 48 h or more before the show")
            // The id is percent-decoded: T%2D1 is T-1.
            let escaped = try await api.call("GET", "/v1/tickets/{id}", ["id": "T%2D1"], expect: 200)
            #expect(escaped["ticket"] == t1["ticket"])
            try await api.call("GET", "/v1/tickets/{id}", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            for bad in ["sometimes", "", "LOCAL", "local%20"] {
                try await api.call("GET", "/v1/tickets/{id}", ["id": "T-1"], query: [("consistency", bad)], expect: 400, code: "invalid_parameter")
            }

            let ev = try await api.call("GET", "/v1/events/{id}", ["id": "EV"], expect: 200)
            #expect(ev["event"]?["issuer"]?.string == api.solo.issuer.publicKey.text && ev["event"]?["issued"]?.int == 4)
            #expect(ev["event"]?["capacity"]?.int == 10 && ev["event"]?["name"]?.string == "Show")
            #expect(ev["event"]?["created_height"]?.int == (try s.leaf("event")) + 1)
            #expect(ev["served_at"] == .object(["height": .int(height), "consistency": .string("local")]))
            let evr = try await api.call("GET", "/v1/events/{id}", ["id": "EVR"], query: [("consistency", "linearizable")], expect: 200)
            #expect(evr["event"]?["cancelled"] == .bool(true) && ev["event"]?["cancelled"] == .bool(false))
            #expect(evr["served_at"]?["consistency"]?.string == "linearizable")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV2"], expect: 404, code: "unknown_event")
            try await api.call("GET", "/v1/events/{id}", ["id": "EV"], query: [("consistency", "strong")], expect: 400, code: "invalid_parameter")
        }
    }

    /// History pages by leaf: `after` is the last leaf seen and `limit` the page size, both
    /// written in digits only and refused outside their schema's range.
    @Test func historyPagesByLeafWithStrictParameters() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let t1 = try ["issue", "transfer", "redeem", "redeemAgain"].map { try s.hash($0) }
            let full = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], expect: 200)
            #expect(full["records"]?.array?.map { $0["hash"]?.string } == t1)
            #expect(full["records"]?.array?.map { $0["receipt"]?["result"]?.string } == ["ok", "ok", "ok", "already_redeemed"])
            let t3 = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-3"], query: [("limit", "1000")], expect: 200)
            #expect(t3["records"]?.array?.map { $0["hash"]?.string } == (try ["issue", "listT3", "cancelListing", "stolen"].map { try s.hash($0) }))
            #expect(t3["records"]?.array?.last?["receipt"]?["result"]?.string == "not_holder", "a rejected attempt stays in the history")

            // Pages of one, each after the last leaf seen, give the whole history.
            var after: Int64?, paged: [String] = []
            while true {
                let query = [("limit", "1")] + (after.map { [("after", "\($0)")] } ?? [])
                let page = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], query: query, expect: 200)
                guard let record = page["records"]?.array?.first else { break }
                #expect(page["records"]?.array?.count == 1)
                paged.append(record["hash"]?.string ?? "")
                after = record["receipt"]?["leaf"]?.int
            }
            #expect(paged == t1)
            let rest = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"],
                                          query: [("after", "\(try s.leaf("issue"))"), ("limit", "2"), ("consistency", "linearizable")], expect: 200)
            #expect(rest["records"]?.array?.map { $0["hash"]?.string } == Array(t1[1...2]))
            #expect(rest["served_at"]?["consistency"]?.string == "linearizable")
            let none = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], query: [("after", "18446744073709551615")], expect: 200)
            #expect(none["records"]?.array?.isEmpty == true)

            for (name, value) in [("limit", "0"), ("limit", "1001"), ("limit", "ten"), ("limit", "+1"), ("limit", "%2B1"), ("limit", "-1"),
                                  ("limit", "%201"), ("limit", "1%20"), ("limit", ""), ("limit", "1.0"), ("after", "-1"), ("after", "+0"),
                                  ("after", "%2B0"), ("after", "18446744073709551616"), ("after", String(repeating: "1", count: 100)),
                                  ("after", "0x1"), ("consistency", "eventual")] {
                let r = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "T-1"], query: [(name, value)], expect: 400, code: "invalid_parameter")
                #expect(r.reply.status == 400, "\(name)=\(value)")
            }

            // No ticket and no record: a first page is 404; later pages of a valid id are empty;
            // what is no id (not even percent-decodable to one) has no page at all.
            try await api.call("GET", "/v1/tickets/{id}/history", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            let later = try await api.call("GET", "/v1/tickets/{id}/history", ["id": "NOPE"], query: [("after", "0")], expect: 200)
            #expect(later["records"]?.array?.isEmpty == true)
            for bad in ["%C2%84", "T%201", String(repeating: "x", count: 129)] {
                for query in [[], [("after", "0")]] {
                    try await api.call("GET", "/v1/tickets/{id}/history", ["id": bad], query: query, expect: 404, code: "unknown_ticket")
                }
            }
        }
    }
}

extension RouterReadTests {
    /// A holder's history: every record naming the key as a holder (what it received, what
    /// was done to tickets it held, what it signed for them, rejected or not), oldest first,
    /// page by page; the same records the ledger's own query gives. Any well-formed key has
    /// one, empty when no record names it; a malformed key is 400 `invalid_parameter`.
    @Test func aHoldersHistoryPagesByLeaf() async throws {
        try await InProcessAPI.run { api in
            let s = try await Scenario.populate(api)
            let bob = s.bob.publicKey.text
            let full = try await api.call("GET", "/v1/holders/{key}/history", ["key": bob], expect: 200)
            let hashes = full["records"]?.array?.compactMap { $0["hash"]?.string } ?? []
            for step in ["transfer", "redeem", "redeemAgain", "buy", "stolen"] {
                #expect(hashes.contains(try s.hash(step)), "\(step) names bob as a holder")
            }
            for step in ["registerIssuer", "event", "issue", "listT3", "void", "refund"] {
                #expect(!hashes.contains(try s.hash(step)), "\(step) does not name bob")
            }
            let direct = try api.solo.node.ledger.history(holder: s.bob.publicKey).map(\.envelope.hash.hex)
            #expect(hashes == direct)
            let leaves = full["records"]?.array?.compactMap { $0["receipt"]?["leaf"]?.int } ?? []
            #expect(leaves.count == hashes.count && leaves == leaves.sorted() && Set(leaves).count == leaves.count)

            // Pages of one, each after the last leaf seen, give the whole history.
            var after: Int64?, paged: [String] = []
            while true {
                let query = [("limit", "1")] + (after.map { [("after", "\($0)")] } ?? [])
                let page = try await api.call("GET", "/v1/holders/{key}/history", ["key": bob], query: query, expect: 200)
                guard let record = page["records"]?.array?.first else { break }
                paged.append(record["hash"]?.string ?? "")
                after = record["receipt"]?["leaf"]?.int
            }
            #expect(paged == hashes)

            // The colon as it is, or percent-encoded.
            for target in ["/v1/holders/\(bob)/history", "/v1/holders/\(bob.replacingOccurrences(of: ":", with: "%3A"))/history"] {
                let reply = try await api.send("GET", target)
                let records = try JSONValue.parse(reply.body)["records"]?.array
                #expect(reply.status == 200 && records?.count == hashes.count, "\(target): \(reply)")
            }
            let stranger = try await api.call("GET", "/v1/holders/{key}/history", ["key": SigningKey.generate().publicKey.text], expect: 200)
            #expect(stranger["records"]?.array?.isEmpty == true)
            let hex = String(bob.dropFirst("ed25519:".count))
            for bad in ["bob", hex, "ed25519:" + hex.dropLast(), "ed25519:" + hex.uppercased(), "ed25519:" + String(repeating: "g", count: 64),
                        "ed25519:" + hex + "00", "ED25519:" + hex] {
                try await api.call("GET", "/v1/holders/{key}/history", ["key": bad], expect: 400, code: "invalid_parameter")
            }
        }
    }
}
