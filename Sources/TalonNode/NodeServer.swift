import Hummingbird
public import Logging
import NIOCore
import NIOPosix
public import Prometheus
import ServiceLifecycle
import UnixSignals
import TalonContracts
public import TalonProtocol
import TalonLedger
import TalonRaft
import TalonStore

/// Where a node keeps its data and listens, read from flags or a config file.
public struct NodeConfig: Sendable, Codable {
    /// The data directory (LMDB store: ledger and Raft log).
    public var data: String
    /// The genesis file.
    public var genesis: String
    /// This member's id in the genesis (`n1`).
    public var node: String
    /// The member's private key file (its public key must match the genesis).
    public var key: String
    /// Addresses to listen on; default: the member's `peer` and `api` from the genesis.
    public var peer: String?
    public var api: String?
    /// Where to reach other members instead of their genesis peer addresses, by member id
    /// (`dial` in a config file): for a member behind a tunnel, a NAT or a proxy. The chaos
    /// harness points each member's links at proxies it controls this way.
    public var dial: [String: String]?
    /// The most API connections open at once (`max_connections` in a config file); default
    /// `defaultMaxConnections`, less when the file-descriptor limit is low.
    public var maxConnections: Int?
    /// The most loaded contracts kept in memory, and the most bytes they may hold
    /// (`contract_cache`, `contract_cache_bytes`); default `ContractEngine.Capacity.standard`.
    public var contractCache: Int?
    public var contractCacheBytes: Int64?
    /// Event-loop threads serving the API (`api_threads` in a config file); default
    /// `defaultAPIThreads(cores:)`.
    public var apiThreads: Int?

    public init(data: String, genesis: String, node: String, key: String, peer: String? = nil, api: String? = nil,
                maxConnections: Int? = nil) {
        self.data = data; self.genesis = genesis; self.node = node; self.key = key; self.peer = peer; self.api = api
        self.maxConnections = maxConnections
    }

    enum CodingKeys: String, CodingKey {
        case data, genesis, node, key, peer, api, dial, maxConnections = "max_connections"
        case contractCache = "contract_cache", contractCacheBytes = "contract_cache_bytes", apiThreads = "api_threads"
    }

    /// The contract cache these settings ask for.
    var contractCapacity: ContractEngine.Capacity {
        let standard = ContractEngine.Capacity.standard
        return ContractEngine.Capacity(count: contractCache ?? standard.count, bytes: max(1 << 20, contractCacheBytes ?? standard.bytes))
    }

    /// The API's event-loop threads when none is asked for: one per core but one, which is
    /// left to the node's loop, its peer links and the disk (docs/operations.md "Performance",
    /// "One API thread on two cores").
    public static func defaultAPIThreads(cores: Int) -> Int { max(1, cores - 1) }

    /// The API's event-loop threads to run with on `cores` cores: `requested`, or the default.
    /// - Throws: `TalonError` `invalid_option` when `requested` is not in 1...256.
    public static func apiThreads(requested: Int?, cores: Int) throws(TalonError) -> Int {
        guard let requested else { return defaultAPIThreads(cores: cores) }
        guard (1...256).contains(requested) else {
            throw TalonError(.invalidOption, "--api-threads must be in 1...256, got \(requested)")
        }
        return requested
    }

    /// The API connection limit when none is given.
    public static let defaultMaxConnections = 1024
    /// File descriptors kept for everything but API connections: the store, peer links
    /// (inbound handshakes included), refused API connections being answered, logs and the
    /// runtime.
    public static let reservedDescriptors = 256

    /// The API connection limit to run with under a file-descriptor limit of `fileLimit`:
    /// `requested`, or the default lowered to leave `reservedDescriptors` free.
    /// - Throws: `TalonError` `invalid_option` when `requested` is below 1 or leaves fewer
    ///   than `reservedDescriptors` descriptors free.
    public static func maxConnections(requested: Int?, fileLimit: Int) throws(TalonError) -> Int {
        let room = fileLimit - reservedDescriptors
        guard let requested else { return max(16, min(defaultMaxConnections, room)) }
        guard requested >= 1 else {
            throw TalonError(.invalidOption, "--max-connections must be at least 1, got \(requested)")
        }
        guard requested <= room else {
            throw TalonError(.invalidOption, "--max-connections \(requested) leaves too few file descriptors: the limit is "
                            + "\(fileLimit) and the node keeps \(reservedDescriptors) for its store, peers and logs "
                            + "(raise the hard limit, ulimit -Hn, or ask for at most \(max(0, room)))")
        }
        return requested
    }
}

/// A whole node: store, Raft loop, peer transport and HTTP API, run as services that stop
/// together — gracefully on SIGTERM or SIGINT (HTTP first, then the loop, which flushes the
/// store), or all at once when one fails.
public struct NodeServer: Sendable {
    public let node: Node
    let transport: PeerTransport
    let listener: PeerListener
    let api: NodeAPI
    let apiAddress: (host: String, port: Int)
    let maxConnections: Int
    let apiThreads: Int
    let logger: Logger

    /// Opens the store and binds the peer port.
    /// - Throws: `TalonError`, `TalonError` (`genesis_mismatch` for a data directory of
    ///   another genesis), `TalonError` for an unreadable or world-readable key.
    public static func open(_ config: NodeConfig, options: Node.Options = Node.Options(),
                            metrics: PrometheusCollectorRegistry?, logger: Logger) async throws -> NodeServer {
        let apiThreads = try NodeConfig.apiThreads(requested: config.apiThreads, cores: System.coreCount)
        let genesis = try GenesisFile(path: config.genesis)
        let members = ClusterMembers(genesis)
        guard let id = members.id(named: config.node), let member = members.member(id) else {
            throw TalonError(.peerUnknownMember, "the genesis lists no member \(config.node)")
        }
        let key = try SigningKey.load(from: config.key)
        guard key.publicKey == member.key else {
            throw TalonError(.peerBadProof, "\(config.key) is not \(config.node)'s key: the genesis lists \(member.key)")
        }
        for name in (config.dial ?? [:]).keys.sorted() where members.id(named: name) == nil || name == config.node {
            throw TalonError(.invalidOption, "--dial names \(name.prefix(40)), which is not another member of the genesis")
        }
        var addresses: [NodeID: (host: String, port: Int)] = [:]
        for other in members.ids where other != id {
            guard let m = members.member(other) else { continue }
            addresses[other] = try Self.address(config.dial?[m.id] ?? m.peer, "peer address of \(m.id)")
        }
        let peerAddress = try Self.address(config.peer ?? member.peer, "peer address")
        let apiAddress = try Self.address(config.api ?? member.api, "API address")
        let core = try NodeCore(path: config.data, members: members, id: id, seed: UInt64.random(in: 1...UInt64.max),
                                options: TalonStore.Environment.Options(syncDelay: options.syncDelay), contractCache: config.contractCapacity)
        let transport = PeerTransport(members: members, me: id, key: key, addresses: addresses)
        let node = try Node(core: core, members: members, transport: transport, options: options, logger: logger)
        let listener = try await PeerTransport.bind(host: peerAddress.host, port: peerAddress.port)
        return NodeServer(node: node, transport: transport, listener: listener, api: NodeAPI(node: node, key: key, metrics: metrics),
                          apiAddress: apiAddress, maxConnections: config.maxConnections ?? NodeConfig.defaultMaxConnections,
                          apiThreads: apiThreads,
                          logger: logger)
    }

    /// Runs until SIGTERM or SIGINT, or until a part fails (then throws its error).
    public func run() async throws {
        // The API has event loops of its own, so a flood of API connections queues behind
        // other API work and never ahead of the peer links' reads and writes (Raft).
        let apiLoops = MultiThreadedEventLoopGroup(numberOfThreads: apiThreads)
        do {
            try await run(apiLoops: apiLoops)
        } catch {
            try? await apiLoops.shutdownGracefully()
            throw error
        }
        try await apiLoops.shutdownGracefully()
    }

    private func run(apiLoops: MultiThreadedEventLoopGroup) async throws {
        // At most `maxConnections` API connections (an idle one gives way to a newcomer, and
        // when all are busy a newcomer gets 503); an idle or stalled connection closes after
        // 30 s, and a graceful shutdown that outlives 15 s (a client holding a request open)
        // becomes a cancellation.
        let limit = ConnectionLimit(limit: maxConnections, logger: logger)
        let app = Application(router: api.router(),
                              server: .http1(configuration: .init(idleTimeout: .seconds(30)), limit: limit,
                                             submissions: api.submissionSettings(serverName: Self.serverName)),
                              configuration: .init(address: .hostname(apiAddress.host, port: apiAddress.port), serverName: Self.serverName,
                                                   backlog: Self.listenBacklog),
                              eventLoopGroupProvider: .shared(apiLoops),
                              logger: logger)
        let loop = NodeLoopService(node: node, transport: transport, listener: listener)
        var configuration = ServiceGroupConfiguration(
            services: [
                .init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
                .init(service: app, successTerminationBehavior: .gracefullyShutdownGroup, failureTerminationBehavior: .gracefullyShutdownGroup),
            ],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(15)
        let group = ServiceGroup(configuration: configuration)
        logger.info("node starting", metadata: [
            "node": "\(node.members.member(node.id)?.id ?? "?")", "peer_port": "\(listener.port)",
            "api": "\(apiAddress.host):\(apiAddress.port)", "max_connections": "\(maxConnections)", "api_threads": "\(apiThreads)",
        ])
        try await group.run()
    }

    /// The `Server` header of every answer.
    static let serverName = "talon"

    /// Connections the kernel may hold for the API before the node accepts them (Linux caps
    /// it at `net.core.somaxconn`, 4,096 by default). Deep enough that a burst of connections
    /// does not drop a real client's SYN, which would cost it a one-second retransmit.
    static let listenBacklog = 4096

    /// Parses `host:port`.
    static func address(_ text: String, _ what: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              colon > text.startIndex else {
            throw TalonError(.invalidAddress, "\(what) must be host:port, got \(text.prefix(80))")
        }
        return (String(text[..<colon]), port)
    }
}

/// The Raft loop and the peer transport as one service: it stops the loop on graceful
/// shutdown and ends the transport when the loop ends.
struct NodeLoopService: Service {
    let node: Node
    let transport: PeerTransport
    let listener: PeerListener

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await transport.run(listener) }
                group.addTask { try await node.run() }
                defer { group.cancelAll() }
                // The loop returns on shutdown or failure; the transport only when cancelled.
                try await group.next()
            }
        } onGracefulShutdown: {
            node.stop()
        }
    }
}
