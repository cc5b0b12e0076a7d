import ArgumentParser
import Dispatch
import Foundation
import TalonProtocol
import TalonLedger
import TalonStore

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print figures.", subcommands: [LedgerBench.self, RaftBench.self, ClusterBench.self, AuditBench.self, GateBench.self])
}

/// Applies pre-signed transfers to a fresh store and verifies the result, printing rates.
struct LedgerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Envelopes/s applied on one core (signature check included), then the time to verify the ledger.",
        discussion: """
            Issues --envelopes tickets (untimed), pre-signs one transfer per ticket (untimed), then \
            times admitting (decode + signature) and applying them in blocks of --batch on one thread \
            with synced commits. Finally times `ledger verify` over the whole store, which re-checks \
            every signature on all cores. Above 1,000,000 envelopes the run streams instead, in chunks \
            of 100,000 (issue, sign, apply), printing per chunk the apply rate and the latency of \
            provenance queries and inclusion proofs as the store grows (no verify at the end). Build \
            with -c release for meaningful figures.
            """)
    @Option(name: .long, help: "Transfers to apply (and tickets to issue).") var envelopes = 100_000
    @Option(name: .long, help: "Envelopes per block.") var batch = 1000
    @Option(name: .long, help: "Distinct holder keys.") var holders = 1000
    @Option(name: .long, help: "Keep the store in this directory instead of a temporary one.") var dir: String?
    @Flag(name: .long, help: "Commit without fsync.") var noSync = false

    func run() throws {
        try reportingErrors { try bench() }
    }

    private func bench() throws {
        guard envelopes > 0, batch > 0, holders > 1 else { throw TalonError(.invalidArgument, "need envelopes > 0, batch > 0, holders > 1") }
        let path = dir ?? NSTemporaryDirectory() + "talon-bench-" + UUID().uuidString
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: path) } }
        let issuer = SigningKey.generate()
        let genesis = try Self.genesis(issuer: issuer)
        let ledger = try Ledger(path: path, genesis: genesis, options: .init(initialMapSize: 256 << 20, sync: !noSync))
        let chain = genesis.genesis.chainID
        let keys = (0..<holders).map { _ in SigningKey.generate() }
        var nonce: UInt64 = 0
        func next() -> UInt64 { nonce += 1; return nonce }

        print("talon bench ledger: \(envelopes) transfers, blocks of \(batch), \(holders) holders, sync \(!noSync)")
        // Setup (untimed): one event, every ticket issued.
        try ledger.apply([Envelope(chainID: chain, nonce: next(), operation: .createEvent(CreateEvent(
            eventID: "BENCH", name: "Bench", venue: "Loopback", startsAt: 1_900_000_000_000, doorsOpenAt: 1_899_990_000_000,
            capacity: UInt32(envelopes), currency: "EUR")), signedBy: issuer)], timestamp: 1)
        if envelopes > Self.streamAbove {
            return try growth(ledger, path: path, issuer: issuer, keys: keys)
        }
        try issueTickets(0..<envelopes, ledger, issuer: issuer, keys: keys, nonce: &nonce)

        // Pre-sign the transfers on all cores (untimed for the apply figure, reported anyway).
        let signStart = DispatchTime.now()
        let transfers = self.transfers(0..<envelopes, chain: chain, keys: keys)
        let signSeconds = Self.seconds(since: signStart)

        // The ceiling: libsodium's Ed25519 verify alone, on one core.
        let probe = transfers.prefix(min(5000, envelopes))
        let probeStart = DispatchTime.now()
        for e in probe where !e.hasValidSignature { throw TalonError(.benchFailed, "a pre-signed envelope does not verify") }
        let verifyRate = Double(probe.count) / Self.seconds(since: probeStart)
        let decodeStart = DispatchTime.now()
        for e in probe { try ledger.admitFieldsOnly(try Envelope(bytes: e.bytes)) }
        let decodeRate = Double(probe.count) / Self.seconds(since: decodeStart)
        // What the HTTP handler pays to read a submission body of these transfers, per envelope:
        // a JSON array against the binary media type's frames (both re-encode to check the form).
        let jsonBody = JSONForm.encode(Array(probe)), framedBody = EnvelopeFrames.encode(probe)
        let jsonStart = DispatchTime.now()
        let fromJSON = try JSONForm.decode([Envelope].self, from: jsonBody)
        let jsonMicros = Self.seconds(since: jsonStart) * 1e6 / Double(probe.count)
        let framesStart = DispatchTime.now()
        let fromFrames = try EnvelopeFrames.decode(framedBody, maxEnvelopes: probe.count)
        let framesMicros = Self.seconds(since: framesStart) * 1e6 / Double(probe.count)
        guard fromJSON == fromFrames, fromFrames.elementsEqual(probe) else { throw TalonError(.benchFailed, "a submission body decoded to other envelopes") }

        let sizeBeforeTransfers = Self.storeBytes(path), liveBeforeTransfers = try ledger.environment.liveBytes()
        // Half the transfers serially on one thread (admit, then apply, block by block); the
        // other half as a node runs: admission of the next block on all cores while this one applies.
        let half = envelopes / 2
        let serial = try timeSerial(ledger, Array(transfers[..<half]))
        let pipelined = try timePipelined(ledger, Array(transfers[half...]))
        let transferBytes = Double(Self.storeBytes(path) - sizeBeforeTransfers) / Double(envelopes)
        let liveTransferBytes = Double(try ledger.environment.liveBytes() - liveBeforeTransfers) / Double(envelopes)
        let n = Double(half)
        print(String(format: "sign (all cores, untimed setup):     %8.0f envelopes/s", Double(envelopes) / signSeconds))
        print(String(format: "Ed25519 verify alone, one core:      %8.0f /s  (libsodium; the one-core ceiling)", verifyRate))
        print(String(format: "decode + field checks, one core:     %8.0f envelopes/s", decodeRate))
        print(String(format: "submission body decode, one core:    %8.1f µs/envelope JSON (%d bytes each), %.1f µs binary (%d bytes each)",
                     jsonMicros, jsonBody.count / probe.count, framesMicros, framedBody.count / probe.count))
        print(String(format: "admit (decode + verify), one core:   %8.0f envelopes/s", n / serial.admitSeconds))
        print(String(format: "apply (state, indexes, Merkle, sync): %7.0f envelopes/s", n / serial.applySeconds))
        print(String(format: "admit + apply, one core:             %8.0f envelopes/s  (%d envelopes, %.2f s, %.0f%% of it Ed25519 verify)",
                     n / serial.total, half, serial.total, 100 * serial.verifySeconds / serial.total))
        // This machine's verify speed moves with its host's load; the rest of the work is
        // measured in the same loop, so it projects to other verify speeds.
        let otherSeconds = (serial.total - serial.verifySeconds) / n
        print(String(format: "  the same work at 20,000 verifies/s: %7.0f envelopes/s  (projected: %.1f µs/envelope besides verify)",
                     1 / (otherSeconds + 1.0 / 20_000), otherSeconds * 1e6))
        print(String(format: "admit on %d cores ∥ apply (node path): %7.0f envelopes/s  (%d envelopes, %.2f s)",
                     ProcessInfo.processInfo.activeProcessorCount, Double(envelopes - half) / pipelined, envelopes - half, pipelined))
        let blockMillis = serial.blockMillis.sorted()
        print(String(format: "block apply latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d envelopes/block)",
                     Self.percentile(blockMillis, 0.50), Self.percentile(blockMillis, 0.99), blockMillis.last ?? 0, batch))

        let verifyStart = DispatchTime.now()
        let report = try ledger.verify(replay: false)
        let verifySeconds = Self.seconds(since: verifyStart)
        guard report.ok else { throw TalonError(.benchFailed, "verify failed: \(report.failure?.message ?? "")") }
        print(String(format: "verify %llu envelopes in %llu blocks: %.2f s (%.0f envelopes/s, %d cores; hashes, signatures, tree)",
                     report.envelopes, report.blocks, verifySeconds, Double(report.envelopes) / verifySeconds,
                     ProcessInfo.processInfo.activeProcessorCount))
        let replayStart = DispatchTime.now()
        let replayed = try ledger.verify(replay: true)
        let replaySeconds = Self.seconds(since: replayStart)
        guard replayed.ok else { throw TalonError(.benchFailed, "verify with replay failed: \(replayed.failure?.message ?? "")") }
        print(String(format: "verify with replay (every block applied again): %.2f s (%.0f envelopes/s)",
                     replaySeconds, Double(replayed.envelopes) / replaySeconds))
        let size = Self.storeBytes(path)
        print(String(format: "store size: %.1f MiB (%.0f bytes/envelope, issues included)", Double(size) / 1_048_576, Double(size) / Double(report.envelopes)))
        print(String(format: "store growth per transfer: %.0f bytes of file, %.0f bytes of live pages (state, indexes, Merkle nodes, block; the tickets were issued before)",
                     transferBytes, liveTransferBytes))
        print("  (file less live: pages freed by copy-on-write, reused by later commits; about one block's worth of dirty pages)")
    }

    /// The size of the store's data file (LMDB writes it up to its highest page in use).
    static func storeBytes(_ path: String) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
    }

    /// Issues tickets `BENCH-<i>` for `range` of event `BENCH`, spread over `keys`, in
    /// envelopes of `Limits.ticketsPerIssue` tickets applied ten to a block; each must apply.
    func issueTickets(_ range: Range<Int>, _ ledger: Ledger, issuer: SigningKey, keys: [SigningKey], nonce: inout UInt64) throws {
        var issues: [Envelope] = []
        for start in stride(from: range.lowerBound, to: range.upperBound, by: Limits.ticketsPerIssue) {
            let specs = (start..<min(range.upperBound, start + Limits.ticketsPerIssue)).map {
                TicketSpec(ticketID: "BENCH-\($0)", section: "GA", seat: "\($0)", faceValue: 5000, holder: keys[$0 % holders].publicKey)
            }
            nonce += 1
            issues.append(Envelope(chainID: ledger.chainID, nonce: nonce, operation: .issue(IssueTickets(eventID: "BENCH", tickets: specs)), signedBy: issuer))
        }
        for chunk in stride(from: 0, to: issues.count, by: 10) {
            try Self.expectAllOK(try ledger.apply(Array(issues[chunk..<min(issues.count, chunk + 10)]), timestamp: 2))
        }
    }

    /// One transfer per ticket of `range`, from its holder to the next key, signed on all cores.
    func transfers(_ range: Range<Int>, chain: String, keys: [SigningKey]) -> [Envelope] {
        parallelMap(range) { i in
            Envelope(chainID: chain, nonce: UInt64(i + 1_000_000), operation: .transfer(Transfer(ticketID: "BENCH-\(i)", to: keys[(i + 1) % holders].publicKey)),
                     signedBy: keys[i % holders])
        }
    }

    private struct SerialTiming {
        var admitSeconds = 0.0, applySeconds = 0.0, total = 0.0
        /// The part of `admitSeconds` spent in Ed25519 verify.
        var verifySeconds = 0.0
        var blockMillis: [Double] = []
    }

    /// Admits (decoding from bytes, as from the network) then applies each block, one thread.
    private func timeSerial(_ ledger: Ledger, _ envelopes: [Envelope]) throws -> SerialTiming {
        var t = SerialTiming()
        let start = DispatchTime.now()
        for from in stride(from: 0, to: envelopes.count, by: batch) {
            let slice = Array(envelopes[from..<min(envelopes.count, from + batch)])
            let a = DispatchTime.now()
            // Ledger.admit in two timed parts (decode already refused an oversized envelope):
            // the field checks, then the signature, so the signature's share can be reported.
            let admitted = try slice.map { e throws in
                let decoded = try Envelope(bytes: e.bytes)
                try ledger.admitFieldsOnly(decoded)
                let v = DispatchTime.now()
                guard decoded.hasValidSignature else { throw TalonError(.benchFailed, "a pre-signed envelope does not verify") }
                t.verifySeconds += Self.seconds(since: v)
                return decoded
            }
            let b = DispatchTime.now()
            try Self.expectAllOK(try ledger.apply(admitted, timestamp: 3))
            let c = DispatchTime.now()
            t.admitSeconds += Double(b.uptimeNanoseconds - a.uptimeNanoseconds) / 1e9
            t.applySeconds += Double(c.uptimeNanoseconds - b.uptimeNanoseconds) / 1e9
            t.blockMillis.append(Double(c.uptimeNanoseconds - b.uptimeNanoseconds) / 1e6)
        }
        t.total = Self.seconds(since: start)
        return t
    }

    /// Admits block k+1 on all cores while block k applies; returns the wall time.
    private func timePipelined(_ ledger: Ledger, _ envelopes: [Envelope]) throws -> Double {
        let blocks = stride(from: 0, to: envelopes.count, by: batch).map { Array(envelopes[$0..<min(envelopes.count, $0 + batch)]) }
        let start = DispatchTime.now()
        @Sendable func admitAll(_ block: [Envelope]) -> [Envelope]? {
            let admitted = parallelMap(0..<block.count) { i -> Envelope? in
                guard let e = try? Envelope(bytes: block[i].bytes), (try? e.admit(chainID: ledger.chainID)) != nil else { return nil }
                return e
            }
            return admitted.count == block.count ? admitted.compactMap { $0 } : nil
        }
        guard var ready = blocks.first.flatMap(admitAll) else { return 0 }
        for k in blocks.indices {
            let next = k + 1 < blocks.count ? blocks[k + 1] : nil
            let group = DispatchGroup()
            let box = AdmittedBox()
            if let next {
                DispatchQueue.global().async(group: group) { box.value = admitAll(next) }
            }
            try Self.expectAllOK(try ledger.apply(ready, timestamp: 4))
            group.wait()
            if next != nil {
                guard let admitted = box.value else { throw TalonError(.benchFailed, "admission failed") }
                ready = admitted
            }
        }
        return Self.seconds(since: start)
    }

    static func expectAllOK(_ applied: AppliedBlock) throws {
        if let bad = applied.receipts.first(where: { $0.result != "ok" }) {
            throw TalonError(.benchFailed, "a transfer was rejected: \(bad.result)")
        }
    }

    /// The genesis of an in-process benchmark chain: one member `n1` with `node`'s key, a
    /// throw-away admin, and `issuer` registered.
    static func genesis(issuer: SigningKey, node: SigningKey = .generate()) throws -> GenesisFile {
        try GenesisFile(bytes: Genesis(
            chainID: "talon-bench", members: [.init(id: "n1", peer: "127.0.0.1:7101", api: "127.0.0.1:8101", key: node.publicKey)],
            admins: [SigningKey.generate().publicKey], issuers: [.init(key: issuer.publicKey, name: "Bench issuer")]).fileBytes)
    }

    /// Runs `body` for each of `0..<count`, timing each call; the times in milliseconds, sorted.
    static func millis(_ count: Int, _ body: (Int) throws -> Void) rethrows -> [Double] {
        var millis: [Double] = []
        millis.reserveCapacity(count)
        for i in 0..<count {
            let start = DispatchTime.now()
            try body(i)
            millis.append(Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e6)
        }
        return millis.sorted()
    }

    static func seconds(since t: DispatchTime) -> Double { Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9 }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
}

/// Hands the admitted next block from the admission task to the apply loop.
private final class AdmittedBox: @unchecked Sendable {
    // @unchecked: written by one task before `DispatchGroup.wait()` returns, read after it.
    var value: [Envelope]?
}

extension Ledger {
    /// Admission without the signature check, to time the two apart.
    func admitFieldsOnly(_ e: Envelope) throws {
        guard e.chainID == chainID else { throw TalonError(.wrongChain) }
        try e.operation.validateFields()
    }
}
