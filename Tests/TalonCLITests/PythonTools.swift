import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The tests' Python tools from PyPI (PyYAML, openapi-spec-validator, schemathesis), pinned in
/// Tests/openapi/requirements.txt and installed by `scripts/deps test` into a venv:
/// `$TALON_PY_VENV` (exported by `scripts/test`), else .build-py/venv of this package. A test
/// that needs one fails without it; none is skipped.
enum PythonTools {
    /// The package root: Tests/TalonCLITests/PythonTools.swift is three levels down.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let venv: String = {
        if let venv = ProcessInfo.processInfo.environment["TALON_PY_VENV"], !venv.isEmpty { return venv }
        return root.appendingPathComponent(".build-py/venv").path
    }()

    /// Tests/openapi/NAME.
    static func file(_ name: String) -> String { root.appendingPathComponent("Tests/openapi/\(name)").path }

    /// The venv's `bin/NAME`; fails the calling test when it is not there.
    static func require(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = "\(venv)/bin/\(name)"
        try #require(FileManager.default.isExecutableFile(atPath: path),
                     "\(path) is missing: `scripts/deps test` installs the tests' Python tools (or set TALON_PY_VENV)",
                     sourceLocation: sourceLocation)
        return path
    }

    struct Output: Sendable, CustomStringConvertible {
        let command: String
        /// The exit status, or nil when the run was killed at its time limit.
        let status: Int32?
        /// Standard output and standard error, interleaved.
        let text: String

        var lines: [String] { text.split(separator: "\n").map(String.init) }
        var description: String { "\(command) → \(status.map { "exit \($0)" } ?? "killed at its time limit")\n\(text)" }
    }

    /// Runs `executable arguments…` in `directory` with the venv's bin first on PATH (and `extra`
    /// in its environment), its output
    /// in a file (no pipe can fill up); SIGKILLed after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], in directory: URL, timeout: Double,
                    environment extra: [String: String] = [:]) async throws -> Output {
        let log = directory.appendingPathComponent("python-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close(); try? FileManager.default.removeItem(at: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "\(venv)/bin:" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["PYTHONDONTWRITEBYTECODE"] = "1"
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let pid = process.processIdentifier
        let finished = (try? await onOwnThread { exited.wait(timeout: .now() + timeout) == .success }) ?? false
        if !finished {
            kill(pid, SIGKILL)
            exited.wait()
        }
        let text = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
        let command = ([executable] + arguments).joined(separator: " ")
        return Output(command: command, status: finished ? process.terminationStatus : nil, text: text)
    }
}
