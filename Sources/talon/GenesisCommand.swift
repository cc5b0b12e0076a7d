import ArgumentParser
import Foundation
import TalonProtocol
import TalonLedger

struct GenesisCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genesis", abstract: "Create and read genesis files.", subcommands: [Init.self, Members.self])

    struct Members: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a genesis's members, one per line: id, peer address, API address, key.")
        @Option(name: .long, help: "The genesis file.") var genesis: String
        @Flag(name: .long, help: "Print only the ids.") var ids = false

        func run() throws {
            try reportingErrors {
                for m in try GenesisFile(path: genesis).genesis.members {
                    print(ids ? m.id : "\(m.id) \(m.peer) \(m.api) \(m.key)")
                }
            }
        }
    }

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write keys and a genesis for a local cluster.",
            discussion: """
                Writes DIR/genesis.json and DIR/keys/: one key per node (n1, n2, …), an admin key and \
                an issuer key registered from the start. Nodes listen on 127.0.0.1, peer ports from \
                --peer-port and API ports from --api-port upwards.
                """)
        @Option(name: .long, help: "Number of nodes.") var nodes = 3
        @Option(name: .long, help: "Directory to write into.") var out: String
        @Option(name: .long, help: "Chain id.") var chainId = "talon-local"
        @Option(name: .long, help: "First peer port.") var peerPort = 7101
        @Option(name: .long, help: "First API port.") var apiPort = 8101
        @Option(name: .long, help: "A remark stored in the genesis.") var note: String?
        @Flag(name: .long, help: "Overwrite existing files.") var force = false

        func validate() throws {
            guard (1...9).contains(nodes) else { throw ValidationError("--nodes must be 1–9") }
        }

        func run() throws {
            try reportingErrors {
                let keys = out + "/keys"
                try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
                func newKey(_ name: String) throws -> PublicKey {
                    let k = SigningKey.generate()
                    try k.write(to: "\(keys)/\(name).key", overwrite: force)
                    return k.publicKey
                }
                var members: [Genesis.Member] = []
                for i in 1...nodes {
                    members.append(.init(id: "n\(i)", peer: "127.0.0.1:\(peerPort + i - 1)", api: "127.0.0.1:\(apiPort + i - 1)", key: try newKey("n\(i)")))
                }
                let admin = try newKey("admin")
                let issuer = try newKey("issuer")
                let genesis = Genesis(chainID: chainId, note: note, members: members, admins: [admin],
                                      issuers: [.init(key: issuer, name: "Local issuer")])
                let bytes = genesis.fileBytes
                _ = try GenesisFile(bytes: bytes)
                let path = out + "/genesis.json"
                if !force && FileManager.default.fileExists(atPath: path) {
                    throw TalonError(.fileExists, "\(path) exists; pass --force to overwrite")
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                print("wrote \(path) (sha256 \(SHA256.hash(bytes).hex)) and keys in \(keys)/")
            }
        }
    }
}
