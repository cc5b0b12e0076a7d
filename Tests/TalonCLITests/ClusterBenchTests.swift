import TalonTestSupport
import Testing

extension ClusterTests {
    /// `talon bench cluster` against a one-node cluster in both media types: every transfer
    /// (one binary frame, or one JSON envelope, per request) is answered ok.
    @Test func benchClusterSubmitsInBothMediaTypes() async throws {
        try await withCluster(size: 1) { c in
            try c.start(1)
            _ = try await c.waitForLeader(timeout: 10)
            for media in ["binary", "json"] {
                let run = try await c.sandbox.talon(["bench", "cluster", "--genesis", c.chain.genesis, "--issuer", c.chain.issuer, "--ops", "40",
                                                     "--connections", "4", "--holders", "4", "--media", media, "--json"])
                try #require(run.status == 0, "\(run)")
                let figures = try JSONValue.parse(Array((run.lines.last ?? "").utf8))
                #expect(figures["ops"]?.int == 40 && figures["failed"]?.int == 0, "\(media): \(run)")
                // The receipts name the blocks the transfers went into: at least one, at most one each.
                #expect((1...40).contains(figures["blocks"]?.int ?? 0), "\(media): \(run)")
            }
            // Rounds: each its own event and tickets, then the medians.
            let rounds = try await c.sandbox.talon(["bench", "cluster", "--genesis", c.chain.genesis, "--issuer", c.chain.issuer, "--ops", "20",
                                                    "--connections", "2", "--holders", "2", "--rounds", "2", "--json"])
            try #require(rounds.status == 0 && rounds.lines.count == 3, "\(rounds)")
            let objects = try rounds.lines.map { try JSONValue.parse(Array($0.utf8)) }
            #expect(objects[0]["round"]?.int == 1 && objects[1]["round"]?.int == 2, "\(rounds)")
            #expect(objects[..<2].allSatisfy { $0["ops"]?.int == 20 && $0["failed"]?.int == 0 }, "\(rounds)")
            #expect(objects[2]["system"]?.string == "summary" && objects[2]["rounds"]?.int == 2, "\(rounds)")
            // The default --cpu-of finds the node (started as `talon node run --data …`), and the
            // machine-wide figure is reported beside it.
            #expect(objects[..<2].allSatisfy { ($0["cpu_processes"]?.int ?? 0) >= 1 }, "\(rounds)")
            #expect(objects[2]["talon_cpu_us_per_op"] != nil && objects[2]["talon_machine_cpu_us_per_op"] != nil, "\(rounds)")
            // Each round's servers' CPU over the client's, the figure to compare builds by on a
            // host whose speed drifts: the two CPU figures' quotient.
            for round in objects[..<2] {
                let servers = try #require(round["cpu_us_per_op"]?.number), client = try #require(round["client_cpu_us_per_op"]?.number)
                let ratio = try #require(round["cpu_per_client_cpu"]?.number, "\(rounds)")
                #expect(abs(ratio - servers / client) <= 0.01 * ratio + 0.002, "\(rounds)")
            }
        }
    }
}
