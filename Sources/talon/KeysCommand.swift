import ArgumentParser
import TalonProtocol

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create and inspect Ed25519 key files.",
        subcommands: [New.self, Show.self])

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new key file (mode 0600) and print its public key.")
        @Option(name: .long, help: "Where to write the key file.") var out: String
        @Flag(name: .long, help: "Overwrite an existing file.") var force = false

        func run() throws {
            try reportingErrors {
                let key = SigningKey.generate()
                try key.write(to: out, overwrite: force)
                print(key.publicKey.text)
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the public key of a key file.")
        @Argument(help: "A key file.") var file: String

        func run() throws {
            try reportingErrors { print(try SigningKey.load(from: file).publicKey.text) }
        }
    }
}
