import ArgumentParser
import Dispatch
import Foundation
import TalonCrypto
import TalonLedger
import TalonStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print figures.", subcommands: [LedgerBench.self])
}

/// Applies pre-signed transfers to a fresh store and verifies the result, printing rates.
struct LedgerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Envelopes/s applied on one core (signature check included), then the time to verify the ledger.",
        discussion: """
            Issues --envelopes tickets (untimed), pre-signs one transfer per ticket (untimed), then
            times admitting (decode + signature) and applying them in blocks of --batch on one thread
            with synced commits. Finally times `ledger verify` over the whole store, which re-checks
            every signature on all cores. Build with -c release for meaningful figures.
            """)
    @Option(name: .long, help: "Transfers to apply (and tickets to issue).") var envelopes = 100_000
    @Option(name: .long, help: "Envelopes per block.") var batch = 1000
    @Option(name: .long, help: "Distinct holder keys.") var holders = 1000
    @Option(name: .long, help: "Keep the store in this directory instead of a temporary one.") var dir: String?
    @Flag(name: .long, help: "Commit without fsync.") var noSync = false

    func run() throws {
        try reportingErrors { try bench() }
    }

    private func bench() throws {
        guard envelopes > 0, batch > 0, holders > 1 else { throw CLIError(code: "invalid_argument", message: "need envelopes > 0, batch > 0, holders > 1") }
        let path = dir ?? NSTemporaryDirectory() + "talon-bench-" + UUID().uuidString
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: path) } }
        let admin = SigningKey.generate(), issuer = SigningKey.generate(), node = SigningKey.generate()
        let genesis = Genesis(chainID: "talon-bench", members: [.init(id: "n1", peer: "127.0.0.1:7101", api: "127.0.0.1:8101", key: node.publicKey)],
                              admins: [admin.publicKey], issuers: [.init(key: issuer.publicKey, name: "Bench issuer")])
        let ledger = try Ledger(path: path, genesis: try GenesisFile(bytes: genesis.fileBytes), options: .init(initialMapSize: 256 << 20, sync: !noSync))
        let chain = genesis.chainID
        let keys = (0..<holders).map { _ in SigningKey.generate() }
        var nonce: UInt64 = 0
        func next() -> UInt64 { nonce += 1; return nonce }

        print("talon bench ledger: \(envelopes) transfers, blocks of \(batch), \(holders) holders, sync \(!noSync)")
        // Setup (untimed): one event, every ticket issued.
        try ledger.apply([Envelope(chainID: chain, nonce: next(), operation: .createEvent(CreateEvent(
            eventID: "BENCH", name: "Bench", venue: "Loopback", startsAt: 1_900_000_000_000, doorsOpenAt: 1_899_990_000_000,
            capacity: UInt32(envelopes), currency: "EUR")), signedBy: issuer)], timestamp: 1)
        var issues: [Envelope] = []
        for start in stride(from: 0, to: envelopes, by: Limits.ticketsPerIssue) {
            let specs = (start..<min(envelopes, start + Limits.ticketsPerIssue)).map {
                TicketSpec(ticketID: "BENCH-\($0)", section: "GA", seat: "\($0)", faceValue: 5000, holder: keys[$0 % holders].publicKey)
            }
            issues.append(Envelope(chainID: chain, nonce: next(), operation: .issue(IssueTickets(eventID: "BENCH", tickets: specs)), signedBy: issuer))
        }
        for chunk in stride(from: 0, to: issues.count, by: 10) { try ledger.apply(Array(issues[chunk..<min(issues.count, chunk + 10)]), timestamp: 2) }

        // Pre-sign the transfers on all cores (untimed for the apply figure, reported anyway).
        let signStart = DispatchTime.now()
        let transfers = Self.parallelMap(0..<envelopes) { i in
            Envelope(chainID: chain, nonce: UInt64(i + 1_000_000), operation: .transfer(Transfer(ticketID: "BENCH-\(i)", to: keys[(i + 1) % holders].publicKey)),
                     signedBy: keys[i % holders])
        }
        let signSeconds = Self.seconds(since: signStart)

        // Timed: admit (signature) + apply, one thread.
        var admitNanos: UInt64 = 0, applyNanos: UInt64 = 0
        var blockMillis: [Double] = []
        var rejected = 0
        let totalStart = DispatchTime.now()
        for start in stride(from: 0, to: envelopes, by: batch) {
            let slice = transfers[start..<min(envelopes, start + batch)]
            let a = DispatchTime.now()
            for e in slice { try ledger.admit(try Envelope(bytes: e.bytes)) }
            let b = DispatchTime.now()
            let applied = try ledger.apply(Array(slice), timestamp: 3)
            let c = DispatchTime.now()
            rejected += applied.receipts.filter { $0.result != "ok" }.count
            admitNanos += b.uptimeNanoseconds - a.uptimeNanoseconds
            applyNanos += c.uptimeNanoseconds - b.uptimeNanoseconds
            blockMillis.append(Double(c.uptimeNanoseconds - b.uptimeNanoseconds) / 1e6)
        }
        let total = Self.seconds(since: totalStart)
        guard rejected == 0 else { throw CLIError(code: "bench_failed", message: "\(rejected) transfers were rejected") }
        blockMillis.sort()
        let n = Double(envelopes)
        print(String(format: "sign (all cores, untimed setup): %10.0f envelopes/s", n / signSeconds))
        print(String(format: "admit (decode + Ed25519 verify): %10.0f envelopes/s", n / (Double(admitNanos) / 1e9)))
        print(String(format: "apply (state, indexes, Merkle):  %10.0f envelopes/s", n / (Double(applyNanos) / 1e9)))
        print(String(format: "admit + apply, one core:         %10.0f envelopes/s  (%.2f s for %d)", n / total, total, envelopes))
        print(String(format: "block apply latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d envelopes/block)",
                     Self.percentile(blockMillis, 0.50), Self.percentile(blockMillis, 0.99), blockMillis.last ?? 0, batch))

        let verifyStart = DispatchTime.now()
        let report = try ledger.verify()
        let verifySeconds = Self.seconds(since: verifyStart)
        guard report.ok else { throw CLIError(code: "bench_failed", message: "verify failed: \(report.failure?.message ?? "")") }
        print(String(format: "verify %llu envelopes in %llu blocks: %.2f s (%.0f envelopes/s, %d cores)",
                     report.envelopes, report.blocks, verifySeconds, Double(report.envelopes) / verifySeconds,
                     ProcessInfo.processInfo.activeProcessorCount))
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        print(String(format: "store size: %.1f MiB (%.0f bytes/envelope)", Double(size) / 1_048_576, Double(size) / Double(report.envelopes)))
    }

    static func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }

    /// Maps `range` on all cores, preserving order.
    static func parallelMap<T: Sendable>(_ range: Range<Int>, _ f: @Sendable (Int) -> T) -> [T] {
        let results = UnsafeResults<T>(count: range.count)
        let chunks = max(1, ProcessInfo.processInfo.activeProcessorCount * 4)
        let per = (range.count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in (c * per)..<min(range.count, (c + 1) * per) { results.set(i, f(range.lowerBound + i)) }
        }
        return results.values
    }
}

/// Slots written by disjoint indexes from many threads, read after they all finish.
private final class UnsafeResults<T>: @unchecked Sendable {
    // @unchecked: each slot is written by exactly one iteration of concurrentPerform through a
    // raw pointer (no shared array buffer), and `values` is read only after it returns.
    private let slots: UnsafeMutablePointer<T?>
    private let count: Int
    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }
    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }
    func set(_ i: Int, _ v: T) { slots[i] = v }
    var values: [T] { (0..<count).compactMap { slots[$0] } }
}
