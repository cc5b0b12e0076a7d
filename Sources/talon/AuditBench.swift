import ArgumentParser
import Dispatch
import Foundation
import TalonContracts
import TalonProtocol
import TalonLedger
import TalonStore

/// Builds one large event through real operations under the markup-cap contract, then times
/// the audit queries on it.
struct AuditBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit query latency on one event with many tickets and resales.",
        discussion: """
            Builds (untimed, reported) an event of --tickets tickets under markup-cap-royalty \
            (cap 150 %, royalty 5 %) with --resales accepted resales at 80–150 % of face value \
            (a tenth of the tickets resold twice), one listing in 25 first denied over the cap, \
            and --redeems scans at one gate, one in 20 presented twice. Every record goes \
            through admission and `Ledger.apply`, contracts included. Then times, on one \
            thread, each query as the node runs it (JSON encoding included where noted): the \
            resale report, provenance of random tickets, one inclusion proof, the holder and \
            the entry reports. Build with -c release for meaningful figures.
            """)
    @Option(name: .long, help: "Tickets in the event.") var tickets = 100_000
    @Option(name: .long, help: "Accepted resales.") var resales = 50_000
    @Option(name: .long, help: "Tickets redeemed at the gate.") var redeems = 10_000
    @Option(name: .long, help: "Distinct holder keys.") var holders = 5000
    @Option(name: .long, help: "Runs of each report (the single lookups run 20 times as often).") var runs = 20
    @Option(name: .long, help: "Read markup-cap-royalty.lua from this directory instead of the copy built into talon.") var contracts: String?
    @Option(name: .long, help: "Keep the store in this directory instead of a temporary one.") var dir: String?

    func run() throws {
        try reportingErrors { try bench() }
    }

    private func bench() throws {
        guard tickets > 0, resales >= 0, resales <= tickets * 2, redeems >= 0, redeems <= tickets, holders > 1, runs > 0 else {
            throw TalonError(.invalidArgument, "need tickets > 0, 0 ≤ resales ≤ 2 × tickets, 0 ≤ redeems ≤ tickets, holders > 1, runs > 0")
        }
        let source = try contracts.map { String(decoding: try readInput("\($0)/markup-cap-royalty.lua"), as: UTF8.self) }
            ?? ShippedContracts.markupCapRoyalty
        let path = dir ?? NSTemporaryDirectory() + "talon-bench-audit-" + UUID().uuidString
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: path) } }
        let issuer = SigningKey.generate(), gate = SigningKey.generate()
        let genesis = try LedgerBench.genesis(issuer: issuer)
        let ledger = try Ledger(path: path, genesis: genesis, options: .init(initialMapSize: 512 << 20, sync: false))

        print("talon bench audit: \(tickets) tickets, \(resales) resales, \(redeems) redeems, \(holders) holders")
        let plan = AuditBenchPlan(tickets: tickets, resales: resales, redeems: redeems, holders: holders, issuer: issuer, gate: gate, contract: source)
        let signStart = DispatchTime.now()
        let envelopes = plan.sign(chainID: genesis.genesis.chainID)
        let signSeconds = LedgerBench.seconds(since: signStart)
        let applyStart = DispatchTime.now()
        var results: [String: Int] = [:]
        for (i, from) in stride(from: 0, to: envelopes.count, by: 1000).enumerated() {
            let block = Array(envelopes[from..<min(envelopes.count, from + 1000)])
            for e in block { try e.admit(chainID: ledger.chainID) }
            for r in try ledger.apply(block, timestamp: 1_899_000_000_000 + Int64(i) * 60_000).receipts { results[r.result, default: 0] += 1 }
        }
        let applySeconds = LedgerBench.seconds(since: applyStart)
        print(String(format: "setup: %d envelopes signed in %.1f s (all cores), admitted and applied in %.1f s (%.0f /s, one core, no sync)",
                     envelopes.count, signSeconds, applySeconds, Double(envelopes.count) / applySeconds))
        print("results: " + results.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))

        // What the build must have produced, so the figures below are about the event asked for.
        guard let check = try ledger.resaleReport(event: AuditBenchPlan.event, limit: 1) else { throw TalonError(.benchFailed, "no event") }
        guard check.totals.resales == resales, check.totals.rejectedListings == plan.deniedListings else {
            throw TalonError(.benchFailed, "built \(check.totals.resales) resales and \(check.totals.rejectedListings) denied listings, planned \(resales) and \(plan.deniedListings)")
        }
        let head = try ledger.head()
        print("ledger: \(head.treeSize) records in \(head.height) blocks")

        var rng = SystemRandomNumberGenerator()
        try time("resale report (totals, histogram, first 100 rows)", runs) { _ in
            _ = try ledger.resaleReport(event: AuditBenchPlan.event, limit: 100)
        }
        try time("resale report, JSON encoded", runs) { _ in
            _ = JSONForm.encode(try ledger.resaleReport(event: AuditBenchPlan.event, limit: 100))
        }
        try time("resale report, 100 rows proven, JSON encoded", runs) { _ in
            _ = JSONForm.encode(try ledger.resaleReport(event: AuditBenchPlan.event, limit: 100, prove: true))
        }
        try time("provenance (resold twice, scanned), JSON encoded", runs * 20) { _ in
            let id = AuditBenchPlan.ticketID(Int.random(in: 0..<max(1, min(plan.secondRound, redeems)), using: &rng))
            _ = JSONForm.encode(try ledger.provenance(ticket: id))
        }
        try time("provenance, every record proven, JSON encoded", runs * 20) { _ in
            let id = AuditBenchPlan.ticketID(Int.random(in: 0..<max(1, min(plan.secondRound, redeems)), using: &rng))
            _ = JSONForm.encode(try ledger.provenance(ticket: id, prove: true))
        }
        try time("one inclusion proof (random leaf)", runs * 20) { _ in
            _ = try ledger.inclusionProof(leaf: UInt64.random(in: 0..<head.treeSize, using: &rng), treeSize: head.treeSize)
        }
        try time("holder report (all holders ranked, first 100)", runs) { _ in
            _ = JSONForm.encode(try ledger.holderReport(event: AuditBenchPlan.event, limit: 100))
        }
        try time("entry report", runs) { _ in
            _ = JSONForm.encode(try ledger.entryReport(event: AuditBenchPlan.event, limit: 100))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int) ?? 0
        print(String(format: "store size: %.1f MiB", Double(size) / 1_048_576))
    }

    /// Runs `body` once to warm up, then `count` times; prints the median, p99 and worst.
    private func time(_ label: String, _ count: Int, _ body: (Int) throws -> Void) throws {
        try body(-1)
        let millis = try LedgerBench.millis(count, body)
        let padded = label.padding(toLength: 50, withPad: " ", startingAt: 0)
        print(padded + String(format: " p50 %9.3f ms  p99 %9.3f ms  max %9.3f ms  (%d runs)",
                              LedgerBench.percentile(millis, 0.5), LedgerBench.percentile(millis, 0.99), millis.last ?? 0, count))
    }
}

/// The records `talon bench audit` applies, in order, with every holder known in advance so
/// they can be signed on all cores before any is applied.
struct AuditBenchPlan {
    static let event = "AUDIT"
    static let face: UInt64 = 5000
    static func ticketID(_ i: Int) -> String { "AUDIT-\(i)" }

    let tickets: Int, resales: Int, redeems: Int
    let keys: [SigningKey]
    let issuer: SigningKey, gate: SigningKey
    let contract: String
    /// Tickets 0..<secondRound are resold twice.
    let secondRound: Int
    /// Listings the contract denies (over the 150 % cap) before the listing that sells.
    private(set) var deniedListings = 0
    /// Operations and their signers, in apply order.
    private(set) var steps: [(LedgerOperation, SigningKey)] = []

    init(tickets: Int, resales: Int, redeems: Int, holders: Int, issuer: SigningKey, gate: SigningKey, contract: String) {
        self.tickets = tickets; self.resales = resales; self.redeems = redeems
        self.issuer = issuer; self.gate = gate; self.contract = contract
        keys = parallelMap(0..<holders) { _ in SigningKey.generate() }
        secondRound = max(0, resales - tickets, resales / 10)
        build()
    }

    private mutating func build() {
        let event = Self.event
        steps.append((.createEvent(CreateEvent(eventID: event, name: "Audit bench", venue: "Loopback", startsAt: 1_900_000_000_000,
                                               doorsOpenAt: 1_899_990_000_000, capacity: UInt32(clamping: tickets), currency: "EUR")), issuer))
        steps.append((.deployContract(DeployContract(source: contract)), issuer))
        steps.append((.bindContract(BindContract(eventID: event, contract: DeployContract(source: contract).contractID,
                                                 params: #"{"max_price_pct": 150, "royalty_pct": 5}"#)), issuer))
        steps.append((.registerGate(RegisterGate(eventID: event, gate: gate.publicKey, name: "Gate A", sections: [])), issuer))
        var holder = (0..<tickets).map { $0 % keys.count }
        for start in stride(from: 0, to: tickets, by: Limits.ticketsPerIssue) {
            let specs = (start..<min(tickets, start + Limits.ticketsPerIssue)).map {
                TicketSpec(ticketID: Self.ticketID($0), section: "GA", seat: "\($0)", faceValue: Self.face, holder: keys[holder[$0]].publicKey)
            }
            steps.append((.issue(IssueTickets(eventID: event, tickets: specs)), issuer))
        }
        // First round: tickets 0..<(resales - secondRound); second round: 0..<secondRound.
        var sequence = [UInt64](repeating: 0, count: tickets)
        let firstRound = resales - secondRound
        for n in 0..<resales {
            let t = n < firstRound ? n : n - firstRound
            let id = Self.ticketID(t)
            let seller = keys[holder[t]]
            var buyer = (n &* 7919 &+ 13) % keys.count
            if buyer == holder[t] { buyer = (buyer + 1) % keys.count }
            let price = Self.face * UInt64(80 + (n &* 37) % 71) / 100   // 80 % … 150 % of face
            if n % 25 == 0 {
                steps.append((.listResale(ListResale(ticketID: id, price: Self.face * 160 / 100, fees: 0)), seller))
                deniedListings += 1
            }
            steps.append((.listResale(ListResale(ticketID: id, price: price, fees: 0)), seller))
            steps.append((.buyResale(BuyResale(ticketID: id, price: price, fees: 0)), keys[buyer]))
            holder[t] = buyer
            sequence[t] += 1
        }
        for t in 0..<redeems {
            let scan = Redeem(ticketID: Self.ticketID(t), sequence: sequence[t], scannedAt: 1_899_995_000_000 + Int64(t) * 100)
            steps.append((.redeem(scan), gate))
            if t % 20 == 0 { steps.append((.redeem(Redeem(ticketID: scan.ticketID, sequence: scan.sequence, scannedAt: scan.scannedAt + 60_000)), gate)) }
        }
    }

    /// Every step signed, on all cores, with nonces unique per run.
    func sign(chainID: String) -> [Envelope] {
        let steps = self.steps
        return parallelMap(0..<steps.count) { i in
            Envelope(chainID: chainID, nonce: UInt64(i + 1), operation: steps[i].0, signedBy: steps[i].1)
        }
    }
}
