import ArgumentParser
import Foundation
import TalonChaos
import TalonProtocol

/// `talon chaos`: a chaos run of real members behind proxies, with a history checker.
struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Run a local cluster under seeded faults while clients write, then check what they were told.",
        discussion: """
            Starts --nodes `talon node run` processes (this binary) on loopback whose peer links \
            each pass through a proxy (member a reaches b at the proxy a→b, with --dial). Writers \
            issue, transfer, list, buy and redeem tickets and readers read them (linearizably and \
            not) through every member while a schedule drawn from --seed partitions members, \
            isolates the leader, drops one direction of a link, delays a member's links, pauses a \
            member (SIGSTOP past the election timeout), kills and restarts one, flaps a \
            partition, fills a member's disk (a file-size limit), in debug builds shifts a \
            member's clock or slows its fsync, and sometimes runs two faults at once. Then it \
            heals, requires a write within --recovery-bound-s, waits for the members to agree, \
            stops them and checks every acknowledged envelope, the chains, `ledger verify`, the \
            ticket holders in every store, that no ticket is redeemed twice, and every read \
            against the ledger's order of writes (linearizable reads per ticket). Prints a \
            summary; exits 1 on any anomaly, keeping the directory (history.jsonl, \
            schedule.json, events.log, every node's log and store) so that the seed replays.
            """)
    @Option(name: .long, help: "The schedule's seed (default: random, printed).") var seed: UInt64?
    @Option(name: .long, help: "Seconds of faults and client load.") var durationS = 30
    @Option(name: .long, help: "Cluster members (3–9).") var nodes = 3
    @Option(name: .long, help: "Concurrent writers, one ticket at a time each, and as many readers.") var clients = 3
    @Option(name: .long, help: "Seconds after the last heal within which a write must succeed.") var recoveryBoundS = 20
    @Option(name: .long, help: "The run's directory (default: a new one under the temporary directory).") var dir: String?
    @Flag(name: .long, help: "Keep the directory after a clean run too.") var keep = false
    @Flag(name: .long, help: "Print what the harness does as it goes.") var verbose = false
    @Flag(name: .long, help: "Print the schedule the seed draws (JSON) and exit without running.") var schedule = false
    #if DEBUG
    /// A deliberate bug every member runs with (debug builds only): `stale-reads`, to show the
    /// checker catches it.
    @Option(name: .long, help: .hidden) var testBreak: String?
    #endif

    func validate() throws {
        guard (3...9).contains(nodes) else { throw ValidationError("--nodes must be 3–9") }
        guard clients >= 1, durationS >= 1, recoveryBoundS >= 1 else { throw ValidationError("--clients, --duration-s and --recovery-bound-s must be positive") }
    }

    func run() async throws {
        let seed = seed ?? UInt64.random(in: 1...UInt64.max)
        if schedule {
            writeOut(JSONForm.encode(FaultSchedule(seed: seed, nodes: nodes, length: durationS * 1000), pretty: true) + [0x0A])
            return
        }
        let directory = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("talon-chaos-\(seed)-\(UUID().uuidString.prefix(8))").path
        var options = ChaosRunner.Options(talon: CommandLine.executablePath, directory: directory, seed: seed, duration: durationS * 1000)
        options.nodes = nodes
        options.clients = clients
        options.recoveryBound = recoveryBoundS * 1000
        options.keep = keep
        #if DEBUG
        if let testBreak { options.nodeArguments = ["--test-break", testBreak] }
        #endif
        let verbose = verbose
        options.log = { line in if verbose { writeErr(line + "\n") } }
        writeErr("chaos: seed \(seed), \(nodes) nodes, \(durationS) s, directory \(directory)\n")
        let summary: ChaosRunner.Summary
        do {
            summary = try await ChaosRunner(options).run()
        } catch {
            writeErr("chaos: seed \(seed): \(error); kept \(directory)\n")
            throw ExitCode(1)
        }
        print(summary.text)
        if !summary.ok { throw ExitCode(1) }
    }
}

extension CommandLine {
    /// This process's executable, absolute.
    static var executablePath: String {
        URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath().path
    }
}
