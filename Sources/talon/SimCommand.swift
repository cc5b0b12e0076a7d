import ArgumentParser
import Dispatch
import Foundation
import TalonProtocol
import TalonRaft
import TalonRaftSim

struct SimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim", abstract: "Deterministic simulations that check safety and liveness.", subcommands: [RaftSim.self])
}

/// Runs seeded Raft cluster simulations on all cores and stops at the first violation.
struct RaftSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft",
        abstract: "Simulates Raft clusters under seeded faults, checking safety after every step and liveness after healing.",
        discussion: """
            Each seed is one run: a chaos phase (message loss, delay, duplication and reordering; \
            symmetric and one-way partitions, an isolated leader, a flapping link, crashes and \
            restarts, clocks at different rates) while clients propose, read and move leadership, \
            then a heal phase in which a leader must be elected and every proposal committed \
            within 20 election timeouts. The same seed always gives the same run. On the first \
            violation, prints the seed, the property, what was seen and the steps leading to it, \
            and exits with status 1. Replay one seed in full with --from S --seeds 1 --trace.
            """)
    @Option(name: .long, help: "How many seeds to run.") var seeds = 1000
    @Option(name: .long, help: "The first seed.") var from: UInt64 = 1
    @Option(name: .long, help: "Cluster size, 3 or 5 (default: even seeds 3, odd seeds 5).") var nodes: Int?
    @Flag(name: .long, help: "Print every step of every run as it happens (runs seeds one by one).") var trace = false
    @Flag(name: .long, help: "Do not stop at a violation: list each failing seed on one line, exit 1 at the end.")
    var keepGoing = false

    func validate() throws {
        guard seeds > 0 else { throw ValidationError("--seeds must be positive") }
        if let nodes, nodes != 3 && nodes != 5 { throw ValidationError("--nodes must be 3 or 5") }
    }

    func run() throws {
        let console = Console()
        defer { console.flush() }
        try reportingErrors { try simulate(console) }
    }

    private func simulate(_ console: Console) throws {
        let start = DispatchTime.now()
        let fixedNodes = nodes
        var total = SimStats()
        var done = 0
        var failed: [SimViolation] = []
        let batch = trace ? 1 : max(1, ProcessInfo.processInfo.activeProcessorCount * 32)
        while done < seeds {
            let count = min(batch, seeds - done)
            let first = from &+ UInt64(done)
            let results: [SimResult]
            if trace {
                var run = SimRun(seed: first, nodes: fixedNodes ?? Self.defaultNodes(first))
                run.traceSink = { console.line($0) }
                results = [run.run()]
            } else {
                results = parallelMap(0..<count) { i in
                    let seed = first &+ UInt64(i)
                    return SimRun(seed: seed, nodes: fixedNodes ?? Self.defaultNodes(seed)).run()
                }
            }
            for r in results {
                done += 1
                total.add(r.stats)
                guard let v = r.violation else { continue }
                if keepGoing {
                    failed.append(v)
                    console.line("VIOLATION seed \(v.seed) (\(r.nodes) nodes) step \(v.step) t=\(v.time) \(v.kind.rawValue): \(v.message)")
                    continue
                }
                report(console, v, nodes: r.nodes)
                throw TalonError(.simViolation, "seed \(v.seed): \(v.kind.rawValue) after \(done) seeds")
            }
            if done % 10_000 < batch || done == seeds { summary(console, done, total, failed: failed.count, since: start) }
        }
        if !failed.isEmpty {
            throw TalonError(.simViolation, "\(failed.count) of \(seeds) seeds failed: "
                           + failed.map { "\($0.seed) \($0.kind.rawValue)" }.joined(separator: ", "))
        }
    }

    static func defaultNodes(_ seed: UInt64) -> Int { seed % 2 == 0 ? 3 : 5 }

    private func summary(_ console: Console, _ done: Int, _ t: SimStats, failed: Int, since start: DispatchTime) {
        let seconds = LedgerBench.seconds(since: start)
        let faults = SimFaultKind.allCases.map { "\($0.rawValue) \(t.faults[$0] ?? 0)" }.joined(separator: ", ")
        console.line("""
            \(done) seeds\(failed > 0 ? " (\(failed) failed)" : " ok") in \(String(format: "%.1f", seconds)) s (\(String(format: "%.0f", Double(done) / seconds)) seeds/s): \
            \(t.steps) steps, \(t.elections) elections, \(t.commits) commits, \(t.acknowledged) acknowledged, \
            \(t.reads) reads, \(t.messagesSent) messages (\(t.messagesDropped) dropped, \(t.messagesDuplicated) duplicated), \
            \(t.crashes) crashes, max term \(t.maxTerm), slowest recovery \(t.recoveryMillis) ms; faults: \(faults)
            """)
        console.flush()
    }

    private func report(_ console: Console, _ v: SimViolation, nodes: Int) {
        var text = "VIOLATION seed \(v.seed) (\(nodes) nodes) step \(v.step) t=\(v.time)\n\(v.kind.rawValue): \(v.message)\n"
        text += "trace (last \(v.trace.count) steps):\n"
        for line in v.trace { text += "  \(line)\n" }
        text += "replay: talon sim raft --from \(v.seed) --seeds 1 --nodes \(nodes) --trace"
        console.line(text)
        console.flush()
    }
}

/// Standard output in large writes: a `--trace` run prints millions of lines.
private final class Console {
    private var buffer: [UInt8] = []

    func line(_ text: String) {
        buffer += text.utf8
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        writeOut(Array(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}

