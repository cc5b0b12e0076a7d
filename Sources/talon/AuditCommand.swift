import ArgumentParser
import Foundation
import TalonLedger
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

        /// Fetches `path`; prints it as JSON and returns nil, or returns it parsed for a table or CSV.
        func fetch(_ path: String) async throws -> [String: Any]? {
            let bytes = try await NodeClient(nodes: node).call(path)
            if json { writeOut(bytes); return nil }
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw TalonError(.invalidJSON, "the node's answer is not a JSON object")
            }
            return object
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

    static func text(_ v: Any?) -> String {
        switch v {
        case nil, is NSNull: return ""
        // JSON's true and false come back as NSNumbers of ObjC type `c` (char).
        case let n as NSNumber where String(cString: n.objCType) == "c": return n.boolValue ? "yes" : "no"
        case let n as NSNumber: return n.stringValue
        case let s as String: return s
        case let other?: return "\(other)"
        }
    }

    static func percent(_ v: Any?) -> String {
        guard let bp = (v as? NSNumber)?.int64Value else { return "" }
        return String(format: "%.2f%%", Double(bp) / 100)
    }

    static func headLine(_ answer: [String: Any]) -> String {
        let signed = answer["head"] as? [String: Any], head = signed?["head"] as? [String: Any]
        return "at height \(text(head?["height"])), tree size \(text(head?["tree_size"])), signed by \(text(signed?["node"]))"
    }

    struct Ticket: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every record touching a ticket, oldest first.")
        @OptionGroup var output: Output
        @Flag(name: .long, help: "Ask for every record's inclusion proof.") var prove = false
        @Argument(help: "The ticket id.") var ticketId: String

        func run() async throws {
            try await reportingErrors {
                guard let a = try await output.fetch("/v1/audit/tickets/\(NodeClient.pathSegment(ticketId))?prove=\(prove)") else { return }
                output.note("ticket \(ticketId) \(headLine(a))")
                let steps = a["steps"] as? [[String: Any]] ?? []
                output.print(["leaf", "height", "kind", "result", "from", "to", "price", "fees", "markup", "royalty", "gate"], steps.map { s in
                    [text(s["leaf"]), text(s["height"]), text(s["kind"]), text(s["result"]), text(s["from"]), text(s["to"]),
                     text(s["price"]), text(s["fees"]), percent(s["markup_bp"]), text(s["royalty"]), text(s["gate"])]
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
                guard let a = try await output.fetch("/v1/audit/events/\(NodeClient.pathSegment(eventId))/resales?\(query)") else { return }
                let t = a["totals"] as? [String: Any] ?? [:]
                output.note("""
                    event \(eventId) \(headLine(a))
                    resales \(text(t["resales"])), volume \(text(t["volume"])), fees \(text(t["fees"])), royalties \(text(t["royalties"]))
                    markup: average \(percent(t["average_markup_bp"])), median \(percent(t["median_markup_bp"])), max \(percent(t["max_markup_bp"]))
                    cap \(a["cap_pct"].map { "\(text($0))% of face (\(text(a["cap_source"])))" } ?? "none"): \(text(t["over_cap"])) over (\(percent(t["over_cap_share_bp"]))), \
                    rejected listings \(text(t["rejected_listings"])), rejected buys \(text(t["rejected_buys"])), rejected over the cap \(text(t["rejected_over_cap"]))
                    """)
                let rows = (a["rejected"] as? [[String: Any]] ?? []) + (a["resales"] as? [[String: Any]] ?? [])
                output.print(["leaf", "kind", "result", "ticket", "seller", "buyer", "price", "fees", "face", "markup", "royalty", "over_cap"], rows.map { r in
                    [text(r["leaf"]), text(r["kind"]), text(r["result"]), text(r["ticket_id"]), text(r["seller"]), text(r["buyer"]), text(r["price"]),
                     text(r["fees"]), text(r["face_value"]), percent(r["markup_bp"]), text(r["royalty"]), text(r["over_cap"])]
                })
                if let next = a["next"] { output.note("more: --after \(text(next))") }
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
                guard let a = try await output.fetch("/v1/audit/events/\(NodeClient.pathSegment(eventId))/holders?\(query)") else { return }
                let t = a["totals"] as? [String: Any] ?? [:]
                output.note("event \(eventId) \(headLine(a)): \(text(t["holders"])) holders, \(text(t["sellers"])) sellers, \(text(t["flips"])) flips, "
                            + "\(text(t["over_limit"]).isEmpty ? "no per-buyer limit" : "\(text(t["over_limit"])) over the limit of \(text(a["max_per_buyer"]))")")
                output.print(["holder", "sold", "bought", "flips", "held", "acquired", "proceeds", "avg_markup", "over_limit"],
                             (a["holders"] as? [[String: Any]] ?? []).map { h in
                    [text(h["key"]), text(h["sold"]), text(h["bought"]), text(h["flips"]), text(h["held"]), text(h["acquired"]),
                     text(h["proceeds"]), percent(h["average_markup_bp"]), text(h["over_limit"])]
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
                guard let a = try await output.fetch("/v1/audit/events/\(NodeClient.pathSegment(eventId))/entries?prove=\(prove)") else { return }
                let t = a["totals"] as? [String: Any] ?? [:]
                output.note("event \(eventId) \(headLine(a)): \(text(t["attempts"])) redeem attempts, \(text(t["redeemed"])) redeemed, "
                            + "\(text(t["repeated_tickets"])) tickets presented more than once")
                var rows: [[String]] = []
                for ticket in a["tickets"] as? [[String: Any]] ?? [] {
                    for at in ticket["attempts"] as? [[String: Any]] ?? [] {
                        rows.append([text(ticket["ticket_id"]), text(at["leaf"]), text(at["gate_name"]), text(at["gate"]),
                                     text(at["scanned_at"]), text(at["result"])])
                    }
                }
                output.print(["ticket", "leaf", "gate_name", "gate", "scanned_at", "result"], rows)
            }
        }
    }
}
