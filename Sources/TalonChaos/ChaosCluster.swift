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

/// Real `talon node run` processes on loopback whose peer links all pass through proxies:
/// member `a` reaches member `b` through `proxies[a][b]` (`--dial`), so each directed link
/// can be blackholed, delayed or cut on its own. Members are 0-based here, `n1`… outside.
final class ChaosCluster: Sendable {
    let talon: String
    let directory: String
    let genesisPath: String
    let genesis: GenesisFile
    let issuer: SigningKey
    let apiPorts: [Int]
    let peerPorts: [Int]
    /// `proxies[a][b]`: the link a→b (nil when a == b).
    let proxies: [[ChaosProxy?]]
    /// Extra arguments for every member's `talon node run`.
    let nodeArguments: [String]
    private let processes = Mutex<[Int: Process]>([:])

    var size: Int { apiPorts.count }
    func name(_ i: Int) -> String { "n\(i + 1)" }
    func log(_ i: Int) -> String { directory + "/\(name(i)).log" }
    func store(_ i: Int) -> String { directory + "/data/\(name(i))" }

    private init(talon: String, directory: String, genesisPath: String, genesis: GenesisFile, issuer: SigningKey,
                 apiPorts: [Int], peerPorts: [Int], proxies: [[ChaosProxy?]], nodeArguments: [String]) {
        self.talon = talon; self.directory = directory; self.genesisPath = genesisPath; self.genesis = genesis
        self.issuer = issuer; self.apiPorts = apiPorts; self.peerPorts = peerPorts; self.proxies = proxies
        self.nodeArguments = nodeArguments
    }

    /// Writes a genesis of `size` members with fresh keys into `directory` and starts a proxy
    /// for every ordered pair of members. No node is started yet; each will be started with
    /// `nodeArguments` besides its own.
    static func create(talon: String, directory: String, size: Int, group: any EventLoopGroup,
                       nodeArguments: [String] = []) async throws -> ChaosCluster {
        try FileManager.default.createDirectory(atPath: directory + "/keys", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let ports = try await freePorts(2 * size, group: group)
        let peerPorts = Array(ports[0..<size]), apiPorts = Array(ports[size...])
        var members: [Genesis.Member] = []
        for i in 0..<size {
            let key = SigningKey.generate()
            try key.write(to: directory + "/keys/n\(i + 1).key")
            members.append(.init(id: "n\(i + 1)", peer: "127.0.0.1:\(peerPorts[i])", api: "127.0.0.1:\(apiPorts[i])", key: key.publicKey))
        }
        let issuer = SigningKey.generate(), admin = SigningKey.generate()
        let bytes = Genesis(chainID: "talon-chaos", note: "talon chaos", members: members, admins: [admin.publicKey],
                            issuers: [.init(key: issuer.publicKey, name: "Chaos issuer")]).fileBytes
        let path = directory + "/genesis.json"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var proxies: [[ChaosProxy?]] = []
        for a in 0..<size {
            var row: [ChaosProxy?] = []
            for b in 0..<size {
                row.append(a == b ? nil : try await ChaosProxy.start(target: ("127.0.0.1", peerPorts[b]), group: group))
            }
            proxies.append(row)
        }
        return ChaosCluster(talon: talon, directory: directory, genesisPath: path, genesis: try GenesisFile(bytes: bytes),
                            issuer: issuer, apiPorts: apiPorts, peerPorts: peerPorts, proxies: proxies, nodeArguments: nodeArguments)
    }

    /// Ports free now, found by binding port 0 and closing.
    static func freePorts(_ count: Int, group: any EventLoopGroup) async throws -> [Int] {
        var ports: [Int] = [], channels: [any Channel] = []
        for _ in 0..<count {
            let c = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
            channels.append(c)
            ports.append(c.localAddress?.port ?? 0)
        }
        for c in channels { try? await c.close() }
        return ports
    }

    /// Starts member `i` with `extra` arguments to `talon node run`, appending its output
    /// to its log. The output passes through a pipe that the harness copies to the log, so a
    /// member under a file-size limit (`limitFileSize`) still logs.
    func start(_ i: Int, extra: [String] = []) throws {
        let path = log(i)
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: talon)
        // A chaos run that is killed leaves no node behind (`--exit-with-parent`).
        var args = ["node", "run", "--data", store(i), "--genesis", genesisPath, "--node", name(i), "--key", directory + "/keys/\(name(i)).key",
                    "--exit-with-parent"]
        for b in 0..<size where b != i { args += ["--dial", "\(name(b))=127.0.0.1:\(proxies[i][b]?.port ?? 0)"] }
        p.arguments = args + nodeArguments + extra
        let output = Pipe()
        p.standardOutput = output
        p.standardError = output
        p.standardInput = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { reader in
            let data = reader.availableData
            if data.isEmpty {
                reader.readabilityHandler = nil
                try? handle.close()
            } else {
                handle.write(data)
            }
        }
        try p.run()
        try? output.fileHandleForWriting.close()
        processes.withLock { $0[i] = p }
    }

    /// Sets member `i`'s soft limit on file size to `bytes`, or back to its hard limit when
    /// nil (`FileSizeLimit`). True when it was set.
    @discardableResult
    func limitFileSize(_ i: Int, to bytes: Int?) -> Bool {
        guard let pid = processes.withLock({ $0[i]?.processIdentifier }) else { return false }
        return FileSizeLimit.set(pid, to: bytes)
    }

    /// Sends `signal` to member `i`; true when it has a process.
    @discardableResult
    func signal(_ i: Int, _ signal: Int32) -> Bool {
        guard let pid = processes.withLock({ $0[i]?.processIdentifier }) else { return false }
        return kill(pid, signal) == 0
    }

    /// Sends `signal` to member `i` and waits up to `timeout` seconds for it to exit, then
    /// SIGKILLs it.
    func stop(_ i: Int, signal: Int32 = SIGKILL, timeout: Double = 10) async {
        guard let p = processes.withLock({ $0.removeValue(forKey: i) }) else { return }
        kill(p.processIdentifier, SIGCONT)
        kill(p.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        while p.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// SIGKILLs every member still running. Safe to call twice.
    func killAll() {
        let all = processes.withLock { p in defer { p.removeAll() }; return Array(p.values) }
        for p in all where p.isRunning { kill(p.processIdentifier, SIGCONT); kill(p.processIdentifier, SIGKILL) }
        for p in all { p.waitUntilExit() }
    }

    /// Every proxy back to passing.
    func healNetwork() {
        for row in proxies { for p in row { p?.set(.pass) } }
    }

    /// Blackholes every link between `isolated` and the other members, both ways; with
    /// `cut` false, lets those links pass again.
    func partition(_ isolated: Set<Int>, cut: Bool = true) {
        for a in 0..<size {
            for b in 0..<size where a != b && isolated.contains(a) != isolated.contains(b) { proxies[a][b]?.set(cut ? .drop : .pass) }
        }
    }

    func closeProxies() async {
        for row in proxies { for p in row { await p?.close() } }
    }
}
