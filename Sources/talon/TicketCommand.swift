import ArgumentParser
import Foundation
import TalonLedger
import TalonProtocol

struct TicketCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket", abstract: "Show a ticket and its history.", subcommands: [Show.self, History.self])

    /// Where to read: a local store, or a node's API.
    struct Source: ParsableArguments {
        @Option(name: .long, help: "A ledger store directory to read directly.") var store: String?
        @Option(name: .long, help: "A node's API URL (repeat or comma-separate for fall-backs).") var node: [String] = []
        @Flag(name: .long, help: "With --node: a linearizable read (ReadIndex) instead of the node's local state.") var linearizable = false

        func validate() throws {
            guard (store == nil) != node.isEmpty else { throw ValidationError("give exactly one of --store and --node") }
        }

        var query: String { linearizable ? "?consistency=linearizable" : "" }

        /// Prints every record of a history, oldest first, one JSON line each, page after
        /// page: from the store through `storePage` (given the leaf to start after), or from
        /// the node at `path`. Returns how many it printed. Opens the store once.
        func printEveryPage(path: String, storePage: (Ledger, UInt64?) throws -> [LedgerRecord]) async throws -> Int {
            let ledger = try store.map(LedgerStore.open)
            var after: UInt64?
            var printed = 0
            while true {
                let page: [LedgerRecord]
                if let ledger {
                    page = try storePage(ledger, after)
                } else {
                    let query = [linearizable ? "consistency=linearizable" : nil, after.map { "after=\($0)" }].compactMap { $0 }
                    let url = path + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
                    page = try JSONForm.decode(HistoryResponse.self, from: try await NodeClient(nodes: node).call(url)).records
                }
                for r in page { printJSON(r) }
                printed += page.count
                guard let last = page.last else { return printed }
                after = last.receipt.leaf
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a ticket's current state as JSON.")
        @OptionGroup var source: Source
        @Argument var ticketId: String
        func run() async throws {
            try await reportingErrors {
                if let store = source.store {
                    guard let t = try LedgerStore.open(store).ticket(ticketId) else {
                        throw TalonError(.unknownTicket, "no ticket \(ticketId)")
                    }
                    return printJSON(t, pretty: true)
                }
                let path = "/v1/tickets/\(APIPath.segment(ticketId))\(source.query)"
                writeOut(Array(try await NodeClient(nodes: source.node).call(path)))
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every record naming a ticket, oldest first, one JSON line each.",
            discussion: "Its issue, every change of hands and redeem, and the attempts the ledger rejected; every page of it.")
        @OptionGroup var source: Source
        @Argument var ticketId: String
        func run() async throws {
            try await reportingErrors {
                let printed = try await source.printEveryPage(path: "/v1/tickets/\(APIPath.segment(ticketId))/history") { ledger, after in
                    try ledger.history(ticket: ticketId, after: after)
                }
                if printed == 0 { throw TalonError(.unknownTicket, "no records for ticket \(ticketId)") }
            }
        }
    }
}
