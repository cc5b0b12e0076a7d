import Foundation
import Testing

/// `talon sim raft` from the command line: a batch of seeds, and a replay with its trace.
@Suite(.timeLimit(.minutes(5)))
struct CLISimTests {
    @Test func aBatchOfSeedsPassesAndSaysSo() async throws {
        try await withSandbox { s in
            let run = try await s.talon("sim", "raft", "--seeds", "16", "--nodes", "5")
            #expect(run.status == 0, "\(run)")
            #expect(run.stdout.hasPrefix("16 seeds ok"), "\(run)")
            #expect(run.stdout.contains("elections") && run.stdout.contains("acknowledged"), "\(run)")
        }
    }

    /// Replaying one seed twice prints the same trace, step for step.
    @Test func aReplayedSeedPrintsTheSameTrace() async throws {
        try await withSandbox { s in
            let a = try await s.talon("sim", "raft", "--from", "58", "--seeds", "1", "--trace")
            let b = try await s.talon("sim", "raft", "--from", "58", "--seeds", "1", "--trace")
            #expect(a.status == 0, "\(a)")
            #expect(a.lines.first?.hasPrefix("t=0 seed 58: 3 nodes") == true, "\(a)")
            #expect(a.lines.count > 100, "every step is printed")
            // The last line holds a wall-clock rate; everything before it is the trace.
            #expect(a.lines.dropLast() == b.lines.dropLast())
        }
    }

    @Test func badArgumentsAreRefused() async throws {
        try await withSandbox { s in
            let run = try await s.talon("sim", "raft", "--seeds", "1", "--nodes", "0")
            #expect(run.status != 0, "\(run)")
            #expect(!run.stderr.isEmpty)
        }
    }
}
