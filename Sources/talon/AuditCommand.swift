import ArgumentParser
import Foundation
import TalonProtocol

/// `talon audit`: the auditor's queries against a node, printed as tables, JSON or CSV, and
/// the offline check of a saved answer.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Provenance, resale reports, holders and double entries; verify saved answers offline.",
        subcommands: [Ticket.self, Event.self, Holders.self, Entries.self, AuditVerify.self])

    /// Where to ask and how to print.
    struct Output: ParsableArguments {
        @Option(name: .long, help: "A node's API URL (repeat or comma-separate for fall-backs).") var node: [String] = []
        @Flag(name: .long, help: "Print the node's JSON answer (keep it for `talon audit verify`).") var json = false
        @Flag(name: .long, help: "Print the rows as CSV.") var csv = false

        func validate() throws {
            if json && csv { throw ValidationError("give at most one of --json and --csv") }
        }

        /// Fetches `path`; prints it as JSON and returns nil, or returns it read as `Report` for a table or CSV.
        func fetch<Report: Decodable & Sendable>(_ path: String, as: Report.Type) async throws -> AuditAnswer<Report>? {
            let bytes = try await NodeClient(nodes: node).call(path)
            if json { writeOut(bytes); return nil }
            return try JSONForm.decode(AuditAnswer<Report>.self, from: bytes)
        }

        /// Prints `rows` as CSV or as an aligned table.
        func print(_ headers: [String], _ rows: [[String]]) {
            if csv {
                writeOut(Array(([headers] + rows).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n").utf8) + [0x0A])
                return
            }
            let widths = headers.indices.map { i in ([headers] + rows).map { $0[i].count }.max() ?? 0 }
            let lines = ([headers] + rows).map { row in
                row.enumerated().map { i, cell in cell.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
            }
            writeOut(Array(lines.joined(separator: "\n").utf8) + [0x0A])
        }

        /// Prints `text` unless the output is CSV (which holds rows only).
        func note(_ text: String) { if !csv { writeOut(Array(text.utf8) + [0x0A]) } }

        static func csvField(_ s: String) -> String {
            s.contains(where: { ",\"\n".contains($0) }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
    }

    /// A cell: empty for nothing, the value's text otherwise (a key's `ed25519:` form).
    static func text(_ v: (some CustomStringConvertible)?) -> String { v.map(\.description) ?? "" }

    /// A flag's cell: yes, no, or empty.
    static func text(_ v: Bool?) -> String { v.map { $0 ? "yes" : "no" } ?? "" }

    /// Hundredths of a percent as a percent with two decimals; empty for nothing.
    static func percent(_ bp: Int64?) -> String {
        guard let bp else { return "" }
        return String(format: "%.2f%%", Double(bp) / 100)
    }

    static func headLine(_ signed: SignedHead) -> String {
        "at height \(signed.head.height), tree size \(signed.head.treeSize), signed by \(signed.node)"
    }

    struct Ticket: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every record touching a ticket, oldest first.")
        @OptionGroup var output: Output
        @Flag(name: .long, help: "Ask for every record's inclusion proof.") var prove = false
        @Argument(help: "The ticket id.") var ticketId: String

        func run() async throws {
            try await reportingErrors {
                let path = "/v1/audit/tickets/\(APIPath.segment(ticketId))?prove=\(prove)"
                guard let a = try await output.fetch(path, as: TicketProvenance.self) else { return }
                output.note("ticket \(ticketId) \(headLine(a.head))")
                output.print(["leaf", "height", "kind", "result", "from", "to", "price", "fees", "markup", "royalty", "gate"], a.steps.map { s in
                    [text(s.leaf), text(s.height), s.kind, s.result, text(s.from), text(s.to),
                     text(s.price), text(s.fees), percent(s.markupBasisPoints), text(s.royalty), text(s.gate)]
                })
            }
        }
    }

    struct Event: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An event's resale report: totals, over-cap resales and attempts, resales.")
        @OptionGroup var output: Output
        @Option(name: .long, help: "Judge by this cap, percent of face value (default: the contract's max_price_pct).") var capPct: Int?
        @Option(name: .long, help: "Resales per page, 1–1000.") var limit = 1000
        @Option(name: .long, help: "Resales after this leaf (the previous page's next).") var after: UInt64?
        @Flag(name: .long, help: "Ask for every record's inclusion proof.") var prove = false
        @Argument(help: "The event id.") var eventId: String

        func run() async throws {
            try await reportingErrors {
                var query = "limit=\(limit)&prove=\(prove)"
                if let capPct { query += "&cap_pct=\(capPct)" }
                if let after { query += "&after=\(after)" }
                let path = "/v1/audit/events/\(APIPath.segment(eventId))/resales?\(query)"
                guard let a = try await output.fetch(path, as: ResaleReport.self) else { return }
                let t = a.totals
                output.note("""
                    event \(eventId) \(headLine(a.head))
                    resales \(t.resales), volume \(t.volume), fees \(t.fees), royalties \(t.royalties)
                    markup: average \(percent(t.averageMarkupBasisPoints)), median \(percent(t.medianMarkupBasisPoints)), max \(percent(t.maxMarkupBasisPoints))
                    cap \(a.capPct.map { "\($0)% of face (\(text(a.capSource)))" } ?? "none"): \(text(t.overCap)) over (\(percent(t.overCapShareBasisPoints))), \
                    rejected listings \(t.rejectedListings), rejected buys \(t.rejectedBuys), rejected over the cap \(text(t.rejectedOverCap))
                    """)
                output.print(["leaf", "kind", "result", "ticket", "seller", "buyer", "price", "fees", "face", "markup", "royalty", "over_cap"],
                             (a.rejected + a.resales).map { r in
                    [text(r.leaf), r.kind, r.result, r.ticketID, text(r.seller), text(r.buyer), text(r.price),
                     text(r.fees), text(r.faceValue), percent(r.markupBasisPoints), text(r.royalty), text(r.overCap)]
                })
                if let next = a.next { output.note("more: --after \(next)") }
            }
        }
    }

    struct Holders: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Holders ranked by resales, with flips and acquisitions over the limit.")
        @OptionGroup var output: Output
        @Option(name: .long, help: "A sale within this many hours of acquiring counts as a flip.") var flipHours = 24.0
        @Option(name: .long, help: "Judge acquisitions by this per-buyer limit (default: the contract's max_per_buyer).") var maxPerBuyer: Int?
        @Option(name: .long, help: "How many holders, 1–1000.") var limit = 100
        @Argument(help: "The event id.") var eventId: String

        func run() async throws {
            try await reportingErrors {
                guard flipHours >= 0, flipHours < 1e9 else { throw TalonError(.invalidParameter, "--flip-hours must be positive") }
                var query = "limit=\(limit)&flip_window_ms=\(Int64(flipHours * 3_600_000))"
                if let maxPerBuyer { query += "&max_per_buyer=\(maxPerBuyer)" }
                let path = "/v1/audit/events/\(APIPath.segment(eventId))/holders?\(query)"
                guard let a = try await output.fetch(path, as: HolderReport.self) else { return }
                let t = a.totals
                output.note("event \(eventId) \(headLine(a.head)): \(t.holders) holders, \(t.sellers) sellers, \(t.flips) flips, "
                            + (t.overLimit.map { "\($0) over the limit of \(text(a.maxPerBuyer))" } ?? "no per-buyer limit"))
                output.print(["holder", "sold", "bought", "flips", "held", "acquired", "proceeds", "avg_markup", "over_limit"], a.holders.map { h in
                    [text(h.key), text(h.sold), text(h.bought), text(h.flips), text(h.held), text(h.acquired),
                     text(h.proceeds), percent(h.averageMarkupBasisPoints), text(h.overLimit)]
                })
            }
        }
    }

    struct Entries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tickets presented at the gates more than once.")
        @OptionGroup var output: Output
        @Flag(name: .long, help: "Ask for every record's inclusion proof.") var prove = false
        @Argument(help: "The event id.") var eventId: String

        func run() async throws {
            try await reportingErrors {
                let path = "/v1/audit/events/\(APIPath.segment(eventId))/entries?prove=\(prove)"
                guard let a = try await output.fetch(path, as: EntryReport.self) else { return }
                let t = a.totals
                output.note("event \(eventId) \(headLine(a.head)): \(t.attempts) redeem attempts, \(t.redeemed) redeemed, "
                            + "\(t.repeatedTickets) tickets presented more than once")
                let rows = a.tickets.flatMap { ticket in
                    ticket.attempts.map { at in
                        [ticket.ticketID, text(at.leaf), text(at.gateName), text(at.gate), text(at.scannedAt), at.result]
                    }
                }
                output.print(["ticket", "leaf", "gate_name", "gate", "scanned_at", "result"], rows)
            }
        }
    }
}
