import Foundation
import TalonProtocol
import TalonTestSupport
import Testing

/// The audit endpoints of docs/openapi.yaml against a real node holding resales under the
/// markup-cap contract, a rejected listing and a double entry; proofs checked with the
/// RFC's algorithms and the format model written in the tests, and the /audit page loaded
/// in a real headless chromium.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct AuditAPITests {
    /// The operations this suite must cover.
    static func isAudit(_ operation: String) -> Bool { operation.contains(" /v1/audit/") || operation.hasSuffix(" /audit") }

    /// What `populate` submitted, by name.
    struct Data {
        var lines: [String: String] = [:]
        var alice = "", bob = "", carol = "", north = ""
    }

    /// EV under markup-cap-royalty (110 %, 5 %): T-1 listed over the cap (denied), sold by
    /// alice to bob at +10 %, by bob to carol at face value, redeemed at North and presented
    /// again at South.
    static func populate(_ c: LocalCluster, _ api: APIProbe) async throws -> Data {
        let g = c.chain, s = c.sandbox
        let alice = try await s.newKey("alice"), bob = try await s.newKey("bob"), carol = try await s.newKey("carol")
        let north = try await s.newKey("north"), south = try await s.newKey("south")
        let markup = ContractCLITests.root.appendingPathComponent("genesis/contracts/markup-cap-royalty.lua").path
        let params = try s.write("markup.json", #"{"max_price_pct": 110, "royalty_pct": 5}"#)
        var d = Data(alice: alice.publicKey, bob: bob.publicKey, carol: carol.publicKey, north: north.publicKey)
        let steps: [(String, String, String, UInt64, [String])] = [
            ("event", "create-event", g.issuer, 1, ["--event-id", "EV", "--name", "Show", "--venue", "Hall", "--starts-at", "2027-12-31T20:00:00Z", "--capacity", "10"]),
            ("deploy", "deploy-contract", g.issuer, 2, ["--source", markup]),
            ("bind", "bind-contract", g.issuer, 3, ["--event-id", "EV", "--source", markup, "--params", params]),
            ("issue", "issue", g.issuer, 4, ["--event-id", "EV", "--count", "3", "--prefix", "T", "--holder", alice.publicKey, "--face-value", "4500"]),
            ("gateN", "register-gate", g.issuer, 5, ["--event-id", "EV", "--gate", north.publicKey, "--name", "North"]),
            ("gateS", "register-gate", g.issuer, 6, ["--event-id", "EV", "--gate", south.publicKey, "--name", "South"]),
            ("overCap", "list-resale", alice.path, 1, ["--ticket-id", "T-1", "--price", "5000"]),
            ("list1", "list-resale", alice.path, 2, ["--ticket-id", "T-1", "--price", "4900"]),
            ("buy1", "buy-resale", bob.path, 1, ["--ticket-id", "T-1", "--price", "4900"]),
            ("list2", "list-resale", bob.path, 2, ["--ticket-id", "T-1", "--price", "4500"]),
            ("buy2", "buy-resale", carol.path, 1, ["--ticket-id", "T-1", "--price", "4500"]),
            ("redeemN", "redeem", north.path, 1, ["--ticket-id", "T-1", "--sequence", "2"]),
            ("redeemS", "redeem", south.path, 1, ["--ticket-id", "T-1", "--sequence", "2"]),
        ]
        for (name, kind, key, nonce, args) in steps {
            let line = try await s.op(kind, key: key, genesis: g.genesis, nonce: nonce, args)
            d.lines[name] = line
            let r = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: line, timeout: 30)
            #expect(r.status == 200, "\(name): \(r)")
        }
        return d
    }

    /// The leaf hash of an envelope line, recomputed from docs/format.md by the test's model.
    static func leafHash(_ line: String) throws -> [UInt8] { FormatModel.sha256([0] + (try FormatModel.envelopeBytes(line: line))) }

    /// Checks a record's proof: its envelope is `line`, and hashing up the path from its leaf
    /// gives the root of the answer's signed head.
    static func expectProven(_ item: JSONValue, _ line: String, head: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let proof = try #require(item["proof"], "no proof in \(item)", sourceLocation: sourceLocation)
        #expect(proof["envelope"] == (try JSONValue.parse(line)), sourceLocation: sourceLocation)
        #expect(item["envelope_hash"]?.string == (try FormatModel.envelopeHash(line: line)), sourceLocation: sourceLocation)
        let path = try (proof["path"]?.array ?? []).map { try FormatModel.unhex(try #require($0.string)) }
        let leaf = try #require(item["leaf"]?.int), size = try #require(head["head"]?["tree_size"]?.int)
        let root = RFC9162.root(leaf: UInt64(leaf), size: UInt64(size), leafHash: try leafHash(line), path: path)
        #expect(root.map(FormatModel.hex) == head["head"]?["tree_root"]?.string, "the proof of leaf \(leaf) fails", sourceLocation: sourceLocation)
    }

    @Test func everyAuditOperationAnswersAsDocumented() async throws {
        let doc = try OpenAPIDocument.load()
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader()
            let api = APIProbe(doc: doc, address: c.api(1))
            let d = try await Self.populate(c, api)
            let genesis = c.chain.genesisBytes

            let events = try await api.call("GET", "/v1/audit/events", expect: 200)
            #expect(events["events"]?.array?.map { $0["event_id"]?.string } == ["EV"])
            try verifySignedHead(events.json["head"] ?? .null, genesis: genesis)
            let none = try await api.call("GET", "/v1/audit/events", query: [("after", "EV"), ("limit", "5")], expect: 200)
            #expect(none["events"]?.array?.isEmpty == true)
            try await api.call("GET", "/v1/audit/events", query: [("limit", "0")], expect: 400, code: "invalid_parameter")

            // Provenance, proven record by record.
            let p = try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "T-1"], query: [("prove", "true")], expect: 200)
            let head = try #require(p["head"])
            try verifySignedHead(head, genesis: genesis)
            let steps = try #require(p["steps"]?.array)
            #expect(steps.map { $0["kind"]?.string } == ["issue", "list_resale", "list_resale", "buy_resale", "list_resale", "buy_resale", "redeem", "redeem"])
            #expect(steps.map { $0["result"]?.string } == ["ok", "contract_denied", "ok", "ok", "ok", "ok", "ok", "already_redeemed"])
            #expect(steps[3]["from"]?.string == d.alice && steps[3]["to"]?.string == d.bob && steps[3]["markup_bp"]?.int == 888)
            #expect(steps[3]["royalty"]?.int == 245 && steps[5]["from"]?.string == d.bob && steps[5]["to"]?.string == d.carol)
            #expect(steps[6]["gate"]?.string == d.north)
            for (step, name) in zip(steps, ["issue", "overCap", "list1", "buy1", "list2", "buy2", "redeemN", "redeemS"]) {
                try Self.expectProven(step, try #require(d.lines[name]), head: head)
            }
            // A tampered record or proof no longer leads to the signed root.
            let tamperedLine = try #require(d.lines["buy1"]).replacingOccurrences(of: "\"price\":4900", with: "\"price\":4000")
            let buyPath = try (steps[3]["proof"]?["path"]?.array ?? []).map { try FormatModel.unhex(try #require($0.string)) }
            let size = UInt64(try #require(head["head"]?["tree_size"]?.int))
            #expect(RFC9162.root(leaf: UInt64(try #require(steps[3]["leaf"]?.int)), size: size, leafHash: FormatModel.sha256([0] + Array(tamperedLine.utf8)), path: buyPath)
                    .map(FormatModel.hex) != head["head"]?["tree_root"]?.string)
            let plain = try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "T-2"], query: [("prove", "false")], expect: 200)
            #expect(plain["steps"]?.array?.count == 1 && plain["steps"]?.array?.first?["proof"] == nil)
            try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "NOPE"], expect: 404, code: "unknown_ticket")
            try await api.call("GET", "/v1/audit/tickets/{id}", ["id": "T-1"], query: [("prove", "yes")], expect: 400, code: "invalid_parameter")

            // Resale report, judged by the contract's cap and by a stricter one.
            let r = try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: [("prove", "true")], expect: 200)
            #expect(r["cap_pct"]?.int == 110 && r["cap_source"]?.string == "contract")
            #expect(r["totals"]?["resales"]?.int == 2 && r["totals"]?["volume"]?.int == 9400 && r["totals"]?["royalties"]?.int == 245 + 225)
            #expect(r["totals"]?["over_cap"]?.int == 0 && r["totals"]?["rejected_over_cap"]?.int == 1 && r["totals"]?["rejected_listings"]?.int == 1)
            #expect(r["rejected"]?.array?.map { $0["over_cap"] } == [.bool(true)])
            let resales = try #require(r["resales"]?.array)
            #expect(resales.map { $0["buyer"]?.string } == [d.bob, d.carol])
            try Self.expectProven(resales[0], try #require(d.lines["buy1"]), head: try #require(r["head"]))
            try Self.expectProven(try #require(r["rejected"]?.array?.first), try #require(d.lines["overCap"]), head: try #require(r["head"]))
            let strict = try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"],
                                             query: [("cap_pct", "105"), ("limit", "1"), ("after", "0")], expect: 200)
            #expect(strict["cap_source"]?.string == "query" && strict["totals"]?["over_cap"]?.int == 1 && strict["totals"]?["over_cap_share_bp"]?.int == 5000)
            #expect(strict["resales"]?.array?.count == 1 && strict["next"] != nil && strict["resales"]?.array?.first?["proof"] == nil)
            try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "NOPE"], expect: 404, code: "unknown_event")
            try await api.call("GET", "/v1/audit/events/{id}/resales", ["id": "EV"], query: [("cap_pct", "0")], expect: 400, code: "invalid_parameter")

            // Holders: bob bought and sold within the window.
            let h = try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "EV"],
                                       query: [("flip_window_ms", "3600000"), ("max_per_buyer", "2"), ("limit", "10")], expect: 200)
            let holders = try #require(h["holders"]?.array)
            // Alice and bob each sold once within the hour of acquiring; alice acquired more.
            #expect(holders.map { $0["key"]?.string } == [d.alice, d.bob, d.carol])
            #expect(holders[1]["flips"]?.int == 1 && holders[1]["sold"]?.int == 1 && holders[1]["bought"]?.int == 1)
            #expect(holders[0]["over_limit"] == .bool(true) && holders[1]["over_limit"] == .bool(false))
            #expect(h["max_per_buyer_source"]?.string == "query")
            try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "NOPE"], expect: 404, code: "unknown_event")
            try await api.call("GET", "/v1/audit/events/{id}/holders", ["id": "EV"], query: [("flip_window_ms", "-1")], expect: 400, code: "invalid_parameter")

            // Double entries.
            let e = try await api.call("GET", "/v1/audit/events/{id}/entries", ["id": "EV"], query: [("prove", "true"), ("limit", "10")], expect: 200)
            let attempts = try #require(e["tickets"]?.array?.first?["attempts"]?.array)
            #expect(e["tickets"]?.array?.count == 1 && attempts.map { $0["gate_name"]?.string } == ["North", "South"])
            try Self.expectProven(attempts[1], try #require(d.lines["redeemS"]), head: try #require(e["head"]))
            try await api.call("GET", "/v1/audit/events/{id}/entries", ["id": "NOPE"], expect: 404, code: "unknown_event")
            try await api.call("GET", "/v1/audit/events/{id}/entries", ["id": "EV"], query: [("limit", "x")], expect: 400, code: "invalid_parameter")

            let page = try await api.call("GET", "/audit", expect: 200)
            #expect(page.reply.text.contains("<title>Talon audit</title>") && !page.reply.text.contains("http://") && !page.reply.text.contains("https://"),
                    "the page loads nothing from elsewhere")

            APIProbe.expectCovered(api.seen, doc, operations: doc.operations.filter(Self.isAudit))
            try await Self.cliAudits(c, d)
            try await Self.walkTheChain(c, genesis: genesis)
        }
    }

    /// A verifier written from docs/format.md alone (the tests' FormatModel) walks every block
    /// through `/v1/blocks/{height}/records` to the signed head: envelopes, results and every
    /// contract decision are under the head's signature.
    static func walkTheChain(_ c: LocalCluster, genesis: [UInt8]) async throws {
        let headReply = try await RawHTTP.request("GET", c.api(1), "/v1/head")
        let head = try JSONValue.parse(headReply.body)
        try verifySignedHead(head, genesis: genesis)
        let top = try #require(head["head"]?["height"]?.int)
        var prev = FormatModel.sha256(genesis), leaves: [[UInt8]] = [], decisions = 0
        for height in 1...top {
            let reply = try await RawHTTP.request("GET", c.api(1), "/v1/blocks/\(height)/records")
            try #require(reply.status == 200, "\(reply)")
            let checked = try FormatModel.checkBlock(try JSONValue.parse(reply.body), prev: prev, leaves: &leaves)
            prev = checked.hash
            decisions += checked.decisions
        }
        #expect(FormatModel.hex(prev) == head["head"]?["block_hash"]?.string)
        // The binding (on_rebind), three listings (one over the cap), two buys, and the later
        // transfer (on_transfer, which the contract does not define: recorded as such).
        #expect(decisions == 7)
    }

    /// `talon audit …` prints tables and CSV, saves answers that `talon audit verify` checks
    /// offline, refuses a tampered one, and proves with --since that the log only grew.
    static func cliAudits(_ c: LocalCluster, _ d: Data) async throws {
        let s = c.sandbox, node = c.api(1), genesis = c.chain.genesis
        let table = try await s.talon(["audit", "ticket", "T-1", "--node", node])
        #expect(table.status == 0 && table.lines.count == 10 && table.lines[1].hasPrefix("leaf") && table.stdout.contains("8.88%"), "\(table)")
        let csv = try await s.talon(["audit", "event", "EV", "--node", node, "--csv"])
        #expect(csv.status == 0 && csv.lines.count == 4 && csv.lines[0].hasPrefix("leaf,kind,result"), "header, one rejected listing, two resales: \(csv)")
        for args in [["holders", "EV"], ["entries", "EV"]] {
            let run = try await s.talon(["audit"] + args + ["--node", node])
            #expect(run.status == 0 && run.lines.count >= 3, "\(run)")
        }

        let saved = try await s.talon(["audit", "ticket", "T-1", "--node", node, "--json", "--prove"])
        try #require(saved.status == 0, "\(saved)")
        let answer = try s.write("t1.json", saved.stdout)
        let ok = try await s.talon(["audit", "verify", "--genesis", genesis, answer])
        #expect(ok.status == 0 && ok.stdout.contains("8 record(s) proven in it, 8 with their results and decisions"), "\(ok)")
        let forged = try s.write("forged.json", saved.stdout.replacingOccurrences(of: "\"price\":4900", with: "\"price\":4000"))
        let refused = try await s.talon(["audit", "verify", "--genesis", genesis, forged])
        #expect(refused.status != 0 && refused.stderr.contains("verify_failed"), "\(refused)")
        let reheaded = try s.write("rehead.json", saved.stdout.replacingOccurrences(of: "\"node\":\"n1\"", with: "\"node\":\"n2\""))
        let wrongSigner = try await s.talon(["audit", "verify", "--genesis", genesis, reheaded])
        #expect(wrongSigner.status != 0 && wrongSigner.stderr.contains("verify_failed"), "\(wrongSigner)")
        // Results, royalties and decisions are under the signature too (keys are sorted: a
        // row's royalty is followed by its signer, a decision's ends the object).
        #expect(saved.stdout.contains("\"royalty\":245,\"signer\"") && saved.stdout.contains("\"royalty\":245}"))
        let forgeries = [
            ("the row's royalty", "\"royalty\":245,\"signer\"", "\"royalty\":0,\"signer\"", "the row says royalty 0"),
            ("the decision's royalty", "\"royalty\":245}", "\"royalty\":0}", "not the ones block"),
            ("a denial made an acceptance", "\"result\":\"contract_denied\"", "\"result\":\"ok\"", "not the ones block"),
        ]
        for (what, from, to, why) in forgeries {
            let file = try s.write("forged-outcome.json", saved.stdout.replacingOccurrences(of: from, with: to))
            let run = try await s.talon(["audit", "verify", "--genesis", genesis, file])
            #expect(run.status != 0 && run.stderr.contains("verify_failed") && run.stderr.contains(why), "\(what): \(run)")
        }

        // One more block, then the earlier answer's head is proven a prefix of the new one's.
        let transfer = try await s.op("transfer", key: s.path("alice.key"), genesis: genesis, nonce: 3, "--ticket-id", "T-3", "--to", d.bob)
        #expect(try await RawHTTP.request("POST", node, "/v1/envelopes", body: transfer, timeout: 30).status == 200)
        let later = try await s.talon(["audit", "entries", "EV", "--node", node, "--json"])
        let laterFile = try s.write("later.json", later.stdout)
        let grew = try await s.talon(["audit", "verify", "--genesis", genesis, "--since", answer, "--node", node, laterFile])
        #expect(grew.status == 0 && grew.stdout.contains("the log grew from tree size"), "\(grew)")
    }

    @Test func theAuditPageShowsTheReportInARealBrowser() async throws {
        let doc = try OpenAPIDocument.load()
        // Three nodes: the data goes in through the leader, the page is read from a follower.
        try await withCluster(size: 3) { c in
            try c.startAll()
            let leader = try await c.waitForLeader()
            _ = try await Self.populate(c, APIProbe(doc: doc, address: c.api(leader)))
            _ = try await c.waitForSameHead()
            let follower = leader == 1 ? 2 : 1
            let url = "http://\(c.api(follower))/audit#event=EV&ticket=T-1"
            let full = try await Chromium.run(["--dump-dom", url])
            // What the script drew, without the script's own text.
            let dom = full.components(separatedBy: "<script>")[0]
            #expect(dom.contains(#"data-ready="yes""#), "the page's script finished without error:\n\(full.prefix(3000))")
            #expect(dom.contains(#"<option value="EV">Show (EV)</option>"#))
            #expect(dom.contains(#"<div data-total="resales"><b>2</b>"#))
            #expect(dom.contains(#"id="cap-line" data-cap="110""#), "the cap line is drawn")
            #expect(dom.components(separatedBy: #"class="bar""#).count - 1 == 22, "22 histogram bars")
            #expect(dom.components(separatedBy: #"data-kind="#).count - 1 == 8, "8 steps in the timeline")
            #expect(dom.contains(#"data-kind="redeem" data-result="already_redeemed""#))
            #expect(dom.contains("North, South"), "the double entry names both gates")

            // The screenshot: the histogram's blue bars and the red dashed cap line are on screen.
            let shot = c.sandbox.path("audit.png")
            _ = try await Chromium.run(["--screenshot=\(shot)", "--window-size=1280,1000", url])
            let colors = try await Chromium.countColors(png: shot, ["2f6fdd", "d2372c"])
            #expect(colors["2f6fdd", default: 0] > 500, "bars: \(colors)")
            #expect(colors["d2372c", default: 0] > 50, "cap line: \(colors)")
        }
    }
}

/// Debian's chromium, headless, bounded in time.
enum Chromium {
    /// Runs chromium with a profile directory of its own, removed once it has exited.
    static func run(_ args: [String]) async throws -> String {
        let profile = "\(NSTemporaryDirectory())talon-chromium-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                     "--no-first-run", "--virtual-time-budget=15000", "--user-data-dir=\(profile)"]
        return try await exec("/usr/bin/chromium", flags + args, timeout: 90)
    }

    /// How many pixels of the PNG lie within 40 (per channel) of each `#rrggbb` color, read by
    /// python3's zlib (anti-aliasing and scaling blend the exact colors of thin shapes).
    static func countColors(png: String, _ colors: [String]) async throws -> [String: Int] {
        let script = #"""
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, w, h, kind = 8, b"", 0, 0, 0
while pos < len(data):
    n, t = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if t == b"IHDR": w, h, depth, kind = struct.unpack(">IIBB", body[:10])
    elif t == b"IDAT": idat += body
bpp = {2: 3, 6: 4}[kind]; raw = zlib.decompress(idat); stride = w * bpp
rows, prev, i = [], bytearray(stride), 0
for y in range(h):
    f = raw[i]; line = bytearray(raw[i + 1:i + 1 + stride]); i += 1 + stride
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0; b = prev[x]; c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
want = [(c, bytes.fromhex(c)) for c in sys.argv[2:]]
counts = {c: 0 for c in sys.argv[2:]}
for line in rows:
    for x in range(0, stride, bpp):
        r, g, b = line[x], line[x + 1], line[x + 2]
        for c, v in want:
            if abs(r - v[0]) <= 40 and abs(g - v[1]) <= 40 and abs(b - v[2]) <= 40: counts[c] += 1
print(" ".join(f"{c}={n}" for c, n in counts.items()))
"""#
        let out = try await exec("/usr/bin/python3", ["-c", script, png] + colors, timeout: 120)
        var counts: [String: Int] = [:]
        for pair in out.split(whereSeparator: \.isWhitespace) {
            let parts = pair.split(separator: "=")
            if parts.count == 2 { counts[String(parts[0])] = Int(parts[1]) }
        }
        return counts
    }

    /// Runs a program on a thread of its own (never the cooperative pool), killing it after `timeout` seconds.
    static func exec(_ path: String, _ args: [String], timeout: TimeInterval) async throws -> String {
        try await onOwnThread {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let killer = DispatchWorkItem { if p.isRunning { p.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            killer.cancel()
            guard p.terminationStatus == 0 else { throw SandboxError("\(path) exited \(p.terminationStatus)") }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
