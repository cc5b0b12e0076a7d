import Foundation
import Testing

/// `talon chaos` end to end: three real members behind proxies, clients writing through
/// every member while a fixed seed's faults run (a kill and restart among them), then the
/// history checked against every store. Serialized with the other clusters, as an extension
/// of `ClusterTests`: elections are timed in wall-clock ticks.
extension ClusterTests {
    /// Seed 4 over 20 s draws two SIGKILLs and restarts, a pause and a delay
    /// (`talon chaos --seed 4 --duration-s 20 --schedule` prints them).
    static let chaosSeed = "4"

    @Test func aShortChaosRunFindsNoAnomalyAndLeavesNoProcess() async throws {
        try await withSandbox { s in
            let dir = s.path("chaos")
            let planned = try await s.talon("chaos", "--seed", Self.chaosSeed, "--duration-s", "20", "--schedule")
            try #require(planned.status == 0 && planned.stdout.contains("\"kill\""), "\(planned)")

            let run = try await s.talon("chaos", "--seed", Self.chaosSeed, "--duration-s", "20", "--dir", dir, "--keep")
            let events = (try? String(contentsOfFile: dir + "/events.log", encoding: .utf8)) ?? ""
            #expect(run.status == 0, "\(run)\n--- events.log\n\(events)")
            #expect(run.stdout.contains("lost 0") && run.stdout.contains("anomalies 0") && run.lines.last == "ok", "\(run)")
            #expect(run.stdout.contains("kill 2"), "\(run)")
            let acknowledged = run.lines.first { $0.hasPrefix("operations ") }?.split(separator: " ")
                .drop { $0 != "acknowledged" }.dropFirst().first.flatMap { Int($0) } ?? 0
            #expect(acknowledged > 20, "\(run)")
            for name in ["history.jsonl", "schedule.json", "summary.json", "events.log", "n1.log", "n2.log", "n3.log"] {
                #expect(FileManager.default.fileExists(atPath: dir + "/" + name), "\(name) missing")
            }
            // Every member it started has exited (their command lines name the directory).
            let left = processesMentioning(dir)
            #expect(left.isEmpty, "still running: \(left)")
        }
    }
}

/// `talon node run --dial`: only other members of the genesis may be named, as ID=host:port.
struct DialOptionTests {
    @Test func aDialNamingNoOtherMemberIsRefused() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            for (dial, says) in [("n9=127.0.0.1:1", "not another member"), ("n1=127.0.0.1:1", "not another member"),
                                 ("127.0.0.1:1", "ID=host:port"), ("n2=nowhere", "host:port")] {
                let run = try await s.talon("node", "run", "--data", s.path("data"), "--genesis", g.genesis, "--node", "n1",
                                            "--key", s.path("net/keys/n1.key"), "--dial", dial)
                #expect(run.status == 1 && run.stderr.contains("error[invalid_"), "\(run)")
                #expect(run.stderr.contains(says), "\(run)")
            }
        }
    }
}
