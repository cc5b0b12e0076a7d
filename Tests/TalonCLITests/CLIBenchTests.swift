import Foundation
import Testing

/// The benchmark commands run to the end on a small input and print every figure they
/// promise (the figures themselves are for people, not for assertions).
@Suite(.timeLimit(.minutes(5)))
struct CLIBenchTests {
    @Test func auditBenchBuildsItsEventAndTimesEveryQuery() async throws {
        try await withSandbox { s in
            // Run in the sandbox, far from the repository: the contract it needs is built in.
            #expect(!FileManager.default.fileExists(atPath: s.path("genesis")))
            let run = try await s.talon("bench", "audit", "--tickets", "300", "--resales", "400",
                                        "--redeems", "50", "--holders", "20", "--runs", "2")
            #expect(run.status == 0, "\(run)")
            // 400 resales of 300 tickets, one listing in 25 denied first, 50 scans with 3 repeated.
            #expect(run.stdout.contains("results: already_redeemed 3, contract_denied 16, ok "), "\(run)")
            for figure in ["resale report", "provenance", "one inclusion proof", "holder report", "entry report"] {
                #expect(run.lines.contains { $0.hasPrefix(figure) && $0.contains(" p50 ") }, "\(figure): \(run)")
            }
        }
    }

    @Test func auditBenchReadsTheContractFromTheDirectoryGiven() async throws {
        try await withSandbox { s in
            let empty = s.path("contracts")
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            let run = try await s.talon("bench", "audit", "--contracts", empty, "--tickets", "10", "--resales", "0",
                                        "--redeems", "0", "--holders", "2")
            #expect(run.status == 1 && run.stderr.contains("error[io_error]") && run.stderr.contains("\(empty)/markup-cap-royalty.lua"), "\(run)")
        }
    }

    @Test func auditBenchRefusesImpossibleSizes() async throws {
        try await withSandbox { s in
            let run = try await s.talon("bench", "audit", "--tickets", "10", "--resales", "21")
            #expect(run.status != 0 && run.stderr.contains("invalid_argument"), "\(run)")
        }
    }
}
