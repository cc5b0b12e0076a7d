import ArgumentParser
import Foundation
import TalonProtocol
import TalonLedger

struct OpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "op",
        abstract: "Build and sign an envelope; print it as one line of JSON.",
        discussion: """
            With --node, submits the envelope to the cluster (trying each node given in turn) and \
            prints its receipt; exits 1 when the ledger rejected it. Without, prints the envelope \
            for `talon ledger append` or a later POST to /v1/envelopes.
            """,
        subcommands: [RegisterIssuerOp.self, CreateEventOp.self, RegisterGateOp.self, IssueOp.self,
                      TransferOp.self, RedeemOp.self, VoidOp.self, DeployContractOp.self, BindContractOp.self,
                      ListResaleOp.self, CancelListingOp.self, BuyResaleOp.self, RequestRefundOp.self, CancelEventOp.self])
}

/// Options every `op` takes: who signs, for which chain, with which nonce.
struct SigningOptions: ParsableArguments {
    @Option(name: .long, help: "The signer's key file.") var key: String
    @Option(name: .long, help: "The genesis file (for the chain id).") var genesis: String?
    @Option(name: .long, help: "The chain id, instead of --genesis.") var chainId: String?
    @Option(name: .long, help: "The nonce (default: microseconds since the epoch, unique per signer in practice).") var nonce: UInt64?
    @Option(name: .long, help: "Submit to this node's API (repeat or comma-separate to fall back to others).") var node: [String] = []

    func validate() throws {
        guard (genesis == nil) != (chainId == nil) else { throw ValidationError("give exactly one of --genesis and --chain-id") }
    }

    /// Signs `operation`, then prints the envelope, or submits it and prints its receipt.
    func emit(_ operation: LedgerOperation) async throws {
        try await reportingErrors {
            let signer = try SigningKey.load(from: key)
            let chain = try chainId ?? GenesisFile(path: genesis ?? "").genesis.chainID
            try operation.validateFields()
            let n = nonce ?? UInt64((Date().timeIntervalSince1970 * 1_000_000).rounded())
            let envelope = Envelope(chainID: chain, nonce: n, operation: operation, signedBy: signer)
            // Refuse here what every node would refuse: sizes beyond the format's limits.
            _ = try Envelope(bytes: envelope.bytes)
            guard !node.isEmpty else { return printJSON(envelope) }
            let client = try NodeClient(nodes: node)
            // Sent in the binary media type: one frame, answered as an array of one result.
            let answer = try await client.submit([envelope])
            guard answer.results.count == 1, let outcome = answer.results.first, outcome.hash == envelope.hash else {
                throw TalonError(.invalidAnswer, "the node answered one envelope with \(answer.results.count) results or another hash")
            }
            if let refusal = outcome.refusal { throw NodeFailure(code: refusal.code, message: refusal.message) }
            guard let receipt = outcome.receipt else {
                throw TalonError(.invalidAnswer, "the node answered one envelope with neither a receipt nor a refusal")
            }
            writeOut(JSONForm.encode(outcome) + [0x0A])
            guard receipt.result == "ok" else {
                throw NodeFailure(code: receipt.result, message: "the ledger recorded the envelope as rejected at height \(receipt.height)")
            }
        }
    }
}

struct RegisterIssuerOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register-issuer", abstract: "An admin registers an issuer.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long, help: "The issuer's public key or key file.") var issuer: String
    @Option(name: .long, help: "The issuer's name.") var name: String
    func run() async throws {
        try await reportingErrors { try await signing.emit(.registerIssuer(RegisterIssuer(issuer: try publicKey(issuer), name: name))) }
    }
}

struct CreateEventOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create-event", abstract: "An issuer creates an event.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var eventId: String
    @Option(name: .long) var name: String
    @Option(name: .long) var venue: String
    @Option(name: .long, help: "Start time: ISO 8601 or epoch milliseconds.") var startsAt: String
    @Option(name: .long, help: "Doors-open time (default: 2 hours before the start).") var doorsOpenAt: String?
    @Option(name: .long) var capacity: UInt32
    @Option(name: .long, help: "ISO 4217 currency code.") var currency = "EUR"
    func run() async throws {
        try await reportingErrors {
            let start = try parseTime(startsAt, "--starts-at")
            let doors = try doorsOpenAt.map { try parseTime($0, "--doors-open-at") } ?? start - 2 * 3_600_000
            try await signing.emit(.createEvent(CreateEvent(eventID: eventId, name: name, venue: venue, startsAt: start,
                                                      doorsOpenAt: doors, capacity: capacity, currency: currency)))
        }
    }
}

struct RegisterGateOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register-gate", abstract: "An event's issuer registers a gate scanner.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var eventId: String
    @Option(name: .long, help: "The gate's public key or key file.") var gate: String
    @Option(name: .long) var name: String
    @Option(name: .long, help: "Comma-separated sections the gate admits (default: all).") var sections = ""
    func run() async throws {
        try await reportingErrors {
            let list = sections.split(separator: ",").map { String($0) }
            try await signing.emit(.registerGate(RegisterGate(eventID: eventId, gate: try publicKey(gate), name: name, sections: list)))
        }
    }
}

struct IssueOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue", abstract: "An event's issuer issues tickets.",
        discussion: """
            Either --tickets FILE (a JSON array of {ticket_id, section, seat, face_value, holder}) or a \
            numbered run: --count N --prefix P --holder KEY --face-value CENTS [--section S] issues \
            P-1 … P-N with seats 1 … N.
            """)
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var eventId: String
    @Option(name: .long, help: "JSON array of tickets.") var tickets: String?
    @Option(name: .long) var count: Int?
    @Option(name: .long) var prefix: String?
    @Option(name: .long, help: "First holder's public key or key file.") var holder: String?
    @Option(name: .long, help: "Face value in minor units (cents).") var faceValue: UInt64?
    @Option(name: .long) var section = "GA"
    @Option(name: .long, help: "First number of a numbered run.") var start = 1

    func run() async throws {
        try await reportingErrors {
            let specs: [TicketSpec]
            if let tickets {
                specs = try JSONForm.decode([TicketSpec].self, from: try readInput(tickets))
            } else if let count, let prefix, let holder, let faceValue {
                let h = try publicKey(holder)
                specs = (start..<start + count).map {
                    TicketSpec(ticketID: "\(prefix)-\($0)", section: section, seat: "\($0)", faceValue: faceValue, holder: h)
                }
            } else {
                throw TalonError(.invalidArgument, "give --tickets FILE, or --count, --prefix, --holder and --face-value")
            }
            try await signing.emit(.issue(IssueTickets(eventID: eventId, tickets: specs)))
        }
    }
}

struct TransferOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "transfer", abstract: "A holder transfers a ticket.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    @Option(name: .long, help: "The new holder's public key or key file.") var to: String
    func run() async throws {
        try await reportingErrors { try await signing.emit(.transfer(Transfer(ticketID: ticketId, to: try publicKey(to)))) }
    }
}

struct RedeemOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "redeem", abstract: "A registered gate redeems a ticket.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    @Option(name: .long, help: "The ownership sequence on the scanned pass.") var sequence: UInt64
    @Option(name: .long, help: "Scan time: ISO 8601 or epoch milliseconds (default: now).") var scannedAt: String?
    func run() async throws {
        try await reportingErrors {
            let at = try scannedAt.map { try parseTime($0, "--scanned-at") } ?? nowMillis()
            try await signing.emit(.redeem(Redeem(ticketID: ticketId, sequence: sequence, scannedAt: at)))
        }
    }
}

struct VoidOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "void", abstract: "An event's issuer voids a ticket.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    @Option(name: .long) var reason = ""
    func run() async throws {
        try await reportingErrors { try await signing.emit(.void(VoidTicket(ticketID: ticketId, reason: reason))) }
    }
}
