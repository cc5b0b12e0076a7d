import ArgumentParser
import AsyncHTTPClient
import Foundation
import Histogram
import NIOCore
import NIOHTTP1
import Synchronization
import TalonProtocol
import TalonLedger

/// Measures a running cluster's write path from the outside, the way clients load it: many
/// connections, one signed transfer per request, each answered after its block is applied.
/// With `--etcd`, runs the same harness against etcd's v3 JSON gateway for comparison.
struct ClusterBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Transfers/s and latency percentiles of a running cluster, optionally beside etcd.",
        discussion: """
            Setup (untimed): creates an event, issues --ops tickets to --holders keys made for \
            the run, and pre-signs one transfer per ticket. Then --connections clients each send \
            one transfer per POST /v1/envelopes, spread over the nodes, and wait for its receipt \
            (the ledger applied it). Prints operations/s and latency percentiles. With --etcd URL, \
            the same clients then put 400-byte values through etcd's /v3/kv/put and the ratio is \
            printed. Needs the issuer key of the cluster's genesis (genesis/local by default).
            """)
    @Option(name: .long, help: "The cluster's genesis (node addresses and chain id).") var genesis = "genesis/local/genesis.json"
    @Option(name: .long, help: "A registered issuer's key file.") var issuer = "genesis/local/keys/issuer.key"
    @Option(name: .long, help: "Nodes to send to (default: every member's API address).") var node: [String] = []
    @Option(name: .long, help: "Timed operations.") var ops = 20_000
    @Option(name: .long, help: "Concurrent client connections.") var connections = 64
    @Option(name: .long, help: "Holder keys the tickets are spread over.") var holders = 256
    @Option(name: .long, help: "etcd client URLs to run the same load against (comma-separated).") var etcd: String?
    @Flag(name: .long, help: "Print one JSON object per run.") var json = false
    @Option(name: .long, help: "Rounds, each a fresh event and tickets; with --etcd, Talon and etcd take turns, and the medians are printed.")
    var rounds = 1
    @Option(name: .long, help: "How envelopes are sent: binary (\(EnvelopeFrames.mediaType), one frame per request) or json (one envelope per request).")
    var media: SubmissionMedia = .binary
    @Option(name: .long, help: "Local processes whose CPU time is the cost of the run: those whose command line contains this.")
    var cpuOf = "node run --data"
    @Option(name: .long, help: "The same for etcd's processes.") var etcdCPUOf = "etcd --name"

    func validate() throws {
        guard ops > 0, connections > 0, holders > 0, rounds > 0 else { throw ValidationError("--ops, --connections, --holders and --rounds must be positive") }
    }

    func run() async throws {
        try await reportingErrors {
            let genesisFile = try GenesisFile(path: genesis)
            let chain = genesisFile.genesis.chainID
            let urls = node.isEmpty ? genesisFile.genesis.members.map { NodeClient.normalize($0.api) }
                                    : node.flatMap { $0.split(separator: ",").map { NodeClient.normalize(String($0)) } }
            let issuerKey = try SigningKey.load(from: issuer)
            let setup = try NodeClient(nodes: urls)
            let run = String(UInt64(Date().timeIntervalSince1970 * 1000), radix: 36).uppercased()
            var nonce = UInt64(Date().timeIntervalSince1970 * 1_000_000)
            let media = self.media
            let etcdURLs = etcd.map { $0.split(separator: ",").map { NodeClient.normalize(String($0)) + "/v3/kv/put" } }

            if !json { print("talon bench cluster: \(ops) transfers, \(connections) connections, \(media.rawValue) bodies, nodes \(urls.joined(separator: " "))") }
            var talonRuns: [Load] = [], etcdRuns: [Load] = []
            for round in 1...rounds {
                let name = rounds > 1 ? "\(run)-\(round)" : run
                let bodies = try await prepare(name, chain: chain, issuer: issuerKey, nonce: &nonce, via: setup)
                func runTalon() async throws -> Load {
                    let nodes = ProcessCPU.matching(cpuOf)
                    let talonCPU = nodes.seconds()
                    var talon = try await Load.run(name: "talon", urls: urls.map { $0 + "/v1/envelopes" }, bodies: bodies, connections: connections,
                                                   contentType: media.contentType) { bytes in
                        let receipt = media.firstResult(bytes)?.receipt
                        return Load.Verdict(accepted: receipt?.result == "ok", block: receipt?.height)
                    }
                    talon.cpu = (nodes.pids.count, nodes.seconds() - talonCPU)
                    talon.round = rounds > 1 ? round : nil
                    talon.print(json: json)
                    return talon
                }
                guard let etcdURLs else {
                    talonRuns.append(try await runTalon())
                    continue
                }
                func runEtcd() async throws -> Load {
                    let value = Data((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 31) }).base64EncodedString()
                    let puts = (0..<ops).map { i in
                        Array("{\"key\":\"\(Data("talon-bench/\(name)/\(i)".utf8).base64EncodedString())\",\"value\":\"\(value)\"}".utf8)
                    }
                    let servers = ProcessCPU.matching(etcdCPUOf)
                    let etcdCPU = servers.seconds()
                    var other = try await Load.run(name: "etcd", urls: etcdURLs, bodies: puts, connections: connections) { bytes in
                        Load.Verdict(accepted: (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])?["header"] != nil)
                    }
                    other.cpu = (servers.pids.count, servers.seconds() - etcdCPU)
                    other.round = rounds > 1 ? round : nil
                    other.print(json: json)
                    return other
                }
                // Taking turns at going first: on a host whose speed drifts, whoever always ran
                // second would always get the drift's direction.
                let (talon, other): (Load, Load)
                if round % 2 == 1 {
                    talon = try await runTalon()
                    other = try await runEtcd()
                } else {
                    other = try await runEtcd()
                    talon = try await runTalon()
                }
                talonRuns.append(talon)
                etcdRuns.append(other)
                if !json {
                    print(String(format: "talon/etcd: %.2fx the throughput, p99 %.2fx", talon.rate / other.rate, Load.p99Ratio(talon, other))
                          + (Load.cpuRatio(talon, other).map { String(format: ", servers' CPU per op over the client's %.2fx", $0) } ?? ""))
                }
            }
            if rounds > 1 { Load.summarize(talonRuns, etcdRuns, json: json) }
        }
    }

    /// Untimed setup of one round: an event named after `name`, `ops` tickets issued to
    /// `holders` keys made for it, and one signed transfer per ticket, as request bodies.
    private func prepare(_ name: String, chain: String, issuer issuerKey: SigningKey, nonce: inout UInt64,
                         via setup: NodeClient) async throws -> [[UInt8]] {
        func next(_ nonce: inout UInt64) -> UInt64 { nonce += 1; return nonce }
        let started = ContinuousClock.now
        let event = "BENCH-\(name)"
        let create = Envelope(chainID: chain, nonce: next(&nonce), operation: .createEvent(CreateEvent(
            eventID: event, name: "Bench \(name)", venue: "Loopback", startsAt: 4_000_000_000_000, doorsOpenAt: 3_999_990_000_000,
            capacity: UInt32(clamping: ops), currency: "EUR")), signedBy: issuerKey)
        try await submitAll([create], via: setup)
        let keys = (0..<holders).map { _ in SigningKey.generate() }
        var issues: [Envelope] = []
        for start in stride(from: 0, to: ops, by: Limits.ticketsPerIssue) {
            let specs = (start..<min(ops, start + Limits.ticketsPerIssue)).map {
                TicketSpec(ticketID: "\(event)-\($0)", section: "GA", seat: "\($0)", faceValue: 5000, holder: keys[$0 % holders].publicKey)
            }
            issues.append(Envelope(chainID: chain, nonce: next(&nonce), operation: .issue(IssueTickets(eventID: event, tickets: specs)), signedBy: issuerKey))
        }
        try await submitAll(issues, via: setup)
        let media = self.media
        let bodies = parallelMap(0..<ops) { i in
            media.body([Envelope(chainID: chain, nonce: UInt64(i) + 1, operation: .transfer(Transfer(ticketID: "\(event)-\(i)", to: keys[(i + 1) % holders].publicKey)),
                                 signedBy: keys[i % holders])], single: true)
        }
        if !json { print("setup: \(issues.count + 1) envelopes submitted and \(ops) transfers signed in \(Self.format(ContinuousClock.now - started))") }
        return bodies
    }

    /// Submits setup envelopes in arrays and requires every one to be ok.
    private func submitAll(_ envelopes: [Envelope], via client: NodeClient) async throws {
        for start in stride(from: 0, to: envelopes.count, by: 100) {
            let chunk = Array(envelopes[start..<min(envelopes.count, start + 100)])
            let bytes = try await client.call(APIPath.envelopes, body: media.body(chunk, single: false), contentType: media.contentType)
            let results = try SubmitResults.decode(json: bytes).results.map { $0.receipt?.result ?? $0.refusal?.code ?? "?" }
            guard results.allSatisfy({ $0 == "ok" }) else {
                throw TalonError(.benchSetup, "setup envelopes were rejected: \(results.filter { $0 != "ok" }.prefix(3))")
            }
        }
    }

    static func format(_ d: Duration) -> String { String(format: "%.2f s", d.seconds) }
}

/// One timed load: `connections` clients POST `bodies` (each once) over `urls`, client `c`
/// always to `urls[c % urls.count]`, each waiting for its answer before sending the next.
struct Load {
    let name: String
    let count: Int
    let failed: Int
    let seconds: Double
    /// Latency in microseconds.
    let histogram: Histogram<UInt64>
    /// How many distinct blocks the accepted answers named (nil when answers name none).
    let blocks: Int?
    /// The servers' CPU time over the timed window: how many processes, how many seconds.
    var cpu: (processes: Int, seconds: Double)?
    /// This process's CPU time over the timed window (the clients: requests, answers,
    /// checks), in seconds: on a shared box it competes with the servers'.
    var clientSeconds: Double?
    /// The whole machine's busy CPU time over the timed window (`MachineCPU`): the servers,
    /// the clients and the kernel's own threads, in seconds.
    var machineSeconds: Double?
    /// Which round of `--rounds` this was (nil for a single run).
    var round: Int?
    var rate: Double { Double(count - failed) / seconds }
    /// The servers' CPU time per operation, in microseconds, when it was measured.
    var cpuPerOp: Double? { cpu.flatMap { $0.processes > 0 && count > 0 ? $0.seconds * 1e6 / Double(count) : nil } }
    /// The clients' CPU time per operation, in microseconds.
    var clientCPUPerOp: Double? { microsPerOp(clientSeconds) }
    /// The whole machine's busy CPU time per operation, in microseconds, when it was measured.
    var machineCPUPerOp: Double? { microsPerOp(machineSeconds) }
    /// The servers' CPU per operation in units of the client's: the client does the same
    /// work per operation in every run, so this ratio moves far less than the microseconds
    /// do when this host's speed changes between minutes.
    var cpuPerClientCPU: Double? {
        guard let servers = cpuPerOp, let client = clientCPUPerOp, client > 0 else { return nil }
        return servers / client
    }

    /// `seconds` of CPU per operation, in microseconds; nil when none was measured.
    private func microsPerOp(_ seconds: Double?) -> Double? {
        seconds.flatMap { $0 > 0 && count > 0 ? $0 * 1e6 / Double(count) : nil }
    }

    /// What the check makes of one answer: accepted or not, and the block it names, if any.
    struct Verdict: Sendable {
        var accepted: Bool
        var block: UInt64? = nil
    }

    static func run(name: String, urls: [String], bodies: [[UInt8]], connections: Int, contentType: String = "application/json",
                    check: @escaping @Sendable ([UInt8]) -> Verdict) async throws -> Load {
        var pool = HTTPClient.Configuration.ConnectionPool()
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(connectionPool: pool))
        let cursor = Cursor()
        let me = ProcessCPU(pids: [ProcessInfo.processInfo.processIdentifier])
        let clientStart = me.seconds(), machineStart = MachineCPU.busySeconds()
        let start = ContinuousClock.now
        let outcome: Result<(Histogram<UInt64>, Int, Set<UInt64>), any Error>
        do { outcome = .success(try await withThrowingTaskGroup(of: (Histogram<UInt64>, Int, Set<UInt64>).self) { group in
            for c in 0..<connections {
                let url = urls[c % urls.count]
                group.addTask {
                    var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000)
                    var failed = 0
                    var blocks = Set<UInt64>()
                    while true {
                        let i = cursor.next()
                        guard i < bodies.count else { break }
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: contentType)
                        request.body = .bytes(ByteBuffer(bytes: bodies[i]))
                        let sent = ContinuousClock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(30))
                            let body = Array(buffer: try await response.body.collect(upTo: 1 << 20))
                            let verdict = check(body)
                            if response.status != .ok || !verdict.accepted {
                                failed += 1
                            } else if let block = verdict.block {
                                blocks.insert(block)
                            }
                        } catch {
                            failed += 1
                        }
                        let elapsed = ContinuousClock.now - sent
                        _ = histogram.record(UInt64(max(1, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000)))
                    }
                    return (histogram, failed, blocks)
                }
            }
            var all = Histogram<UInt64>(highestTrackableValue: 60_000_000)
            var failed = 0
            var blocks = Set<UInt64>()
            for try await (h, f, b) in group { all.add(h); failed += f; blocks.formUnion(b) }
            return (all, failed, blocks)
        }) } catch { outcome = .failure(error) }
        let elapsed = ContinuousClock.now - start
        let clientSeconds = me.seconds() - clientStart, machineSeconds = MachineCPU.busySeconds() - machineStart
        try await client.shutdown()
        let results = try outcome.get()
        return Load(name: name, count: bodies.count, failed: results.1, seconds: elapsed.seconds, histogram: results.0,
                    blocks: results.2.isEmpty ? nil : results.2.count, clientSeconds: clientSeconds, machineSeconds: machineSeconds)
    }

    func print(json: Bool) {
        let ms = { (p: Double) in Double(histogram.valueAtPercentile(p)) / 1000 }
        if json {
            let cpu = (cpuPerOp.map { String(format: ",\"cpu_us_per_op\":%.1f,\"cpu_processes\":%d", $0, self.cpu?.processes ?? 0) } ?? "")
                + (clientCPUPerOp.map { String(format: ",\"client_cpu_us_per_op\":%.1f", $0) } ?? "")
                + (cpuPerClientCPU.map { String(format: ",\"cpu_per_client_cpu\":%.3f", $0) } ?? "")
                + (machineCPUPerOp.map { String(format: ",\"machine_cpu_us_per_op\":%.1f", $0) } ?? "")
                + (round.map { ",\"round\":\($0)" } ?? "")
                + (blocks.map { String(format: ",\"blocks\":%d,\"envelopes_per_block\":%.1f", $0, Double(count - failed) / Double($0)) } ?? "")
            Swift.print(String(format: "{\"system\":\"%@\",\"ops\":%d,\"failed\":%d,\"seconds\":%.3f,\"ops_per_s\":%.0f,\"p50_ms\":%.2f,\"p90_ms\":%.2f,\"p99_ms\":%.2f,\"p999_ms\":%.2f,\"max_ms\":%.2f%@}",
                               name, count, failed, seconds, rate, ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1000, cpu))
        } else {
            let cpu = (cpuPerOp.map { String(format: "; CPU %.0f µs per op across %d processes", $0, self.cpu?.processes ?? 0) } ?? "")
                + (clientCPUPerOp.map { String(format: ", client %.0f µs", $0) } ?? "")
                + (cpuPerClientCPU.map { String(format: " (servers %.2f× the client's)", $0) } ?? "")
                + (machineCPUPerOp.map { String(format: ", machine %.0f µs", $0) } ?? "")
                + (blocks.map { String(format: "; %d blocks, %.1f envelopes each", $0, Double(count - failed) / Double($0)) } ?? "")
            Swift.print((round.map { "round \($0) " } ?? "") + String(format: "%@: %d ops (%d failed) in %.2f s = %.0f ops/s; latency ms p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f%@",
                               name, count, failed, seconds, rate, ms(50), ms(90), ms(99), ms(99.9), Double(histogram.max) / 1000, cpu))
        }
    }
}

extension Load {
    /// `a`'s p99 latency over `b`'s.
    static func p99Ratio(_ a: Load, _ b: Load) -> Double {
        Double(a.histogram.valueAtPercentile(99)) / Double(max(1, b.histogram.valueAtPercentile(99)))
    }

    /// `a`'s servers' CPU per operation over `b`'s, each in units of its own client's CPU per
    /// operation (`cpuPerClientCPU`); nil when either was not measured.
    static func cpuRatio(_ a: Load, _ b: Load) -> Double? {
        guard let x = a.cpuPerClientCPU, let y = b.cpuPerClientCPU, y > 0 else { return nil }
        return x / y
    }

    /// The median of `values` as every bench takes it (`LedgerBench.percentile`: the upper
    /// middle one for an even count); 0 when empty.
    static func median(_ values: [Double]) -> Double { LedgerBench.percentile(values.sorted(), 0.5) }

    /// Prints the medians over rounds: each system's rate and CPU per operation, and with etcd
    /// the per-round ratios' median and range (the host's speed drifts between rounds; a
    /// round's ratio compares runs made minutes apart at most).
    static func summarize(_ talon: [Load], _ etcd: [Load], json: Bool) {
        let rates = { (runs: [Load]) in median(runs.map(\.rate)) }
        let cpus = { (runs: [Load]) in median(runs.compactMap(\.cpuPerOp)) }
        let machines = { (runs: [Load]) in median(runs.compactMap(\.machineCPUPerOp)) }
        let ratios = zip(talon, etcd).map { $0.rate / $1.rate }, p99s = zip(talon, etcd).map { p99Ratio($0, $1) }
        let cpuRatios = zip(talon, etcd).compactMap { cpuRatio($0, $1) }
        if json {
            var line = String(format: "{\"system\":\"summary\",\"rounds\":%d,\"talon_ops_per_s\":%.0f,\"talon_cpu_us_per_op\":%.1f,\"talon_machine_cpu_us_per_op\":%.1f",
                                  talon.count, rates(talon), cpus(talon), machines(talon))
            if !ratios.isEmpty {
                line += String(format: ",\"etcd_ops_per_s\":%.0f,\"etcd_cpu_us_per_op\":%.1f,\"etcd_machine_cpu_us_per_op\":%.1f,\"ratio_median\":%.3f,\"ratio_min\":%.3f,\"ratio_max\":%.3f,\"p99_ratio_median\":%.3f",
                               rates(etcd), cpus(etcd), machines(etcd), median(ratios), ratios.min() ?? 0, ratios.max() ?? 0, median(p99s))
                if !cpuRatios.isEmpty { line += String(format: ",\"cpu_per_client_ratio_median\":%.3f", median(cpuRatios)) }
            }
            Swift.print(line + "}")
        } else {
            Swift.print(String(format: "over %d rounds, medians: talon %.0f ops/s, CPU %.0f µs per op, machine %.0f µs", talon.count, rates(talon), cpus(talon), machines(talon)))
            if !ratios.isEmpty {
                Swift.print(String(format: "etcd %.0f ops/s, CPU %.0f µs per op, machine %.0f µs; talon/etcd %.2fx the throughput (rounds %.2f–%.2f), p99 %.2fx",
                                   rates(etcd), cpus(etcd), machines(etcd), median(ratios), ratios.min() ?? 0, ratios.max() ?? 0, median(p99s))
                            + (cpuRatios.isEmpty ? "" : String(format: ", servers' CPU per op over the client's %.2fx (rounds %.2f–%.2f)",
                                                               median(cpuRatios), cpuRatios.min() ?? 0, cpuRatios.max() ?? 0)))
            }
        }
    }
}

/// How `bench cluster` writes its submissions: `POST /v1/envelopes`'s two media types.
enum SubmissionMedia: String, ExpressibleByArgument, Sendable {
    case json, binary

    var contentType: String { self == .json ? "application/json" : EnvelopeFrames.mediaType }

    /// The body for `envelopes`: in JSON one envelope (`single`) or an array, in binary the frames.
    func body(_ envelopes: [Envelope], single: Bool) -> [UInt8] {
        switch self {
        case .binary: EnvelopeFrames.encode(envelopes)
        case .json: single && envelopes.count == 1 ? JSONForm.encode(envelopes[0]) : JSONForm.encode(envelopes)
        }
    }

    /// The outcome of the first envelope of an answer to `body(_:single: true)`.
    func firstResult(_ answer: [UInt8]) -> SubmitOutcome? {
        switch self {
        case .binary: (try? SubmitResults.decode(json: answer))?.results.first
        case .json: try? JSONForm.decode(SubmitOutcome.self, from: answer)
        }
    }
}

/// Hands out 0, 1, 2, … to concurrent clients.
final class Cursor: Sendable {
    private let value = Atomic<Int>(0)
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
