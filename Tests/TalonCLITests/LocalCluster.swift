import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Real `talon node run` processes on loopback, from a genesis written into a sandbox.
/// Every process is SIGKILLed by `stopAll()`, which `withCluster` always calls.
final class LocalCluster: Sendable {
    let sandbox: Sandbox
    let chain: ChainFiles
    let size: Int
    let peerBase: Int, apiBase: Int
    private let processes = Mutex<[Int: Process]>([:])

    init(sandbox: Sandbox, size: Int) async throws {
        self.sandbox = sandbox
        self.size = size
        let base = try Self.freePortBase(count: size * 2)
        peerBase = base
        apiBase = base + size
        let run = try await sandbox.talon("genesis", "init", "--nodes", String(size), "--out", sandbox.path("net"),
                                          "--chain-id", "talon-cluster-test", "--peer-port", String(peerBase), "--api-port", String(apiBase))
        try #require(run.status == 0, "\(run)")
        let genesis = sandbox.path("net/genesis.json")
        chain = ChainFiles(genesis: genesis, issuer: sandbox.path("net/keys/issuer.key"), admin: sandbox.path("net/keys/admin.key"),
                           genesisBytes: Array(try Data(contentsOf: URL(fileURLWithPath: genesis))))
    }

    /// Node `i`'s (1-based) API address.
    func api(_ i: Int) -> String { "127.0.0.1:\(apiBase + i - 1)" }
    func peer(_ i: Int) -> String { "127.0.0.1:\(peerBase + i - 1)" }
    var nodes: ClosedRange<Int> { 1...size }
    var apis: [String] { nodes.map(api) }

    /// Starts node `i` with `arguments` after the usual ones; its standard output and error
    /// are appended to `n<i>.log`.
    func start(_ i: Int, arguments extra: [String] = []) throws {
        let log = sandbox.path("n\(i).log")
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TalonBinary.path)
        // `--exit-with-parent`: should this test process die without `stopAll()`, the node
        // stops too instead of running on as an orphan.
        p.arguments = ["node", "run", "--data", sandbox.path("data/n\(i)"), "--genesis", chain.genesis, "--node", "n\(i)",
                       "--key", sandbox.path("net/keys/n\(i).key"), "--exit-with-parent"] + extra
        p.standardOutput = handle
        p.standardError = handle
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? handle.close()
        processes.withLock { $0[i] = p }
    }

    func startAll(arguments: [String] = []) throws { for i in nodes { try start(i, arguments: arguments) } }

    /// Sends `signal` to node `i` and waits (up to `timeout` seconds) for it to exit;
    /// returns its exit status, or nil if it still runs (it is then SIGKILLed).
    @discardableResult
    func stop(_ i: Int, signal: Int32 = SIGKILL, timeout: Double = 15) async -> Int32? {
        guard let p = processes.withLock({ $0.removeValue(forKey: i) }) else { return nil }
        kill(p.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return nil
        }
        return p.terminationStatus
    }

    /// Member `i`'s process id while it runs.
    func pid(_ i: Int) -> Int32? { processes.withLock { $0[i]?.processIdentifier } }

    func isRunning(_ i: Int) -> Bool { processes.withLock { $0[i]?.isRunning ?? false } }

    /// SIGKILLs every process still running. Safe to call twice.
    func stopAll() {
        let all = processes.withLock { p in defer { p.removeAll() }; return Array(p.values) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        for p in all { p.waitUntilExit() }
    }

    /// The last lines of every node's log, for a failing test's message.
    func logs() -> String {
        nodes.map { i in
            let text = (try? String(contentsOfFile: sandbox.path("n\(i).log"), encoding: .utf8)) ?? ""
            return "--- n\(i).log\n" + text.split(separator: "\n").suffix(30).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    // MARK: - Asking the nodes

    /// `GET /v1/status` of node `i`, or nil when it does not answer.
    func status(_ i: Int) async -> NodeStatus? {
        guard let reply = try? await RawHTTP.request("GET", api(i), "/v1/status", timeout: 3), reply.status == 200 else { return nil }
        return try? decode(NodeStatus.self, reply.body)
    }

    /// Waits until one of `among` reports itself leader and a majority of them agree; returns it.
    func waitForLeader(among: [Int]? = nil, timeout: Double = 20) async throws -> Int {
        let candidates = among ?? Array(nodes)
        let deadline = Date().addingTimeInterval(timeout)
        // Time, and a few rounds at least: a test process starved for a while still asks.
        var rounds = 0
        while Date() < deadline || rounds < 10 {
            rounds += 1
            var statuses: [Int: NodeStatus] = [:]
            for i in candidates { if let s = await status(i) { statuses[i] = s } }
            if let (i, s) = statuses.first(where: { $0.value.role == "leader" }),
               statuses.values.filter({ $0.leader == s.node && $0.term == s.term }).count > size / 2 {
                return i
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SandboxError("no leader among \(candidates) after \(timeout) s\n\(logs())")
    }

    /// Waits until every node in `among` has applied the same height with the same head.
    func waitForSameHead(among: [Int]? = nil, timeout: Double = 20) async throws -> HeadJSON {
        let candidates = among ?? Array(nodes)
        let deadline = Date().addingTimeInterval(timeout)
        var last: [HeadJSON?] = []
        var rounds = 0
        while Date() < deadline || rounds < 10 {
            rounds += 1
            last = []
            for i in candidates { last.append(await status(i)?.head) }
            if let first = last.first ?? nil, last.allSatisfy({ $0 == first }) { return first }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SandboxError("nodes \(candidates) did not converge on one head in \(timeout) s: \(last)\n\(logs())")
    }

    /// POSTs `body` to each node in turn, starting with `first`, until one answers with
    /// something other than 503 or a failed connection, or `timeout` passes.
    func submit(_ body: String, first: Int = 1, timeout: Double = 30) async throws -> RawHTTP.Reply {
        let deadline = Date().addingTimeInterval(timeout)
        var i = first, lastError = "", attempts = 0
        while Date() < deadline || attempts < 2 * size {
            attempts += 1
            do {
                let reply = try await RawHTTP.request("POST", api(i), "/v1/envelopes", body: body, timeout: 12)
                if reply.status != 503 { return reply }
                lastError = reply.description
            } catch {
                lastError = "\(error)"
            }
            i = i % size + 1
            try await Task.sleep(for: .milliseconds(20))
        }
        throw SandboxError("no node accepted the submission in \(timeout) s; last: \(lastError)\n\(logs())")
    }

    /// A range of `count` consecutive loopback ports that are free now.
    static func freePortBase(count: Int) throws -> Int {
        for _ in 0..<50 {
            // Below Linux's ephemeral range (32768–60999), so no outgoing connection takes one meanwhile.
            let base = Int.random(in: 12_000...(32_000 - count))
            if (base..<(base + count)).allSatisfy(portIsFree) { return base }
        }
        throw SandboxError("no run of \(count) free ports found")
    }

    private static func portIsFree(_ port: Int) -> Bool {
        guard let port = UInt16(exactly: port) else { return false }
        let fd = IPv4.tcpSocket()
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return IPv4.withAddress("127.0.0.1", port) { bind(fd, $0, $1) } == 0
    }
}

/// Runs `body` with a cluster of `size` nodes (not yet started) in a fresh sandbox; every
/// node process is killed and the sandbox removed afterwards, whatever happens.
func withCluster<R>(size: Int = 3, _ body: (LocalCluster) async throws -> R) async throws -> R {
    try await withSandbox { s in
        let cluster = try await LocalCluster(sandbox: s, size: size)
        defer { cluster.stopAll() }
        return try await body(cluster)
    }
}

/// `GET /v1/status`, decoded by the tests' own type.
struct NodeStatus: Decodable, Sendable {
    let node: String
    let role: String
    let term: UInt64
    let leader: String?
    let commit: UInt64
    let applied: UInt64
    let head: HeadJSON
    /// Set while the node's writes find no space (absent from builds before it).
    let storeFull: Bool?
}

/// One answer of `POST /v1/envelopes` for a single envelope.
struct SubmitReply: Decodable, Sendable {
    let hash: String
    let height: UInt64?
    let leaf: UInt64?
    let position: UInt32?
    let result: String?
}

/// An `application/problem+json` body.
struct ProblemJSON: Decodable, Sendable {
    let status: Int
    let code: String
    let detail: String
}
