import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TalonProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One chaos run: a cluster of real `talon node run` processes behind proxies, clients
/// writing and reading tickets through every member (`Workload`) while a seeded schedule of
/// faults runs, then heal, wait for the members to agree, stop them and check the history
/// against their stores.
public struct ChaosRunner: Sendable {
    /// What to run.
    public struct Options: Sendable {
        /// The `talon` binary the members run.
        public var talon: String
        /// A directory for the genesis, stores, logs, history and summary; created, and
        /// removed after a clean run unless `keep`.
        public var directory: String
        public var seed: UInt64
        /// Milliseconds of faults and client load.
        public var duration: Int
        public var nodes = 3
        /// Writers (each working on one ticket at a time: issue, transfer, list, buy, redeem)
        /// and as many readers, each going through every member in turn.
        public var clients = 3
        /// Extra arguments for every `talon node run` (the hidden `--test-break` of a debug build).
        public var nodeArguments: [String] = []
        /// Milliseconds after the last fault heals within which a write must succeed.
        public var recoveryBound = 20_000
        public var keep = false
        /// Where progress lines go.
        public var log: @Sendable (String) -> Void = { _ in }

        public init(talon: String, directory: String, seed: UInt64, duration: Int) {
            self.talon = talon; self.directory = directory; self.seed = seed; self.duration = duration
        }
    }

    /// What a run did and found.
    public struct Summary: Sendable, Codable {
        public var seed: UInt64
        public var nodes: Int
        public var duration: Int
        /// Faults injected, by kind.
        public var faults: [String: Int]
        /// Milliseconds from the last heal to the first write acknowledged after it.
        public var recoveredAfter: Int?
        public var report: Checker.Report
        /// Where the history, schedule and logs were kept (nil: removed after a clean run).
        public var kept: String?
        public var ok: Bool { report.ok }

        /// The lines `talon chaos` prints.
        public var text: String {
            let r = report
            let operationsLine = "operations \(r.operations) (\(r.operations - r.reads) writes, \(r.reads) reads)  acknowledged "
                + "\(r.acknowledged)  failed \(r.failed)  unknown \(r.unknown)  lost \(r.lost)"
            let kinds: [String] = r.kinds.sorted { $0.key < $1.key }.map { (kind: String, c: Checker.Counts) -> String in
                "\(kind) \(c.operations)/\(c.acknowledged)/\(c.ok)/\(c.failed)/\(c.unknown)"
            }
            let kindsLine = "by kind (sent/acknowledged/ok/failed/unknown): " + kinds.joined(separator: ", ")
            func listed(_ counts: KeyPath<Checker.Counts, [String: Int]>) -> String {
                r.kinds.sorted { $0.key < $1.key }.flatMap { kind, c in
                    c[keyPath: counts].sorted { $0.key < $1.key }.map { "\(kind) \($0.key) ×\($0.value)" }
                }.joined(separator: ", ")
            }
            let failures = listed(\.failures), unknowns = listed(\.unknowns)
            var lines = [
                "seed \(seed)  nodes \(nodes)  duration \(duration / 1000) s",
                "faults \(faults.values.reduce(0, +)): " + faults.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "),
                operationsLine,
                kindsLine,
            ]
            if !failures.isEmpty { lines.append("failed: " + failures) }
            if !unknowns.isEmpty { lines.append("unknown: " + unknowns) }
            lines += [
                "recovered after " + (recoveredAfter.map { "\($0) ms" } ?? "never"),
                "anomalies \(report.anomalies.count)",
            ]
            lines += report.anomalies.prefix(50).map { "  \($0)" }
            if let kept { lines.append("kept \(kept) (history.jsonl, schedule.json, events.log, n*.log, data/)") }
            lines.append(ok ? "ok" : "FAILED: replay with --seed \(seed)")
            return lines.joined(separator: "\n")
        }
    }

    public let options: Options
    public init(_ options: Options) { self.options = options }

    /// Runs the cluster, the clients and the faults, and checks.
    /// - Throws: when the cluster cannot be set up (no leader, no bootstrap write); anomalies
    ///   are in the summary, not thrown.
    public func run() async throws -> Summary {
        let o = options
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let http = HTTPClient(eventLoopGroupProvider: .shared(group))
        let cluster = try await ChaosCluster.create(talon: o.talon, directory: o.directory, size: o.nodes, group: group,
                                                   nodeArguments: o.nodeArguments)
        let events = EventLog(path: o.directory + "/events.log", echo: o.log)
        do {
            let summary = try await run(cluster, ChaosClient(http: http, apiPorts: cluster.apiPorts), events)
            cluster.killAll()
            try? await http.shutdown()
            await cluster.closeProxies()
            try? await group.shutdownGracefully()
            return summary
        } catch {
            cluster.killAll()
            try? await http.shutdown()
            await cluster.closeProxies()
            try? await group.shutdownGracefully()
            events.add("setup failed: \(error); kept \(o.directory)")
            throw error
        }
    }

    private func run(_ cluster: ChaosCluster, _ client: ChaosClient, _ events: EventLog) async throws -> Summary {
        let o = options
        let schedule = FaultSchedule(seed: o.seed, nodes: o.nodes, length: o.duration)
        try Data(JSONForm.encode(schedule, pretty: true)).write(to: URL(fileURLWithPath: o.directory + "/schedule.json"))
        events.add("seed \(o.seed): \(schedule.faults.count) faults over \(o.duration) ms; directory \(o.directory)")
        for i in 0..<o.nodes { try cluster.start(i) }
        guard try await waitForLeader(client, timeout: 30_000) else { throw TalonError(.noLeader, "no leader within 30 s") }

        // The event, its gates and one ticket per writer.
        let history = History()
        let workload = Workload(chainID: cluster.genesis.genesis.chainID, issuer: cluster.issuer, writers: o.clients, seed: o.seed)
        for (kind, envelope) in workload.bootstrap {
            guard try await write(envelope, kind: kind, client, history, deadline: 30_000) != nil else {
                throw TalonError(.timeout, "the bootstrap write \(envelope.hash.hex.prefix(16)) was not acknowledged within 30 s")
            }
        }

        // Clients and faults.
        let start = history.now
        let state = RunState(healedAt: start)
        let faults = FaultDriver(cluster: cluster, api: client, events: events)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<o.clients {
                group.addTask { await workload.writer(c, client, history) { state.stopped } }
                group.addTask { await workload.reader(c, client, history) { state.stopped } }
            }
            group.addTask {
                for scheduled in schedule.faults {
                    let wait = start + scheduled.at - history.now
                    if wait > 0 { try await Task.sleep(for: .milliseconds(wait)) }
                    guard await faults.inject(scheduled.fault) else { continue }
                    for part in Set([scheduled.fault] + scheduled.fault.parts) { state.count(part) }
                    try await Task.sleep(for: .milliseconds(scheduled.duration))
                    try await faults.heal(scheduled.fault)
                    state.healed(at: history.now)
                }
                let rest = start + o.duration - history.now
                if rest > 0 { try await Task.sleep(for: .milliseconds(rest)) }
                state.stop()
            }
            try await group.waitForAll()
        }
        events.add("faults over; clients stopped")

        // The cluster must serve again: a fresh write, through any member.
        let probed = try await write(workload.probe, kind: "setup", client, history, deadline: o.recoveryBound + 10_000)
        // The first write acknowledged after the last heal, a client's or the probe's.
        let healedAt = state.healedAt
        let recovered = probed == nil ? nil : history.operations.compactMap { op -> Int? in
            guard op.receipt != nil, let done = op.completed, done >= healedAt else { return nil }
            return done - healedAt
        }.min()
        events.add("first write after the last heal " + (recovered.map { "acknowledged \($0) ms after it" } ?? "never acknowledged"))

        // Let the members agree, stop them gracefully and read their stores.
        let agreed = await waitForSameHead(client, timeout: 30_000)
        if !agreed { events.add("the members did not agree on one head within 30 s") }
        for i in 0..<o.nodes { await cluster.stop(i, signal: SIGTERM) }
        var ledgers: [LedgerSnapshot] = []
        for i in 0..<o.nodes {
            do {
                ledgers.append(try LedgerSnapshot.read(node: cluster.name(i), store: cluster.store(i)))
            } catch {
                ledgers.append(LedgerSnapshot(node: cluster.name(i), blocks: [], leaves: [], verifyFailure: "cannot read the store: \(error)"))
            }
        }
        try Data(history.jsonLines().utf8).write(to: URL(fileURLWithPath: o.directory + "/history.jsonl"))
        let report = Checker(recoveryBound: o.recoveryBound).check(history.operations, ledgers: ledgers, recoveredAfter: recovered)
        var summary = Summary(seed: o.seed, nodes: o.nodes, duration: o.duration, faults: state.faults,
                              recoveredAfter: recovered, report: report, kept: o.directory)
        try Data(JSONForm.encode(summary, pretty: true)).write(to: URL(fileURLWithPath: o.directory + "/summary.json"))
        if report.ok && !o.keep {
            try? FileManager.default.removeItem(atPath: o.directory)
            summary.kept = nil
        }
        return summary
    }

    /// Submits `envelope` through member after member until it is acknowledged or
    /// `deadline` ms pass; records every try; returns when (history time) it was acknowledged.
    private func write(_ envelope: Envelope, kind: String, _ api: ChaosClient, _ history: History, deadline: Int) async throws -> Int? {
        let end = history.now + deadline
        var node = 0
        while history.now < end {
            let id = history.invoke(client: -1, node: "n\(node + 1)", kind: kind, ticket: "", envelope: envelope.hash.hex)
            let outcome = await api.submit(envelope, to: node)
            history.complete(id, outcome)
            if case .acknowledged = outcome { return history.now }
            node = (node + 1) % api.apiPorts.count
            try await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    private func waitForLeader(_ api: ChaosClient, timeout: Int) async throws -> Bool {
        let end = ContinuousClock.now + .milliseconds(timeout)
        while ContinuousClock.now < end {
            if await api.leader() != nil { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    private func waitForSameHead(_ api: ChaosClient, timeout: Int) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(timeout)
        while ContinuousClock.now < end {
            var heads: [Head?] = []
            for i in api.apiPorts.indices { heads.append(await api.status(i)?.head) }
            if let first = heads.first ?? nil, heads.allSatisfy({ $0 == first }) { return true }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return false
    }
}

/// What the clients and the fault driver share during a run.
private final class RunState: Sendable {
    private struct Values {
        var stopped = false
        var healedAt: Int
        var faults: [String: Int] = [:]
    }
    private let values: Mutex<Values>
    init(healedAt: Int) { values = Mutex(Values(healedAt: healedAt)) }

    var stopped: Bool { values.withLock { $0.stopped } }
    var healedAt: Int { values.withLock { $0.healedAt } }
    var faults: [String: Int] { values.withLock { $0.faults } }
    func stop() { values.withLock { $0.stopped = true } }
    func healed(at time: Int) { values.withLock { $0.healedAt = time } }
    func count(_ fault: Fault) { values.withLock { $0.faults[fault.kind, default: 0] += 1 } }
}

/// Timestamped lines of what the harness did, to `events.log` and the progress callback.
final class EventLog: Sendable {
    let path: String
    let echo: @Sendable (String) -> Void
    private let start = ContinuousClock.now
    private let lock = Mutex(())

    init(path: String, echo: @escaping @Sendable (String) -> Void) {
        self.path = path; self.echo = echo
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }

    func add(_ line: String) {
        let ms = (ContinuousClock.now - start) / .milliseconds(1)
        let text = String(format: "%8.3f ", Double(ms) / 1000) + line
        lock.withLock { _ in
            if let h = FileHandle(forWritingAtPath: path) { h.seekToEndOfFile(); h.write(Data((text + "\n").utf8)); try? h.close() }
        }
        echo(text)
    }
}
