import ArgumentParser
import Dispatch
import Foundation
import TalonProtocol
import TalonGate
import TalonLedger
import TalonStore

/// Verdicts per second on one core, and the latency of a photo's decode plus verdict.
struct GateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Pass verdicts per second on one core, and image decode + verdict latency.",
        discussion: """
            Builds (untimed) a ledger with one event of --tickets tickets and a registered gate, \
            syncs a gate store from it, and signs one pass per ticket. Then, on one thread: \
            verdicts on every pass text (decode, the certificate's and the holder's Ed25519 \
            signatures, the snapshot lookups), the same with each admission written with a \
            synced commit, and --images 600×600 PNG photos of a pass decoded (stb + zbar) and \
            judged (without recording). Build with -c release for meaningful figures.
            """)
    @Option(name: .long, help: "Tickets (and passes).") var tickets = 20_000
    @Option(name: .long, help: "Passes scanned with a durable admission each.") var admissions = 2000
    @Option(name: .long, help: "600×600 images decoded and judged.") var images = 200

    func run() throws {
        try reportingErrors { try bench() }
    }

    private func bench() throws {
        guard tickets > 0, admissions >= 0, admissions <= tickets, images >= 0 else {
            throw TalonError(.invalidArgument, "need tickets > 0, 0 ≤ admissions ≤ tickets, images ≥ 0")
        }
        let dir = NSTemporaryDirectory() + "talon-bench-gate-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let node = SigningKey.generate(), issuer = SigningKey.generate(), gateKey = SigningKey.generate()
        let holders = parallelMap(0..<min(tickets, 1000)) { _ in SigningKey.generate() }
        let genesis = try LedgerBench.genesis(issuer: issuer, node: node)
        let ledger = try Ledger(path: dir + "/ledger", genesis: genesis, options: .init(initialMapSize: 256 << 20, sync: false))
        let chain = genesis.genesis.chainID
        let doors: Int64 = 1_900_000_000_000, now = doors + 60_000
        var nonce: UInt64 = 0
        var ops: [LedgerOperation] = [
            .createEvent(CreateEvent(eventID: "GATE", name: "Bench", venue: "Loopback", startsAt: doors + 3_600_000, doorsOpenAt: doors,
                                     capacity: UInt32(clamping: tickets), currency: "EUR")),
            .registerGate(RegisterGate(eventID: "GATE", gate: gateKey.publicKey, name: "Bench gate", sections: [])),
        ]
        for start in stride(from: 0, to: tickets, by: Limits.ticketsPerIssue) {
            ops.append(.issue(IssueTickets(eventID: "GATE", tickets: (start..<min(tickets, start + Limits.ticketsPerIssue)).map {
                TicketSpec(ticketID: "G-\($0)", section: "GA", seat: "\($0)", faceValue: 5000, holder: holders[$0 % holders.count].publicKey)
            })))
        }
        for op in ops {
            nonce += 1
            let e = Envelope(chainID: chain, nonce: nonce, operation: op, signedBy: issuer)
            try e.admit(chainID: ledger.chainID)
            guard try ledger.apply([e], timestamp: 1_800_000_000_000).receipts[0].result == "ok" else { throw TalonError(.benchFailed, "setup failed") }
        }
        let snapshot = try ledger.tickets(event: "GATE", limit: tickets)
        guard let event = try ledger.event("GATE"), let gate = try ledger.gates(event: "GATE").first else { throw TalonError(.benchFailed, "no event") }
        let head = SignedHead(head: snapshot.head, node: "n1", key: node, genesis: genesis)
        try GateStore.replaceSnapshot(dir: dir + "/gate", genesis: genesis, info: GateSnapshotInfo(event: event, gate: gate, gates: [gate], head: head,
                                                                                                  node: "bench", syncedAt: now),
                                      tickets: snapshot.tickets)
        let station = try Gate(dir: dir + "/gate")
        let states = snapshot.tickets
        let passes = parallelMap(0..<states.count) { i -> String in
            let t = states[i]
            let c = OwnershipCertificate(ticket: t, height: snapshot.head.height, node: "n1", key: node, genesis: genesis)
            let holder = holders[(Int(t.seat) ?? 0) % holders.count]
            return (try? Pass(certificate: c, window: Pass.window(at: now), holder: holder, chainID: chain).text(members: ["n1"])) ?? ""
        }
        print("talon bench gate: \(tickets) tickets, one gate; passes of \(passes.first?.count ?? 0) characters")

        // Verdicts only: decode, two signatures, lookups.
        var admitted = 0
        let start = DispatchTime.now()
        for p in passes where try station.check(p, at: now).0.decision == .admit { admitted += 1 }
        let seconds = LedgerBench.seconds(since: start)
        guard admitted == passes.count else { throw TalonError(.benchFailed, "\(passes.count - admitted) passes were denied") }
        print(String(format: "verdicts, one core:                   %8.0f scans/s  (%d passes, %.2f s, 2 Ed25519 verifications each)",
                     Double(passes.count) / seconds, passes.count, seconds))

        // With the admission written (synced) before each answer.
        if admissions > 0 {
            let t0 = DispatchTime.now()
            let millis = try LedgerBench.millis(admissions) { i in
                guard try station.scan(passes[i], at: now).decision == .admit else { throw TalonError(.benchFailed, "a scan was denied") }
            }
            let total = LedgerBench.seconds(since: t0)
            print(String(format: "scans with a synced admission:        %8.0f scans/s  p50 %.2f ms, p99 %.2f ms",
                         Double(admissions) / total, LedgerBench.percentile(millis, 0.5), LedgerBench.percentile(millis, 0.99)))
        }

        // Photos: a pass's QR on a 600×600 gray, noisy background, as PNG.
        if images > 0 {
            let photos = try (0..<min(images, passes.count)).map { i in try Self.photo(passes[passes.count - 1 - i], seed: UInt64(i)) }
            var verdicts: [[Verdict]] = []
            let millis = try LedgerBench.millis(photos.count) { i in verdicts.append(try station.check(image: photos[i], at: now)) }
            if let wrong = verdicts.first(where: { $0.count != 1 || $0[0].decision != .admit }) {
                throw TalonError(.benchFailed, "a photo gave \(wrong)")
            }
            print(String(format: "600×600 PNG decode + QR scan + verdict:  p50 %.1f ms, p99 %.1f ms, max %.1f ms  (%d images, %.0f KiB each)",
                         LedgerBench.percentile(millis, 0.5), LedgerBench.percentile(millis, 0.99), millis.last ?? 0, photos.count,
                         Double(photos.map(\.count).reduce(0, +)) / Double(photos.count) / 1024))
        }
    }

    /// A 600×600 PNG with the pass's QR (about 400 px wide) off-centre on a noisy gray ground.
    static func photo(_ text: String, seed: UInt64) throws -> [UInt8] {
        let qr = try QRCode(text: text)
        let module = max(1, 400 / (qr.size + 8))
        let code = qr.grayscale(moduleSize: module, quietZone: 4)
        var pixels = [UInt8](repeating: 0, count: 600 * 600)
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        for i in pixels.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            pixels[i] = UInt8(150 + Int(state >> 59))
        }
        let ox = min(600 - code.width, 40 + Int(seed % 60)), oy = min(600 - code.height, 60)
        for y in 0..<code.height {
            for x in 0..<code.width { pixels[(oy + y) * 600 + ox + x] = code.pixels[y * code.width + x] }
        }
        return try ImageCodec.png(width: 600, height: 600, gray: pixels)
    }
}
