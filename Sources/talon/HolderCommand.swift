import ArgumentParser
import TalonLedger
import TalonProtocol

struct HolderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holder", abstract: "Show what a key has held.", subcommands: [History.self])

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print every record naming a key as a holder, oldest first, one JSON line each.",
            discussion: "What the key received, sent, and had redeemed, and the attempts the ledger rejected; every page of it.")
        @OptionGroup var source: TicketCommand.Source
        @Argument(help: "The holder's public key (ed25519:…) or key file.") var key: String
        func run() async throws {
            try await reportingErrors {
                let holder = try publicKey(key)
                _ = try await source.printEveryPage(path: "/v1/holders/\(APIPath.segment(holder.text))/history") { ledger, after in
                    try ledger.history(holder: holder, after: after)
                }
            }
        }
    }
}
