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

    /// `scripts/store-pages` (the page-by-table count behind docs/operations.md, "Which pages
    /// a commit writes") reads a store `bench ledger` left, names its tables and counts no
    /// more pages than the file has.
    @Test func storePagesCountsTheTablesOfAStore() async throws {
        try await withSandbox { s in
            let dir = s.path("ledger")
            let bench = try await s.talon("bench", "ledger", "--envelopes", "2000", "--batch", "100", "--holders", "50", "--dir", dir)
            #expect(bench.status == 0, "\(bench)")
            let script = PythonTools.root.appendingPathComponent("scripts/store-pages").path
            let run = try await PythonTools.run("/usr/bin/env", ["python3", script, dir], in: URL(fileURLWithPath: s.path(".")), timeout: 60)
            #expect(run.status == 0, "\(run)")
            var pages: [String: Int] = [:]
            for line in run.lines {
                let parts = line.split(separator: " ", omittingEmptySubsequences: true)
                if parts.count == 2, let n = Int(parts[0]) { pages[String(parts[1])] = n }
            }
            for table in ["tickets:leaf", "envelopes:leaf", "receipts:leaf", "merkle:leaf", "blocks:leaf", "pending_holders:leaf", "META"] {
                #expect((pages[table] ?? 0) > 0, "\(table): \(run)")
            }
            let size = try #require(try FileManager.default.attributesOfItem(atPath: dir + "/data.mdb")[.size] as? Int)
            #expect(pages.values.reduce(0, +) <= size / 4096, "\(run)")
        }
    }

    @Test func auditBenchRefusesImpossibleSizes() async throws {
        try await withSandbox { s in
            let run = try await s.talon("bench", "audit", "--tickets", "10", "--resales", "21")
            #expect(run.status != 0 && run.stderr.contains("invalid_argument"), "\(run)")
        }
    }
}
