import ArgumentParser
import Foundation
import TalonProtocol
import TalonGate
import TalonLedger

/// A gate scanner: sync a snapshot while online, scan offline, upload the redemptions later.
struct GateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate", abstract: "Gate scanners: sync a snapshot, scan passes offline, upload redemptions.",
        subcommands: [Sync.self, Scan.self, Log.self, Upload.self])

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Downloads an event's snapshot into a gate's local store.",
            discussion: """
                Reads the event, its gates and every ticket (holder, ownership sequence, status) \
                from a node, checks the node's head signature against the genesis, and replaces \
                the snapshot in --dir. Admissions already recorded there are kept. --key is the \
                gate's public key or key file; the gate must be registered for the event.
                """)
        @Option(name: .long, help: "The genesis file of the chain.") var genesis: String
        @Option(name: .long, help: "A node's API URL (repeat or comma-separate for fall-backs; default: the genesis members').") var node: [String] = []
        @Option(name: .long, help: "The event id.") var event: String
        @Option(name: .long, help: "The gate's public key (ed25519:…) or key file.") var key: String
        @Option(name: .long, help: "The gate's local store directory.") var dir: String

        func run() async throws {
            try await reportingErrors {
                let genesis = try GenesisFile(path: self.genesis)
                let me = try publicKey(key)
                let client = try NodeClient(nodes: try NodeOptions.urls(node, genesis: genesis))
                let id = NodeClient.pathSegment(event)
                let event = try JSONForm.decode(EventBody.self, from: try await client.call("/v1/events/\(id)")).event
                guard event.eventID.utf8.elementsEqual(self.event.utf8) else {
                    throw TalonError(.invalidAnswer, "asked for event \(self.event), the node answered \(event.eventID)")
                }
                let gates = try JSONForm.decode(GatesBody.self, from: try await client.call("/v1/events/\(id)/gates")).gates
                guard let gate = gates.first(where: { $0.key == me }) else {
                    throw TalonError(.notAGate, "\(me) is not a registered gate of \(self.event)")
                }
                var tickets: [TicketState] = [], head: SignedHead?, after: String?
                repeat {
                    let query = after.map { "&after=\(NodeClient.pathSegment($0))" } ?? ""
                    let page = try JSONForm.decode(TicketsPage.self, from: try await client.call("/v1/events/\(id)/tickets?limit=5000\(query)"))
                    try page.head.verify(genesis: genesis)
                    head = head ?? page.head
                    tickets += page.tickets
                    // Each page must move on, and all of them hold at most the event's capacity.
                    guard page.next == nil || (!page.tickets.isEmpty && page.next != after), tickets.count <= Int(event.capacity) else {
                        throw TalonError(.invalidAnswer, "the node's pages of tickets do not move on or exceed the capacity")
                    }
                    after = page.next
                } while after != nil
                guard let head else { throw TalonError(.invalidAnswer, "the node returned no page of tickets") }
                let info = GateSnapshotInfo(event: event, gate: gate, gates: gates, head: head, node: client.nodes[0],
                                            syncedAt: nowMillis())
                try GateStore.replaceSnapshot(dir: dir, genesis: genesis, info: info, tickets: tickets)
                let sections = gate.sections.isEmpty ? "every section" : "sections " + gate.sections.joined(separator: ", ")
                print("synced \(tickets.count) tickets of \(event.eventID) at height \(head.head.height) (head signed by \(head.node)); gate \(gate.name), \(sections)")
            }
        }

        struct EventBody: Decodable { let event: EventState }
        struct GatesBody: Decodable { let gates: [GateState] }
        struct TicketsPage: Decodable { let head: SignedHead; let tickets: [TicketState]; let next: String? }
    }

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verdicts on passes, offline: ADMIT, or DENY with a code.",
            discussion: """
                Passes come as arguments, or one per line on standard input (a hand scanner \
                types like a keyboard), or from a photo with --image. Each admission is written \
                to the gate's store before its verdict is printed. Exit status: 0 when every \
                pass was admitted, 2 when any was denied, 1 on an error.
                """)
        @Option(name: .long, help: "The gate's local store directory.") var dir: String
        @Option(name: .long, help: "Read the QR code(s) in this image (PNG, JPEG, …; - for standard input).") var image: String?
        @Option(name: .long, help: "Refuse an image larger than this many bytes (io_error).") var maxImageBytes = 20 << 20
        @Flag(name: .long, help: "Print each verdict as one JSON line.") var json = false
        @Option(name: .long, help: "Decide as if the time were this (ms since the Unix epoch).") var at: Int64?
        @Argument(help: "Pass texts (TP1:…).") var passes: [String] = []

        /// The longest pass line read from standard input (a pass text is a few hundred bytes).
        static let maxLineBytes = 4096

        func run() throws {
            try reportingErrors {
                let gate = try Gate(dir: dir)
                var denied = false
                func report(_ v: Verdict) {
                    show(v)
                    denied = denied || v.decision == .deny
                }
                func decide(_ text: String) throws { report(try gate.scan(text, at: at ?? nowMillis())) }
                if let image {
                    let limit = min(max(maxImageBytes, 1), ImageCodec.maxEncodedBytes)
                    for verdict in try gate.scan(image: try readInput(image, limit: limit), at: at ?? nowMillis()) { report(verdict) }
                } else if !passes.isEmpty {
                    for p in passes { try decide(p) }
                } else {
                    // A line longer than the limit reaches the gate cut short, and is denied as malformed.
                    for bytes in BoundedLines(limit: Self.maxLineBytes) {
                        let line = String(decoding: bytes, as: UTF8.self)
                        if line.allSatisfy(\.isWhitespace) { continue }
                        try decide(line)
                    }
                }
                if denied { throw ExitCode(2) }
            }
        }

        private func show(_ v: Verdict) {
            if json { printJSON(v); return }
            let ticket = v.ticketID.map { " \($0)" } ?? ""
            switch v.decision {
            case .admit: writeOut(Array("ADMIT\(ticket)  \(v.message)\n".utf8))
            case .deny: writeOut(Array("DENY \(v.code)\(ticket)  \(v.message)\n".utf8))
            }
        }
    }

    struct Log: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The gate's log of scans: the latest verdicts, and a count per code.",
            discussion: """
                Every scan `talon gate scan` answered is logged in the gate's store, admitted or \
                denied, with the gate's time. Prints the last --limit (oldest first, times in \
                UTC), then how many scans of all had each code.
                """)
        @Option(name: .long, help: "The gate's local store directory.") var dir: String
        @Option(name: .long, help: "How many of the latest scans to list.") var limit = 50
        @Flag(name: .long, help: "List only denied scans.") var denied = false
        @Flag(name: .long, help: "Print one JSON object with the scans and the counts.") var json = false

        func run() throws {
            try reportingErrors {
                guard limit >= 0 else { throw TalonError(.invalidArgument, "--limit must not be negative") }
                let (recent, counts) = try GateStore(dir: dir).scanLog(limit: limit, deniedOnly: denied)
                if json {
                    printJSON(LogBody(scans: recent, counts: counts))
                    return
                }
                for s in recent {
                    let ticket = s.ticketID.map { "  \($0)" } ?? ""
                    let verdict = s.decision == .admit ? "ADMIT" : "DENY \(s.code)"
                    writeOut(Array("\(Verdict.utc(s.scannedAt))  \(verdict)\(ticket)  \(s.message)\n".utf8))
                }
                let total = counts.values.reduce(0, +)
                let summary = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }
                print("\(total) scans" + (summary.isEmpty ? "" : ": " + summary.joined(separator: ", ")))
            }
        }

        struct LogBody: Encodable { let scans: [ScanRecord]; let counts: [String: Int] }
    }

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sends the gate's admissions to the ledger as signed redeem records.",
            discussion: """
                Signs a redeem for every admission the ledger has not answered yet and submits \
                them in batches. Each admission's envelope is the same on every run, so a \
                repeated or interrupted upload changes nothing already recorded; the ledger's \
                answer (ok, or already_redeemed for a double entry) is kept in the store.
                """)
        @Option(name: .long, help: "The gate's local store directory.") var dir: String
        @Option(name: .long, help: "A node's API URL (repeat or comma-separate for fall-backs; default: the genesis members').") var node: [String] = []
        @Option(name: .long, help: "The gate's key file.") var key: String
        @Option(name: .long, help: "Redeems per request.") var batch = 500

        func run() async throws {
            try await reportingErrors {
                guard batch > 0 else { throw TalonError(.invalidArgument, "--batch must be positive") }
                let gate = try Gate(dir: dir)
                let pending = try gate.pendingRedeems(key: try SigningKey.load(from: key))
                guard !pending.isEmpty else { print("nothing to upload"); return }
                let client = try NodeClient(nodes: try NodeOptions.urls(node, genesis: gate.store.genesis))
                var counts: [String: Int] = [:]
                for start in stride(from: 0, to: pending.count, by: batch) {
                    let chunk = Array(pending[start..<min(pending.count, start + batch)])
                    let body = JSONForm.encode(chunk.map(\.1))
                    let answer = try JSONForm.decode(Results.self, from: try await client.call("/v1/envelopes", body: body))
                    guard answer.results.count == chunk.count else {
                        throw TalonError(.invalidAnswer, "\(chunk.count) redeems sent, \(answer.results.count) results")
                    }
                    var done: [String: String] = [:]
                    for ((admission, envelope), result) in zip(chunk, answer.results) {
                        guard result.hash == envelope.hash.hex else {
                            throw TalonError(.invalidAnswer, "the node answered for another envelope than the one sent")
                        }
                        guard let r = result.result else { counts["error " + (result.error?.code ?? "?"), default: 0] += 1; continue }
                        done[admission.ticketID] = r
                        counts[r, default: 0] += 1
                    }
                    try gate.store.markUploaded(done)
                }
                print("uploaded \(pending.count) redeems: " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
            }
        }

        struct Results: Decodable { let results: [Result] }
        struct Result: Decodable {
            let hash: String
            let result: String?
            let error: Problem?
            struct Problem: Decodable { let code: String }
        }
    }
}
