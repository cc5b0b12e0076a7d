import ArgumentParser
import TalonProtocol

/// `talon audit verify`: checks a saved audit answer with nothing but the genesis file
/// (`AuditVerifier`, docs/format.md "Audit answers"); with `--since`, also that the log
/// only grew since an earlier answer, from a node's consistency proof.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a saved audit answer (talon audit … --json --prove) against the genesis, offline.")

    @Option(name: .long, help: "The chain's genesis file.") var genesis: String
    @Option(name: .long, help: "An earlier saved answer: prove that the log grew from its head to this one's (needs --node).") var since: String?
    @Option(name: .long, help: "A node's API URL, for --since's consistency proof.") var node: [String] = []
    @Argument(help: "The saved answer (a file, or - for standard input).") var answer: String = "-"

    func run() async throws {
        try await reportingErrors {
            let verifier = AuditVerifier(genesis: try GenesisFile(bytes: try readInput(genesis)))
            let checked = try verifier.check(try readInput(answer))
            var line = "ok: head at height \(checked.head.head.height), tree size \(checked.head.head.treeSize), signed by \(checked.head.node); "
                + "\(checked.proven) record(s) proven in it, \(checked.outcomes) with their results and decisions"
            if checked.proven == 0 { line += " (ask with --prove to have records proven)" }
            if checked.proven > checked.outcomes {
                line += " (\(checked.proven - checked.outcomes) without an outcome proof: results not under a signature)"
            }
            if let since {
                let old = try verifier.check(try readInput(since)).head.head, new = checked.head.head
                let path = try verifier.consistencyPath(from: old, to: new)
                try verifier.checkGrowth(from: old, to: new, answer: try await NodeClient(nodes: node).call(path))
                line += "; the log grew from tree size \(old.treeSize) (height \(old.height)) without rewriting it"
            }
            writeOut(Array(line.utf8) + [0x0A])
        }
    }
}
