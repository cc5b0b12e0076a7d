import ArgumentParser
import Foundation
import TalonContracts
import TalonProtocol
import TalonGate
import TalonLedger
import TalonNode
import TalonStore

/// A failure a node answered with: its code as the node sent it (a newer node may send one
/// this build's registry lacks, so it stays text), reported like any other error.
struct NodeFailure: Error, CustomStringConvertible {
    let code: String
    let message: String
    var description: String { "error[\(code)]: \(message)" }
}

/// Runs `body`, turning Talon's errors into a one-line message and exit status 1.
func reportingErrors<R>(_ body: () throws -> R) throws -> R {
    ignoreFileSizeSignal()
    do { return try body() } catch { throw reported(error) }
}

/// Runs `body`, turning Talon's errors into a one-line message and exit status 1.
func reportingErrors<R>(_ body: () async throws -> R) async throws -> R {
    ignoreFileSizeSignal()
    do { return try await body() } catch { throw reported(error) }
}

/// Past a file-size limit (`RLIMIT_FSIZE`, `ulimit -f`, `prlimit --fsize`) a write fails with
/// EFBIG, which the store reports as `store_full` (a node waits for space and goes on); the
/// default action of the SIGXFSZ that comes with it would kill the process instead.
private func ignoreFileSizeSignal() {
    signal(SIGXFSZ, SIG_IGN)
}

/// Prints any Talon error (every one carries a registered code) or a node's failure as
/// `error[code]: message` and turns it into exit status 1; passes anything else (argument
/// errors, exit codes) on.
private func reported(_ error: any Error) -> any Error {
    let (code, message): (String, String)
    switch error {
    case let e as TalonError: (code, message) = (e.code.name, e.message)
    case let e as ContractFailure: (code, message) = (e.code.name, e.description)
    case let e as NodeFailure: (code, message) = (e.code, e.message)
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
    throw TalonError(.invalidArgument, "\(field): expected milliseconds since the epoch or ISO 8601 like 2026-12-31T20:00:00Z, got '\(text)'")
}

/// Milliseconds since the epoch, now.
func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

/// The most any command reads from one input file (or standard input) unless it says less.
let defaultInputLimit = 256 << 20

/// Reads a whole file, or standard input for `-`, in chunks, refusing it with `io_error` as
/// soon as it is larger than `limit` bytes: `--image - < /dev/zero` stops at the limit
/// instead of growing until it is killed.
func readInput(_ path: String, limit: Int = defaultInputLimit) throws -> [UInt8] {
    let name = path == "-" ? "standard input" : path
    let fd: Int32 = path == "-" ? 0 : open(path, O_RDONLY)
    guard fd >= 0 else { throw TalonError(.ioError, "cannot read \(path)") }
    defer { if path != "-" { close(fd) } }
    func tooLarge() -> TalonError { TalonError(.ioError, "\(name) is larger than \(limit) bytes") }
    var info = stat()
    if fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > limit { throw tooLarge() }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw TalonError(.ioError, "cannot read \(path)")
        }
        if n == 0 { return bytes }
        if bytes.count + n > limit { throw tooLarge() }
        bytes.append(contentsOf: chunk[0..<n])
    }
}

/// Lines of a file descriptor (standard input by default), without the newline (and a
/// carriage return before it), each held to at most `limit` bytes: a longer line comes back
/// cut to `limit + 1` bytes, so the caller can refuse it, and the rest of it is read and
/// dropped. Memory stays bounded whatever the input.
struct BoundedLines: Sequence, IteratorProtocol {
    let fd: Int32
    let limit: Int
    private var chunk = [UInt8](repeating: 0, count: 16 << 10)
    private var start = 0, end = 0, finished = false

    init(fd: Int32 = 0, limit: Int) {
        self.fd = fd
        self.limit = limit
    }

    mutating func next() -> [UInt8]? {
        var line: [UInt8] = []
        var sawAny = false
        while true {
            if start == end {
                if finished { return sawAny ? trimmed(line) : nil }
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { finished = true; continue }
                start = 0
                end = n
            }
            sawAny = true
            let newline = chunk[start..<end].firstIndex(of: UInt8(ascii: "\n"))
            let stop = newline ?? end
            let room = limit + 1 - line.count
            if room > 0 { line.append(contentsOf: chunk[start..<Swift.min(stop, start + room)]) }
            start = newline.map { $0 + 1 } ?? end
            if newline != nil { return trimmed(line) }
        }
    }

    private func trimmed(_ line: [UInt8]) -> [UInt8] {
        line.last == UInt8(ascii: "\r") && line.count <= limit ? Array(line.dropLast()) : line
    }
}

/// Options naming a ledger store directory.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The ledger's store directory.")
    var store: String
}
