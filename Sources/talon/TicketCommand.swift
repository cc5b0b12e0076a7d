import ArgumentParser
import TalonLedger

struct TicketCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ticket", abstract: "Show a ticket and its history.", subcommands: [Show.self, History.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a ticket's current state as JSON.")
        @OptionGroup var store: StoreOptions
        @Argument var ticketId: String
        func run() throws {
            try reportingErrors {
                guard let t = try LedgerStore.open(store.store).ticket(ticketId) else {
                    throw CLIError(code: "unknown_ticket", message: "no ticket \(ticketId)")
                }
                printJSON(t, pretty: true)
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print every record naming a ticket, oldest first, one JSON line each.")
        @OptionGroup var store: StoreOptions
        @Argument var ticketId: String
        func run() throws {
            try reportingErrors {
                let records = try LedgerStore.open(store.store).history(ticket: ticketId)
                if records.isEmpty { throw CLIError(code: "unknown_ticket", message: "no records for ticket \(ticketId)") }
                for r in records { printJSON(r) }
            }
        }
    }
}
