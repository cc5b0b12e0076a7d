import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import TalonLedger
import TalonNode
import TalonProtocol

struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Run a cluster member.", subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one member of the cluster its genesis describes, until SIGTERM or SIGINT.",
            discussion: """
                Flags override the config file (JSON with the keys data, genesis, node, key, peer, \
                api, dial, max_connections, api_threads). Listens on the member's peer and API addresses from the genesis unless
                --peer or --api say otherwise. Logs go to standard error.

                Raises its soft file-descriptor limit to the hard limit. At most --max-connections \
                API connections are open at once: past that, the connection idle the longest is \
                closed for a newcomer, or, when every connection has a request in flight, the \
                newcomer is answered 503 too_many_connections.
                """)
        @Option(name: .long, help: "A JSON config file.") var config: String?
        @Option(name: .long, help: "The data directory.") var data: String?
        @Option(name: .long, help: "The genesis file.") var genesis: String?
        @Option(name: .long, help: "This member's id in the genesis (n1).") var node: String?
        @Option(name: .long, help: "The member's key file.") var key: String?
        @Option(name: .long, help: "Peer listen address host:port.") var peer: String?
        @Option(name: .long, help: "API listen address host:port.") var api: String?
        @Option(name: .long, help: ArgumentHelp(
            "Reach member ID at host:port instead of its genesis peer address (repeatable).",
            discussion: "For a member behind a tunnel, a NAT or a proxy; `talon chaos` points every link at a proxy this way.",
            valueName: "ID=host:port")) var dial: [String] = []
        @Option(name: .long, help: ArgumentHelp(
            "The most API connections open at once.",
            discussion: "Default \(NodeConfig.defaultMaxConnections), lowered to leave \(NodeConfig.reservedDescriptors) file descriptors free.",
            valueName: "n")) var maxConnections: Int?
        @Option(name: .long, help: ArgumentHelp(
            "Event-loop threads serving the API.",
            discussion: "Default: one per core but one, left to the node's loop, its peer links and the disk.",
            valueName: "n")) var apiThreads: Int?
        @Option(name: .long, help: "Raft tick in milliseconds.") var tickMs = 100
        @Option(name: .long, help: "Leader batch linger in microseconds.") var lingerUs = 500
        @Option(name: .long, help: "Entries the leader keeps in flight before holding submissions for the next batch.") var maxInflight = 2
        @Flag(name: .long, inversion: .prefixedNo, help: "Gather the submissions a follower reads in one event loop tick into one forward to the leader (default on).")
        var gatherForwards = true
        @Flag(name: .long, inversion: .prefixedNo, help: ArgumentHelp(
            "The leader sends its appends before saving its own copy, so followers write theirs meanwhile (default on).",
            discussion: "Safe: its own copy counts toward a commit only once saved."))
        var appendsBeforeSave = true
        @Option(name: .long, help: "The most loaded contracts kept in memory (default 64; least recently used evicted).")
        var contractCache: Int?
        @Option(name: .long, help: "The most MiB the loaded contracts may hold between them (default 32).")
        var contractCacheMib: Int?
        @Option(name: .long, help: "Seconds a loop turn may run, or applying may lag the commit index, before /healthz answers 503 stalled.")
        var stallTimeoutS = 10
        @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"
        @Flag(name: .long, help: "Stop, as on SIGTERM, once the process that started this one exits (for harnesses and supervisors that must leave no orphan).")
        var exitWithParent = false
        #if DEBUG
        // Test seams for `talon chaos` (debug builds only, hidden).
        @Option(name: .customLong("test-clock-offset-ms"), help: .hidden) var testClockOffsetMs = 0
        @Option(name: .customLong("test-sync-delay-ms"), help: .hidden) var testSyncDelayMs = 0
        /// A deliberate bug for chaos tests (debug builds only): `stale-reads` serves
        /// linearizable reads from local state without ReadIndex.
        @Option(name: .long, help: .hidden) var testBreak: String?
        #endif

        func run() async throws {
            let parent = getppid()
            try await reportingErrors {
                var settings = NodeConfig(data: "", genesis: "", node: "", key: "")
                if let config {
                    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: config)))
                    settings = try JSONForm.decode(NodeConfig.self, from: bytes)
                }
                if let data { settings.data = data }
                if let genesis { settings.genesis = genesis }
                if let node { settings.node = node }
                if let key { settings.key = key }
                if let peer { settings.peer = peer }
                if let api { settings.api = api }
                for entry in dial {
                    guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                        throw TalonError(.invalidOption, "--dial must be ID=host:port, got \(entry.prefix(80))")
                    }
                    settings.dial = (settings.dial ?? [:]).merging([String(entry[..<eq]): String(entry[entry.index(after: eq)...])]) { $1 }
                }
                if let maxConnections { settings.maxConnections = maxConnections }
                if let apiThreads { settings.apiThreads = apiThreads }
                if let contractCache { settings.contractCache = contractCache }
                if let contractCacheMib { settings.contractCacheBytes = Int64(max(1, min(contractCacheMib, 1 << 20))) << 20 }
                for (value, flag) in [(settings.data, "--data"), (settings.genesis, "--genesis"), (settings.node, "--node"), (settings.key, "--key")]
                where value.isEmpty {
                    throw TalonError(.missingOption, "\(flag) is required (or give it in --config)")
                }
                guard let level = Logger.Level(rawValue: logLevel) else {
                    throw TalonError(.invalidOption, "unknown log level \(logLevel)")
                }
                LoggingSystem.bootstrap { label in
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = level
                    return handler
                }
                let registry = PrometheusCollectorRegistry()
                MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
                var options = Node.Options()
                options.tick = .milliseconds(max(1, tickMs))
                options.linger = .microseconds(max(0, lingerUs))
                options.maxInflightEntries = max(1, maxInflight)
                options.gatherForwards = gatherForwards
                options.appendsBeforeSave = appendsBeforeSave
                options.stallTimeout = .seconds(max(1, stallTimeoutS))
                #if DEBUG
                options.clockOffset = .milliseconds(testClockOffsetMs)
                options.syncDelay = .milliseconds(max(0, min(testSyncDelayMs, 10_000)))
                switch testBreak {
                case nil: break
                case "stale-reads": options.staleLinearizableReads = true
                case let other?: throw TalonError(.invalidOption, "--test-break knows stale-reads, got \(other.prefix(40))")
                }
                #endif
                let logger = Logger(label: "talon.node.\(settings.node)")
                // Every API connection, peer link and LMDB file holds a descriptor: take all
                // the system allows, then size the API limit to leave room for the rest.
                let files = FileLimit.raiseToHard()
                let fileLimit = files?.soft ?? 1024
                settings.maxConnections = try NodeConfig.maxConnections(requested: settings.maxConnections, fileLimit: fileLimit)
                logger.info("file descriptor limit", metadata: [
                    "soft": "\(files.map { "\($0.soft)" } ?? "unknown")", "hard": "\(files.map { "\($0.hard)" } ?? "unknown")",
                    "max_connections": "\(settings.maxConnections ?? 0)",
                ])
                let server = try await NodeServer.open(settings, options: options, metrics: registry, logger: logger)
                if exitWithParent { ParentWatch.start(parent: parent, logger: logger) }
                try await server.run()
            }
        }
    }
}

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster", abstract: "Look at a running cluster.", subcommands: [Status.self])

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each node's role, term, leader, indexes and head.",
            discussion: "Exits 1 when no node answers or no leader is known.")
        @OptionGroup var nodes: NodeOptions
        @Flag(name: .long, help: "One JSON line per node.") var json = false

        func run() async throws {
            try await reportingErrors {
                let urls = try nodes.urls()
                var rows: [[String]] = [["node", "url", "role", "term", "leader", "commit", "applied", "height", "head"]]
                var leaders = Set<String>()
                for url in urls {
                    let client = try NodeClient(nodes: [url])
                    do {
                        let bytes = try await client.withRounds(1).call("/v1/status")
                        if json { writeOut(bytes) }
                        let s = try JSONForm.decode(NodeStatus.self, from: bytes)
                        if let leader = s.leader { leaders.insert(leader) }
                        rows.append([s.node, url, s.role, "\(s.term)", s.leader ?? "-", "\(s.commit)", "\(s.applied)",
                                     "\(s.head.height)", String(s.head.blockHash.hex.prefix(16))])
                    } catch {
                        if json { print("{\"url\":\"\(url)\",\"error\":\"unreachable\"}") }
                        rows.append(["?", url, "down", "-", "-", "-", "-", "-", "-"])
                    }
                }
                if !json { printTable(rows) }
                guard !leaders.isEmpty else { throw TalonError(.noLeader, "no node reports a leader") }
            }
        }
    }
}

/// Which nodes a client command talks to.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "A node's API URL (repeat or comma-separate for fall-backs).") var node: [String] = []
    @Option(name: .long, help: "A genesis file whose members' API addresses to use when --node is not given.") var genesis: String?

    func urls() throws -> [String] { try Self.urls(node, genesis: try genesis.map { try GenesisFile(path: $0) }) }

    /// `node` when given, else the API addresses of `genesis`'s members.
    static func urls(_ node: [String], genesis: GenesisFile?) throws -> [String] {
        if !node.isEmpty { return node.flatMap { $0.split(separator: ",").map { NodeClient.normalize(String($0)) } } }
        if let genesis { return genesis.genesis.members.map { NodeClient.normalize($0.api) } }
        throw TalonError(.noNode, "give --node URL or --genesis FILE")
    }
}

/// Prints rows as aligned columns.
func printTable(_ rows: [[String]]) {
    let widths = rows.reduce(into: [Int](repeating: 0, count: rows.first?.count ?? 0)) { w, row in
        for (i, cell) in row.enumerated() where i < w.count { w[i] = max(w[i], cell.count) }
    }
    for row in rows {
        print(row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
}
