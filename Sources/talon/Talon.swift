import ArgumentParser

@main
struct Talon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "talon",
        abstract: "Talon: a ticket-authenticity ledger.",
        discussion: """
            Errors are printed as `error[code]: message` on standard error, with the same stable \
            codes the ledger records. Keys are given as `ed25519:<64 hex>` or as a key file path.
            """,
        subcommands: [KeysCommand.self, GenesisCommand.self, OpCommand.self, LedgerCommand.self, AuditCommand.self,
                      TicketCommand.self, HolderCommand.self, PassCommand.self, GateCommand.self, NodeCommand.self, ClusterCommand.self, BenchCommand.self, SimCommand.self, ContractCommand.self,
                      ChaosCommand.self]
    )
}
