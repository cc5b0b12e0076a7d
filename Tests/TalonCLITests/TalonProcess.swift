import Foundation
import TalonTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The `talon` binary under test: `$TALON_BIN` (exported by `scripts/test`), else the debug
/// build of the package this file belongs to.
enum TalonBinary {
    static let path: String = {
        if let bin = ProcessInfo.processInfo.environment["TALON_BIN"], !bin.isEmpty { return bin }
        // Tests/TalonCLITests/TalonProcess.swift → the package root is three levels up.
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/talon").path
    }()
}

/// What one run of `talon` gave.
struct Run: Sendable, CustomStringConvertible {
    let arguments: [String]
    let status: Int32
    let stdout: String
    let stderr: String

    /// Non-empty lines of standard output.
    var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

    var description: String {
        "talon \(arguments.joined(separator: " ")) → exit \(status)\n--- stdout\n\(stdout)--- stderr\n\(stderr)"
    }
}

/// A scratch directory for one test, removed afterwards, in which `talon` runs.
final class Sandbox: Sendable {
    let dir: URL
    /// Seconds a single `talon` run may take before it is killed.
    static let timeout: Double = 60

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("talon-cli-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".io"), withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    /// An absolute path inside the sandbox.
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// Writes one envelope per line and returns the path.
    func writeLines(_ name: String, _ lines: [String]) throws -> String {
        try write(name, lines.map { $0 + "\n" }.joined())
    }

    /// Runs `talon args…` in the sandbox, with standard output and error captured to files
    /// (no pipe can fill up), killing it after `timeout` seconds.
    func talon(_ args: String..., stdin: String? = nil) async throws -> Run {
        try await talon(args, stdin: stdin)
    }

    func talon(_ args: [String], stdin: String? = nil, timeout: Double = Sandbox.timeout) async throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: TalonBinary.path) else {
            throw SandboxError("no talon binary at \(TalonBinary.path); run `swift build` or set TALON_BIN")
        }
        let io = dir.appendingPathComponent(".io")
        let id = UUID().uuidString
        let outURL = io.appendingPathComponent("\(id).out"), errURL = io.appendingPathComponent("\(id).err")
        let inURL = io.appendingPathComponent("\(id).in")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: inURL.path, contents: Data((stdin ?? "").utf8))
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let input = try FileHandle(forReadingFrom: inURL)
        defer {
            try? out.close(); try? err.close(); try? input.close()
            for url in [outURL, errURL, inURL] { try? FileManager.default.removeItem(at: url) }
        }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: TalonBinary.path)
        process.arguments = args
        process.currentDirectoryURL = dir
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let pid = process.processIdentifier

        // Wait on a GCD thread, not on the test's executor.
        let finished = (try? await onOwnThread { exited.wait(timeout: .now() + timeout) == .success }) ?? false
        if !finished {
            kill(pid, SIGKILL)
            exited.wait()
            Issue.record("talon \(args.joined(separator: " ")) ran longer than \(Int(timeout)) s and was killed")
        }
        let stdout = String(decoding: (try? Data(contentsOf: outURL)) ?? Data(), as: UTF8.self)
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return Run(arguments: args, status: finished ? process.terminationStatus : -1, stdout: stdout, stderr: stderr)
    }
}

struct SandboxError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs `body` with a fresh sandbox and removes it afterwards, whatever happens.
func withSandbox<R>(_ body: (Sandbox) async throws -> R) async throws -> R {
    let sandbox = try Sandbox()
    defer { sandbox.remove() }
    return try await body(sandbox)
}

// MARK: - A chain to work on

/// A key file written by `talon keys new`, with the public key it printed.
struct KeyFile: Sendable {
    let path: String
    let publicKey: String
}

/// A genesis written by `talon genesis init`.
struct ChainFiles: Sendable {
    let genesis: String
    let issuer: String
    let admin: String
    /// The genesis file's exact bytes.
    let genesisBytes: [UInt8]
}

extension Sandbox {
    /// `talon genesis init --out NAME`, requiring success.
    func genesis(_ name: String = "net", chainId: String? = nil) async throws -> ChainFiles {
        var args = ["genesis", "init", "--nodes", "3", "--out", path(name)]
        if let chainId { args += ["--chain-id", chainId] }
        let run = try await talon(args)
        try #require(run.status == 0, "\(run)")
        let genesis = path(name) + "/genesis.json"
        return ChainFiles(genesis: genesis, issuer: path(name) + "/keys/issuer.key", admin: path(name) + "/keys/admin.key",
                          genesisBytes: Array(try Data(contentsOf: URL(fileURLWithPath: genesis))))
    }

    /// `talon keys new --out NAME.key`, requiring success and one public key on stdout.
    func newKey(_ name: String) async throws -> KeyFile {
        let p = path(name + ".key")
        let run = try await talon("keys", "new", "--out", p)
        try #require(run.status == 0, "\(run)")
        let text = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(text.hasPrefix("ed25519:") && text.count == 8 + 64, "\(run)")
        return KeyFile(path: p, publicKey: text)
    }

    /// `talon op KIND --key KEY --genesis G --nonce N ARGS…`, requiring success and exactly one
    /// line of JSON; returns that line.
    func op(_ kind: String, key: String, genesis: String, nonce: UInt64, _ args: String...) async throws -> String {
        try await op(kind, key: key, genesis: genesis, nonce: nonce, args)
    }

    func op(_ kind: String, key: String, genesis: String, nonce: UInt64, _ args: [String]) async throws -> String {
        let run = try await talon(["op", kind, "--key", key, "--genesis", genesis, "--nonce", String(nonce)] + args)
        try #require(run.status == 0, "\(run)")
        try #require(run.lines.count == 1, "\(run)")
        return run.lines[0]
    }

    /// `talon ledger head --store S`, requiring success.
    func head(_ store: String) async throws -> (run: Run, head: HeadJSON) {
        let run = try await talon("ledger", "head", "--store", store)
        try #require(run.status == 0, "\(run)")
        return (run, try decode(HeadJSON.self, run.stdout))
    }

    /// `talon ledger verify --store S` (any exit status) with its decoded report.
    func verify(_ store: String, replay: Bool = true) async throws -> (run: Run, report: VerifyJSON) {
        let run = try await talon(["ledger", "verify", "--store", store] + (replay ? [] : ["--no-replay"]))
        let report = try decode(VerifyJSON.self, run.lines.first ?? "", context: run)
        return (run, report)
    }
}

// MARK: - The CLI's JSON outputs, decoded by the tests' own types

func decode<T: Decodable>(_ type: T.Type, _ text: String, context: Run? = nil) throws -> T {
    let d = JSONDecoder()
    d.keyDecodingStrategy = .convertFromSnakeCase
    do { return try d.decode(T.self, from: Data(text.utf8)) } catch {
        throw SandboxError("cannot decode \(T.self) from \(text.debugDescription): \(error)\(context.map { "\n\($0)" } ?? "")")
    }
}

/// One line of `ledger append` output.
struct AppendLine: Decodable, Sendable {
    let line: Int
    let hash: String?
    let height: UInt64?
    let leaf: UInt64?
    let result: String?
    let error: String?
    let message: String?
}

struct HeadJSON: Decodable, Equatable, Sendable {
    let blockHash: String
    let height: UInt64
    let timestamp: Int64
    let treeRoot: String
    let treeSize: UInt64
}

extension FormatModel.ExpectedBlock {
    /// The head this block makes, as the CLI prints one.
    var head: HeadJSON {
        HeadJSON(blockHash: FormatModel.hex(hash), height: height, timestamp: timestamp, treeRoot: FormatModel.hex(treeRoot), treeSize: treeSize)
    }
}

struct VerifyJSON: Decodable, Sendable {
    struct Failure: Decodable, Sendable {
        let height: UInt64
        let leaf: UInt64?
        let message: String
    }
    let ok: Bool
    let blocks: UInt64
    let envelopes: UInt64
    let replayed: Bool
    let head: HeadJSON?
    let failure: Failure?
}

struct TicketView: Decodable, Sendable {
    let ticketId: String
    let eventId: String
    let section: String
    let seat: String
    let faceValue: UInt64
    let holder: String
    let status: String
    let sequence: UInt64
    let redeemedBy: String?
    let redeemedAt: Int64?
    let issuedHeight: UInt64
    let updatedHeight: UInt64
    /// What the holder paid and the amount refunded (absent from ledgers before contracts).
    let paid: UInt64?
    let refund: UInt64?
}

struct ReceiptJSON: Decodable, Sendable {
    let height: UInt64
    let leaf: UInt64
    let position: UInt32
    let result: String
}

/// A line of `ticket history`, or the output of `ledger record`.
struct RecordJSON: Decodable, Sendable {
    let envelope: EnvelopeJSON
    let hash: String
    let receipt: ReceiptJSON
}

struct BlockJSON: Decodable, Sendable {
    struct Entry: Decodable, Sendable {
        let envelope: String
        let result: String
    }
    let height: UInt64
    let hash: String
    let prev: String
    let timestamp: Int64
    let treeSize: UInt64
    let treeRoot: String
    let entries: [Entry]
}
