import ArgumentParser
import TalonLedger
import TalonProtocol

struct ListResaleOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-resale", abstract: "A holder lists a ticket for resale (the event's contract may refuse).")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    @Option(name: .long, help: "What the seller receives, in minor units (cents).") var price: UInt64
    @Option(name: .long, help: "What the buyer pays on top, in minor units.") var fees: UInt64 = 0
    func run() async throws {
        try await reportingErrors { try await signing.emit(.listResale(ListResale(ticketID: ticketId, price: price, fees: fees))) }
    }
}

struct CancelListingOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel-listing", abstract: "The seller withdraws a listing.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    func run() async throws {
        try await reportingErrors { try await signing.emit(.cancelListing(CancelListing(ticketID: ticketId))) }
    }
}

struct BuyResaleOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "buy-resale", abstract: "A buyer (the signer) buys a listed ticket at its listed price.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    @Option(name: .long, help: "The listed price, repeated: a listing on other terms is not bought.") var price: UInt64
    @Option(name: .long, help: "The listed fees, repeated.") var fees: UInt64 = 0
    func run() async throws {
        try await reportingErrors { try await signing.emit(.buyResale(BuyResale(ticketID: ticketId, price: price, fees: fees))) }
    }
}

struct RequestRefundOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request-refund", abstract: "A holder asks for a refund; the event's contract (or its cancellation) decides.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var ticketId: String
    func run() async throws {
        try await reportingErrors { try await signing.emit(.requestRefund(RequestRefund(ticketID: ticketId))) }
    }
}

struct CancelEventOp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel-event", abstract: "An event's issuer cancels it; its tickets can then only be refunded.")
    @OptionGroup var signing: SigningOptions
    @Option(name: .long) var eventId: String
    @Option(name: .long) var reason = ""
    func run() async throws {
        try await reportingErrors { try await signing.emit(.cancelEvent(CancelEvent(eventID: eventId, reason: reason))) }
    }
}
