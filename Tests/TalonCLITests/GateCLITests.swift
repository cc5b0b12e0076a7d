import Foundation
import TalonTestSupport
import Testing

/// The gate from the command line against a real node: passes from `talon pass show`, two
/// gate stores synced with `talon gate sync`, offline verdicts, a real QR round trip through
/// zbarimg and `--image`, and uploads that end with one redeem and one flagged double entry.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct GateCLITests {
    @Test func passesAreScannedOfflineAndUploadedOnce() async throws {
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader()
            let g = c.chain, s = c.sandbox, node = c.api(1)
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
            let north = try await s.newKey("north"), south = try await s.newKey("south")
            let steps: [(String, String, UInt64, [String])] = [
                ("create-event", g.issuer, 1, ["--event-id", "EV", "--name", "Show", "--venue", "Hall", "--starts-at", "2027-12-31T20:00:00Z",
                                               "--doors-open-at", "2026-01-01T00:00:00Z", "--capacity", "10"]),
                ("issue", g.issuer, 2, ["--event-id", "EV", "--count", "4", "--prefix", "T", "--holder", alice.publicKey, "--face-value", "4500"]),
                ("register-gate", g.issuer, 3, ["--event-id", "EV", "--gate", north.publicKey, "--name", "North"]),
                ("register-gate", g.issuer, 4, ["--event-id", "EV", "--gate", south.publicKey, "--name", "South"]),
            ]
            for (kind, key, nonce, args) in steps { try await submit(c, try await s.op(kind, key: key, genesis: g.genesis, nonce: nonce, args)) }

            for (gate, key) in [("north", north), ("south", south)] {
                let sync = try await s.talon("gate", "sync", "--genesis", g.genesis, "--node", node, "--event", "EV", "--key", key.publicKey, "--dir", s.path(gate))
                #expect(sync.status == 0 && sync.stdout.contains("synced 4 tickets of EV"), "\(sync)")
            }
            let notAGate = try await s.talon("gate", "sync", "--genesis", g.genesis, "--node", node, "--event", "EV", "--key", bob.publicKey, "--dir", s.path("x"))
            #expect(notAGate.status == 1 && notAGate.stderr.contains("error[not_a_gate]"), "\(notAGate)")

            func pass(_ ticket: String, _ holder: KeyFile, _ extra: [String] = []) async throws -> Run {
                try await s.talon(["pass", "show", "--genesis", g.genesis, "--node", node, "--ticket", ticket, "--key", holder.path] + extra)
            }
            func scan(_ gate: String, _ args: [String], stdin: String? = nil) async throws -> Run {
                try await s.talon(["gate", "scan", "--dir", s.path(gate)] + args, stdin: stdin)
            }

            // T-1: admitted at North, then refused there; South, offline, admits it too.
            let t1 = try await pass("T-1", alice, ["--text"])
            #expect(t1.status == 0 && t1.stdout.hasPrefix("TP1:") && t1.stdout.count < 320, "\(t1)")
            let payload = t1.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let admitted = try await scan("north", [payload])
            #expect(admitted.status == 0 && admitted.stdout.hasPrefix("ADMIT T-1"), "\(admitted)")
            let again = try await scan("north", ["--json", payload])
            #expect(again.status == 2, "\(again)")
            let verdict = try JSONValue.parse(again.stdout)
            #expect(verdict["code"]?.string == "already_redeemed" && verdict["redeemed_gate"]?.string == "North", "\(again)")
            #expect(try await scan("south", [payload]).stdout.hasPrefix("ADMIT T-1"))

            // A real QR: the PNG talon writes is read by zbarimg and by the gate's --image.
            let now = String(Int64(Date().timeIntervalSince1970 * 1000))
            let png = s.path("t2.png")
            let written = try await pass("T-2", alice, ["--png", png, "--at", now])
            #expect(written.status == 0, "\(written)")
            let expected = try await pass("T-2", alice, ["--text", "--at", now]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let zbar = try await Chromium.exec("/usr/bin/zbarimg", ["--raw", "-q", png], timeout: 20)
            #expect(zbar.trimmingCharacters(in: .whitespacesAndNewlines) == expected, "zbarimg read \(zbar)")
            let fromImage = try await scan("north", ["--image", png])
            #expect(fromImage.status == 0 && fromImage.stdout.hasPrefix("ADMIT T-2"), "\(fromImage)")
            _ = try s.write("not-an-image.png", "hello")
            let noCode = try await scan("north", ["--image", s.path("not-an-image.png")])
            #expect(noCode.status == 2 && noCode.stdout.hasPrefix("DENY no_code"), "\(noCode)")

            // T-3 changes hands after the sync: bob's pass admits, alice's older one is superseded.
            let aliceT3 = try await pass("T-3", alice, ["--text"]).stdout
            try await submit(c, try await s.op("transfer", key: alice.path, genesis: g.genesis, nonce: 1, ["--ticket-id", "T-3", "--to", bob.publicKey]))
            let stale = try await pass("T-3", alice, ["--text"])
            #expect(stale.status == 1 && stale.stderr.contains("error[not_holder]"), "\(stale)")
            let bobT3 = try await pass("T-3", bob, ["--text"]).stdout
            // A hand scanner types one pass per line; garbage between them is denied, not fatal.
            let lines = try await scan("north", [], stdin: "hello\n\nTP1:ZZZ\n" + bobT3 + aliceT3)
            #expect(lines.status == 2, "\(lines)")
            let prefixes = ["DENY malformed ", "DENY malformed ", "ADMIT T-3 ", "DENY superseded T-3 "]
            #expect(lines.lines.count == prefixes.count && zip(lines.lines, prefixes).allSatisfy { $0.hasPrefix($1) }, "\(lines)")

            // North's log holds every scan it answered, denials too.
            let log = try await s.talon("gate", "log", "--dir", s.path("north"))
            #expect(log.status == 0 && log.lines.count == 9, "\(log)")
            #expect(log.lines.first?.contains(" UTC  ADMIT  T-1  section") == true && log.lines[1].contains(" UTC  DENY already_redeemed  T-1  "), "\(log)")
            #expect(log.lines.last == "8 scans: admitted 3, malformed 2, already_redeemed 1, no_code 1, superseded 1", "\(log)")
            let denials = try JSONValue.parse(try await s.talon("gate", "log", "--dir", s.path("north"), "--denied", "--limit", "2", "--json").stdout)
            #expect(denials["scans"]?.array?.compactMap { $0["code"]?.string } == ["malformed", "superseded"], "\(denials)")
            #expect(denials["scans"]?.array?.last?["ticket_id"]?.string == "T-3" && denials["counts"]?["admitted"]?.int == 3, "\(denials)")

            // Issue 16: input is bounded. A 1 MB line is cut short and denied as malformed, and the
            // lines after it still scan; an image over --max-image-bytes (20 MiB by default) is
            // refused with io_error before it is read whole, from a file or from standard input.
            let long = try await scan("south", [], stdin: "TP1:" + String(repeating: "A", count: 1 << 20) + "\nhello\r\n")
            #expect(long.status == 2 && long.lines.count == 2 && long.lines.allSatisfy { $0.hasPrefix("DENY malformed ") }, "\(long)")
            #expect(long.lines.first?.contains("far too long") == true, "\(long)")
            let zeros = try await scan("south", ["--image", "-"], stdin: String(repeating: "\u{0}", count: 21 << 20))
            #expect(zeros.status == 1 && zeros.stderr.contains("error[io_error]: standard input is larger than 20971520 bytes"), "\(zeros)")
            _ = FileManager.default.createFile(atPath: s.path("big.png"), contents: Data(count: 21 << 20))
            let big = try await scan("south", ["--image", s.path("big.png")])
            #expect(big.status == 1 && big.stderr.contains("error[io_error]") && big.stderr.contains("larger than 20971520 bytes"), "\(big)")
            let capped = try await scan("south", ["--image", png, "--max-image-bytes", "100"])
            #expect(capped.status == 1 && capped.stderr.contains("larger than 100 bytes"), "\(capped)")

            // Uploads: North's three and South's one; South's T-1 is the double entry.
            let up = try await s.talon("gate", "upload", "--dir", s.path("north"), "--node", node, "--key", north.path)
            #expect(up.status == 0 && up.stdout.contains("uploaded 3 redeems: ok 3"), "\(up)")
            let twice = try await s.talon("gate", "upload", "--dir", s.path("north"), "--node", node, "--key", north.path)
            #expect(twice.status == 0 && twice.stdout.contains("nothing to upload"), "\(twice)")
            let wrongKey = try await s.talon("gate", "upload", "--dir", s.path("south"), "--node", node, "--key", north.path)
            #expect(wrongKey.status == 1 && wrongKey.stderr.contains("error[wrong_gate_key]"), "\(wrongKey)")
            // Without --node: the API addresses of the genesis members the gate synced under.
            let southUp = try await s.talon("gate", "upload", "--dir", s.path("south"), "--key", south.path)
            #expect(southUp.status == 0 && southUp.stdout.contains("uploaded 1 redeems: already_redeemed 1"), "\(southUp)")

            let entries = try await s.talon("audit", "entries", "EV", "--node", node, "--json")
            let report = try JSONValue.parse(entries.stdout)
            #expect(report["totals"]?["redeemed"]?.int == 3, "\(entries)")
            #expect(report["totals"]?["repeated_tickets"]?.int == 1, "T-1 went in at North and again at South: \(entries)")
        }
    }

    private func submit(_ c: LocalCluster, _ line: String) async throws {
        let r = try await RawHTTP.request("POST", c.api(1), "/v1/envelopes", body: line, timeout: 30)
        #expect(r.status == 200 && r.body.contains("\"result\":\"ok\""), "\(r)")
    }
}
