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
                let ledger = try source.store.map(LedgerStore.open)
                var after: UInt64?
                while true {
                    let page: [LedgerRecord]
                    if let ledger {
                        page = try ledger.history(holder: holder, after: after)
                    } else {
                        let query = [source.linearizable ? "consistency=linearizable" : nil, after.map { "after=\($0)" }].compactMap { $0 }
                        let path = "/v1/holders/\(APIPath.segment(holder.text))/history" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
                        page = try JSONForm.decode(HistoryResponse.self, from: try await NodeClient(nodes: source.node).call(path)).records
                    }
                    for r in page { printJSON(r) }
                    guard let last = page.last else { return }
                    after = last.receipt.leaf
                }
            }
        }
    }
}
