import ArgumentParser
import Foundation
import TalonProtocol
import TalonLedger

struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "Append to, verify and read a local ledger store.",
        subcommands: [Append.self, Verify.self, Head.self, BlockCmd.self, Record.self])

    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Admit and apply signed envelopes to a local store (the single-process path).",
            discussion: """
                Reads envelopes as JSON, one per line (the output of `talon op`) or one JSON array. \
                Each is admitted (chain, fields, signature); those refused never enter a block. The \
                rest are applied in blocks of --batch. Prints one JSON line per envelope and exits 0 \
                only when every envelope was applied with result ok.
                """)
        @OptionGroup var store: StoreOptions
        @Option(name: .long, help: "Genesis file; required to create a new store.") var genesis: String?
        @Option(name: .long, help: "Block timestamp: ISO 8601 or epoch ms (default: now).") var time: String?
        @Option(name: .long, help: "Envelopes per block.") var batch = 1000
        @Argument(help: "File of envelopes, or - for standard input.") var input = "-"

        func run() throws {
            try reportingErrors {
                let ledger = try openLedger(store.store, genesis: genesis)
                let timestamp = try time.map { try parseTime($0, "--time") } ?? nowMillis()
                let parsed = try parseEnvelopes(try readInput(input))
                var admitted: [(line: Int, envelope: Envelope)] = []
                var refused = 0, rejected = 0
                for (line, item) in parsed {
                    switch item {
                    case .success(let envelope):
                        do throws(TalonError) {
                            try envelope.admit(chainID: ledger.chainID)
                            admitted.append((line, envelope))
                        } catch {
                            refused += 1
                            printJSON(AppendLine(line: line, hash: envelope.hash.hex, error: error.code.name, message: error.message))
                        }
                    case .failure(let error):
                        refused += 1
                        printJSON(AppendLine(line: line, error: error.code.name, message: error.message))
                    }
                }
                var blocks = 0
                for start in stride(from: 0, to: admitted.count, by: max(1, batch)) {
                    let chunk = admitted[start..<min(admitted.count, start + max(1, batch))]
                    // The write path's apply: an envelope already in the ledger gets its first receipt.
                    guard let applied = try ledger.apply(chunk.map(\.envelope), timestamp: timestamp, logIndex: nil) else { continue }
                    if applied.block != nil { blocks += 1 }
                    for (item, receipt) in zip(chunk, applied.receipts) {
                        if receipt.result != "ok" { rejected += 1 }
                        printJSON(AppendLine(line: item.line, hash: item.envelope.hash.hex, height: receipt.height,
                                             leaf: receipt.leaf, result: receipt.result))
                    }
                }
                let summary = "\(admitted.count) applied in \(blocks) block(s): \(admitted.count - rejected) ok, \(rejected) rejected by rules, \(refused) refused at admission"
                writeErr(summary + "\n")
                if rejected + refused > 0 { throw ExitCode(1) }
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every block hash and the Merkle tree from the stored envelopes, re-check every signature, and apply every block again (contracts re-run) to compare results and decisions.",
            discussion: "Prints a JSON report; exits 1 and names the first block that does not check out.")
        @OptionGroup var store: StoreOptions
        @Flag(name: .long, help: "Skip applying the blocks again: hashes, signatures, decisions' hashes and the Merkle tree only (faster).")
        var noReplay = false

        func run() throws {
            try reportingErrors {
                let ledger = try LedgerStore.open(store.store)
                let started = Date()
                let report = try ledger.verify(replay: !noReplay)
                printJSON(VerifyOutput(report: report, seconds: Date().timeIntervalSince(started)))
                if let f = report.failure {
                    let at = f.leaf.map { " (envelope at leaf \($0))" } ?? ""
                    throw TalonError(.verifyFailed, "block \(f.height)\(at): \(f.message)")
                }
            }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the latest head.")
        @OptionGroup var store: StoreOptions
        func run() throws {
            try reportingErrors { printJSON(try LedgerStore.open(store.store).head()) }
        }
    }

    struct BlockCmd: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "block", abstract: "Print a block.")
        @OptionGroup var store: StoreOptions
        @Argument var height: UInt64
        func run() throws {
            try reportingErrors {
                guard let block = try LedgerStore.open(store.store).block(height: height) else {
                    throw TalonError(.notFound, "no block \(height)")
                }
                printJSON(block, pretty: true)
            }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print an envelope by hash with its receipt.")
        @OptionGroup var store: StoreOptions
        @Argument var hash: String
        func run() throws {
            try reportingErrors {
                guard let digest = Digest(hex: hash) else { throw TalonError(.invalidArgument, "expected 64 lowercase hex digits") }
                guard let r = try LedgerStore.open(store.store).record(hash: digest) else {
                    throw TalonError(.notFound, "no envelope \(hash)")
                }
                printJSON(r, pretty: true)
            }
        }
    }
}

/// Opening stores for the CLI.
enum LedgerStore {
    /// Opens an existing store.
    static func open(_ path: String) throws -> Ledger {
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw TalonError(.notFound, "no ledger store at \(path)")
        }
        return try Ledger(existingAt: path)
    }
}

/// Opens `path`, creating it from `genesis` when new; with a genesis, refuses a store of another.
func openLedger(_ path: String, genesis: String?) throws -> Ledger {
    if let genesis { return try Ledger(path: path, genesis: try GenesisFile(path: genesis)) }
    return try LedgerStore.open(path)
}

/// Envelopes from JSON lines or a JSON array, each with its line number (array index + 1).
func parseEnvelopes(_ bytes: [UInt8]) throws -> [(Int, Result<Envelope, TalonError>)] {
    let firstNonSpace = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    if firstNonSpace == UInt8(ascii: "[") {
        return try JSONForm.decode([Envelope].self, from: bytes).enumerated().map { ($0.offset + 1, .success($0.element)) }
    }
    var out: [(Int, Result<Envelope, TalonError>)] = []
    for (i, line) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
        guard line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
        do { out.append((i + 1, .success(try JSONForm.decode(Envelope.self, from: line)))) } catch {
            out.append((i + 1, .failure(error)))
        }
    }
    return out
}

struct AppendLine: Encodable {
    var line: Int
    var hash: String?
    var height: UInt64?
    var leaf: UInt64?
    var result: String?
    var error: String?
    var message: String?
}

struct VerifyOutput: Encodable {
    var report: VerifyReport
    var seconds: Double
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: K.self)
        try c.encode(report.ok, forKey: .ok)
        try c.encode(report.blocks, forKey: .blocks)
        try c.encode(report.envelopes, forKey: .envelopes)
        try c.encode(report.replayed, forKey: .replayed)
        try c.encodeIfPresent(report.head, forKey: .head)
        try c.encodeIfPresent(report.failure, forKey: .failure)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
    }
    enum K: String, CodingKey { case ok, blocks, envelopes, replayed, head, failure, seconds }
}
