import Foundation
import TalonTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The README is executable: its two tours run here as written (see ReadmeTour for how), and
// what their comments promise is checked against what each step printed. The rules that
// change what runs are the `substitute` calls at the top of each test; in both tours
// `.build/release/talon` is the binary under test (the debug build, `TALON_BIN`).

/// "A short tour (one process, no network)".
@Suite(.timeLimit(.minutes(5)))
struct ReadmeTests {
    @Test func theShortTourRunsAsWritten() async throws {
        var tour = try ReadmeTour(section: "## A short tour (one process, no network)")
        try tour.substitute(".build/release/talon", TalonBinary.path)
        // The test runs the binary `swift build` already made.
        try tour.substitute("swift build -c release && ", "")
        // Smaller runs of the benchmarks and the simulator: their figures are for people;
        // here each must run to the end and print them.
        try tour.substitute("bench ledger --envelopes 100000", "bench ledger --envelopes 2000")
        try tour.substitute("bench audit", "bench audit --tickets 300 --resales 400 --redeems 50 --holders 20 --runs 2")
        try tour.substitute("bench gate", "bench gate --tickets 200 --admissions 20 --images 4")
        try tour.substitute("sim raft --seeds 10000", "sim raft --seeds 20")

        try await withSandbox { s in
            defer { for pid in processesMentioning(s.dir.path) { kill(pid, SIGKILL) } }
            try copyGenesisDirectory(into: s.dir.path)
            let run = TourRun(tour: tour, outcomes: try await tour.run(in: s.dir.path, environment: [:], timeout: 240))

            // The keys each `keys new` printed.
            let alice = try run.outcome("keys new --out alice.key", promising: "prints ed25519:")
            let bob = try run.outcome("keys new --out bob.key"), gate = try run.outcome("keys new --out gate.key")
            for key in [alice, bob, gate] { #expect(key.lines.count == 1 && key.stdout.hasPrefix("ed25519:") && key.lines[0].count == 72, "\(key)") }

            // The group signs six envelopes; the second transfer is alice's again.
            let group = try run.outcome("op create-event", promising: "alice no longer holds it")
            let ops = try String(contentsOfFile: s.path("ops.jsonl"), encoding: .utf8).split(separator: "\n")
            #expect(ops.count == 6, "\(group)")

            let append = try run.outcome("ledger append", promising: "one JSON line per envelope: ok or a reason code")
            let lines = try append.lines.map { try decode(AppendLine.self, $0) }
            #expect(lines.map(\.result) == ["ok", "ok", "ok", "ok", "not_holder", "ok"], "\(append)")

            let show = try run.outcome("ticket show --store data/tour GIG1-1", promising: "holder, ownership sequence, status")
            let ticket = try decode(TicketView.self, show.stdout)
            #expect(ticket.holder == bob.lines.first && ticket.sequence == 1 && ticket.status == "redeemed", "\(show)")
            #expect(ticket.redeemedBy == gate.lines.first)

            let history = try run.outcome("ticket history --store data/tour GIG1-1", promising: "rejected attempts included")
            let records = try history.lines.map { try decode(RecordJSON.self, $0) }
            #expect(records.map(\.envelope.op.type) == ["issue", "transfer", "transfer", "redeem"], "\(history)")
            #expect(records.map(\.receipt.result) == ["ok", "ok", "not_holder", "ok"], "\(history)")

            let verify = try run.outcome("ledger verify --store data/tour", promising: "recompute hashes, Merkle tree, signatures; apply every block again")
            let report = try decode(VerifyJSON.self, verify.lines.first ?? "")
            #expect(report.ok && report.replayed && report.envelopes == 6 && report.failure == nil, "\(verify)")

            #expect(try run.outcome("bench ledger").stdout.contains("admit + apply, one core:"))
            // From the sandbox, where genesis/contracts is a copy: the contract is built in anyway (CLIBenchTests).
            #expect(try run.outcome("bench audit", promising: "100k tickets, 50k resales").stdout.contains("results: "))
            #expect(try run.outcome("bench gate", promising: "pass verdicts/s").stdout.contains("verdicts, one core:"))
            #expect(try run.outcome("sim raft --seeds", promising: "seeded Raft clusters under faults").stdout.contains("20 seeds ok"))
            let replay = try run.outcome("sim raft --from 58", promising: "replay one seed step by step")
            #expect(replay.stdout.contains("1 seeds ok") && replay.lines.count > 10, "\(replay)")

            let contract = try run.outcome("contract test", promising: "deny")
            #expect(contract.lines.first == "deny" && contract.stdout.contains("above 110% of the face value"), "\(contract)")

            // `ledger append` exits 1 when the ledger rejected an envelope.
            try run.expectEveryOtherStepSucceeded(except: ["ledger append": 1])
            #expect(processesMentioning(s.dir.path).isEmpty, "the short tour left processes running")
        }
    }
}

/// "A cluster tour": a real cluster, started and stopped by scripts/cluster.
extension ClusterTests {
    @Test func theClusterTourRunsAsWritten() async throws {
        var tour = try ReadmeTour(section: "## A cluster tour")
        try tour.substitute(".build/release/talon", TalonBinary.path)
        // The repository's scripts/cluster, told (by environment, below) to run the binary
        // under test on the sandbox's genesis and keep its state in the sandbox.
        let cluster = ReadmeTour.root.appendingPathComponent("scripts/cluster").path
        try tour.substitute("scripts/cluster ", cluster + " ")
        try tour.substitute("bench cluster --ops 20000", "bench cluster --ops 300")  // a smaller run, as above

        try await withSandbox { s in
            // genesis/local with its committed keys, on free ports: node i's API replaces 127.0.0.1:810i.
            try copyGenesisDirectory(into: s.dir.path)
            let base = try LocalCluster.freePortBase(count: 6)
            let genesisPath = s.path("genesis/local/genesis.json")
            var genesis = try String(contentsOfFile: genesisPath, encoding: .utf8)
            for i in 1...3 {
                genesis = try replacing("\"127.0.0.1:710\(i)\"", with: "\"127.0.0.1:\(base + i - 1)\"", in: genesis)
                genesis = try replacing("\"127.0.0.1:810\(i)\"", with: "\"127.0.0.1:\(base + 2 + i)\"", in: genesis)
                try tour.substitute("127.0.0.1:810\(i)", "127.0.0.1:\(base + 2 + i)")
            }
            try Data(genesis.utf8).write(to: URL(fileURLWithPath: genesisPath))
            let api = (1...3).map { "127.0.0.1:\(base + 2 + $0)" }

            let environment = ["TALON_BIN": TalonBinary.path, "TALON_CLUSTER_STATE": s.path("cluster-state"),
                               "TALON_CLUSTER_GENESIS": s.path("genesis/local")]
            defer {
                // The tour ends with `scripts/cluster down`; whatever happened, nothing outlives the test.
                let down = Process()
                down.executableURL = URL(fileURLWithPath: cluster)
                down.arguments = ["down"]
                down.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
                down.standardOutput = FileHandle.nullDevice
                down.standardError = FileHandle.nullDevice
                if (try? down.run()) != nil { down.waitUntilExit() }
                for pid in processesMentioning(s.dir.path) { kill(pid, SIGKILL) }
            }
            let run = TourRun(tour: tour, outcomes: try await tour.run(in: s.dir.path, environment: environment, timeout: 240))
            let logs = { (try? String(contentsOfFile: s.path("cluster-state/n1.log"), encoding: .utf8))?.suffix(3000) ?? "" }

            let up = try run.outcome("cluster up", promising: "3 nodes")
            let rows = up.lines.filter { $0.hasPrefix("n") && $0.contains("http://") }
            #expect(rows.count == 3 && rows.filter { $0.contains(" leader ") }.count == 1, "\(up)")
            for (i, address) in api.enumerated() { #expect(rows.contains { $0.hasPrefix("n\(i + 1) ") && $0.contains("http://\(address) ") }, "\(up)") }

            let keys = try run.outcome("keys new --out alice.key && $T keys new --out bob.key")
            try #require(keys.lines.count == 2, "\(keys)")
            let bob = keys.lines[1]

            // Every `op` is answered with its receipt; all but the listing above face value are ok.
            for step in tour.steps where step.text.hasPrefix("$T op ") && !step.text.contains("--price 5000") {
                let outcome = try #require(run.outcomes[step.number], "\(step) did not run to the end\n\(logs())")
                let receipt = try decode(SubmitReply.self, outcome.lines.last ?? "", context: nil)
                #expect(receipt.result == "ok", "\(outcome)")
            }

            // The contract is bound before any ticket is issued (after that it is locked).
            let order = ["op create-event", "op deploy-contract", "op bind-contract", "op issue "].map { (try? tour.step($0).number) ?? 0 }
            #expect(order == order.sorted() && !order.contains(0), "create, deploy, bind, then issue: \(order)")

            let denied = try run.outcome("--price 5000", promising: "contract_denied", "over face value")
            let deniedReceipt = try decode(SubmitReply.self, denied.lines.last ?? "")
            #expect(deniedReceipt.result == "contract_denied" && denied.stderr.hasPrefix("error[contract_denied]"), "\(denied)")
            // Why, as the tour's own answer.json (provenance of GIG1-2) records it.
            let answer = try JSONValue.parse(try String(contentsOfFile: s.path("answer.json"), encoding: .utf8))
            let row = try #require(answer["steps"]?.array?.first { $0["envelope_hash"]?.string == deniedReceipt.hash }, "\(answer)")
            #expect(row["result"]?.string == "contract_denied" && row["reason"]?.string?.contains("above the face value 4500") == true, "\(row)")

            let show = try run.outcome("ticket show --node", promising: "bob holds it", "quorum-confirmed")
            let served = try decode(ServedTicket.self, show.stdout)
            #expect(served.ticket.holder == bob && served.servedAt.consistency == "linearizable", "\(show)")

            let held = try run.outcome("holder history --node", promising: "GIG1-1 from alice", "GIG1-2 bought")
            let heldOps = held.lines.map { (try? JSONValue.parse($0))?["envelope"]?["op"]?["type"]?.string ?? "?" }
            #expect(heldOps == ["transfer", "buy_resale"], "\(held)")

            // The provenance table: kind and result of each row, in ledger order.
            let provenance = try run.outcome("audit ticket GIG1-2 --node 127.0.0.1:8101", promising: "issue, the denied listing, the resale")
            let steps = provenance.lines.dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(steps.map { $0.count > 3 ? "\($0[2]) \($0[3])" : "?" }
                    == ["issue ok", "list_resale contract_denied", "list_resale ok", "buy_resale ok"], "\(provenance)")

            let report = try run.outcome("audit event GIG1", promising: "resale report")
            #expect(report.stdout.contains("resales 1, volume 4500") && report.stdout.contains("rejected listings 1"), "\(report)")

            let verified = try run.outcome("audit verify", promising: "offline: head signature, proofs, rows vs envelopes, results and decisions")
            #expect(verified.stdout.hasPrefix("ok: head at height ") && verified.stdout.contains("4 record(s) proven in it, 4 with their results and decisions"),
                    "\(verified)")

            let sync = try run.outcome("gate sync")
            #expect(sync.stdout.hasPrefix("synced 3 tickets of GIG1") && sync.stdout.contains("gate Door A"), "\(sync)")
            // Not in a terminal, the pass is drawn once: the QR, then what it holds.
            let drawn = try run.outcome("pass show $G --ticket GIG1-3 --key alice.key --node 127.0.0.1:8101", promising: "the QR, redrawn every 30 s")
            #expect(drawn.lines.count > 20 && drawn.lines.last?.hasPrefix("GIG1-3 · sequence 0 · window ") == true, "\(drawn)")
            #expect(FileManager.default.fileExists(atPath: s.path("pass.png")))

            let admit = try run.outcome("--image pass.png", promising: "ADMIT GIG1-3  section GA, seat 3")
            #expect(admit.lines == ["ADMIT GIG1-3  section GA, seat 3"], "\(admit)")
            let again = try run.outcome("| $T gate scan", promising: "DENY already_redeemed", "(Door A), <time>")
            #expect(again.stdout.hasPrefix("DENY already_redeemed GIG1-3 ") && again.stdout.contains("(Door A), 20"), "\(again)")
            let log = try run.outcome("gate log", promising: "2 scans: admitted 1, already_redeemed 1")
            #expect(log.lines.last == "2 scans: admitted 1, already_redeemed 1", "\(log)")
            let upload = try run.outcome("gate upload", promising: "uploaded 1 redeems: ok 1")
            #expect(upload.lines.last == "uploaded 1 redeems: ok 1", "\(upload)")

            let status = try run.outcome("cluster status $G", promising: "role, term, leader, indexes, head of each node")
            let statusRows = status.lines.dropFirst()
            #expect(statusRows.count == 3 && statusRows.filter { $0.contains(" leader ") }.count == 1, "\(status)")

            let head = try run.outcome("curl -s", promising: "a head signed by the node")
            try verifySignedHead(try JSONValue.parse(head.stdout), genesis: Array(genesis.utf8))

            let clusterLogs = try run.outcome("cluster logs")
            for i in 1...3 { #expect(clusterLogs.stdout.contains("n\(i).log"), "\(clusterLogs)") }

            let bench = try run.outcome("bench cluster", promising: "transfers/s and latency")
            #expect(bench.stdout.contains("300 ops (0 failed)"), "\(bench)")

            _ = try run.outcome("cluster down")
            #expect(processesMentioning(s.path("cluster-state")).isEmpty, "scripts/cluster down left nodes running")

            // A denied listing exits 1, like every rejected `op`; a gate's DENY exits 2.
            try run.expectEveryOtherStepSucceeded(except: ["--price 5000": 1, "| $T gate scan": 2])
            if run.outcomes.count < tour.steps.count { Issue.record("node log:\n\(logs())") }
        }
    }
}
