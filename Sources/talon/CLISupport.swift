import ArgumentParser
import Foundation
import TalonCrypto
import TalonGate
import TalonLedger
import TalonNode
import TalonStore

/// A failure the CLI reports as `error[code]: message` and exit status 1.
struct CLIError: Error, CustomStringConvertible {
    let code: String
    let message: String
    var description: String { "error[\(code)]: \(message)" }
}

/// Runs `body`, turning Talon's errors into a one-line message and exit status 1.
func reportingErrors<R>(_ body: () throws -> R) throws -> R {
    do { return try body() } catch { throw reported(error) }
}

/// Runs `body`, turning Talon's errors into a one-line message and exit status 1.
func reportingErrors<R>(_ body: () async throws -> R) async throws -> R {
    do { return try await body() } catch { throw reported(error) }
}

/// Prints a Talon error as `error[code]: message` and turns it into exit status 1; passes
/// anything else (argument errors, exit codes) on.
private func reported(_ error: any Error) -> any Error {
    let (code, message): (String, String)
    switch error {
    case let e as LedgerError: (code, message) = (e.code, e.message)
    case let e as CryptoError: (code, message) = (e.code, e.message)
    case let e as StoreError: (code, message) = (e.code, e.message)
    case let e as NodeError: (code, message) = (e.code, e.message)
    case let e as CLIError: (code, message) = (e.code, e.message)
    case let e as GateError: (code, message) = (e.code, e.message)
    case let e as QRError: (code, message) = (e.code, e.message)
    default: return error
    }
    writeErr("error[\(code)]: \(message)\n")
    return ExitCode(1)
}

/// Prints a value as one line of JSON (or indented with `pretty`).
func printJSON(_ value: some Encodable, pretty: Bool = false) {
    writeOut(JSONForm.encode(value, pretty: pretty) + [0x0A])
}

/// Writes bytes to standard output. When the reader has gone (`talon … | head`), stops
/// quietly with status 0 instead of trapping, as Foundation's non-throwing write would.
func writeOut(_ bytes: [UInt8]) {
    do { try FileHandle.standardOutput.write(contentsOf: bytes) } catch { exit(0) }
}

/// Writes text to standard error, ignoring a closed stream.
func writeErr(_ text: String) {
    try? FileHandle.standardError.write(contentsOf: Array(text.utf8))
}

/// Reads a public key given as `ed25519:…` text or as the path of a key file.
func publicKey(_ text: String) throws -> PublicKey {
    if text.hasPrefix(PublicKey.textPrefix) { return try PublicKey(text: text) }
    return try SigningKey.load(from: text).publicKey
}

/// Parses a time given as integer milliseconds since the epoch or as ISO 8601 (`2026-12-31T20:00:00Z`).
func parseTime(_ text: String, _ field: String) throws -> Int64 {
    if let ms = Int64(text) { return ms }
    let f = ISO8601DateFormatter()
    for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
        f.formatOptions = options
        if let d = f.date(from: text) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
    }
    throw CLIError(code: "invalid_argument", message: "\(field): expected milliseconds since the epoch or ISO 8601 like 2026-12-31T20:00:00Z, got '\(text)'")
}

/// Milliseconds since the epoch, now.
func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

/// Reads a whole file, or standard input for `-`.
func readInput(_ path: String) throws -> [UInt8] {
    if path == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw CLIError(code: "io_error", message: "cannot read \(path)")
    }
    return Array(data)
}

/// Options naming a ledger store directory.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The ledger's store directory.")
    var store: String
}
