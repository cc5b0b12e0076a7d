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
                let path = "/v1/tickets/\(NodeClient.pathSegment(ticketId))\(source.query)"
                writeOut(Array(try await NodeClient(nodes: source.node).call(path)))
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every record naming a ticket, oldest first, one JSON line each.")
        @OptionGroup var source: Source
        @Argument var ticketId: String
        func run() async throws {
            try await reportingErrors {
                if let store = source.store {
                    let records = try LedgerStore.open(store).history(ticket: ticketId)
                    if records.isEmpty { throw TalonError(.unknownTicket, "no records for ticket \(ticketId)") }
                    for r in records { printJSON(r) }
                    return
                }
                let path = "/v1/tickets/\(NodeClient.pathSegment(ticketId))/history\(source.query)"
                let page = try JSONDecoder().decode(HistoryPage.self, from: Data(try await NodeClient(nodes: source.node).call(path)))
                for r in page.records { printJSON(r) }
            }
        }
    }

    struct HistoryPage: Decodable {
        let records: [LedgerRecord]
    }
}
