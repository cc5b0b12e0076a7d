public import TalonProtocol

/// An error or rejection reason from the ledger: a code of the registry (`Code`) and a
/// human message.
///
/// Apply records the codes whose `uses` hold `.result` as an envelope's result in its block
/// (`ReasonCode` in docs/openapi.yaml); any other code met while applying is not a verdict on
/// the envelope and aborts the block. The API answers with the codes of `.problem` use, at
/// the HTTP status of their kind; the CLI prints `error[code]: message`; and the gate's
/// verdicts use the same codes for what the ledger decided (`unknown_ticket`, `superseded`,
/// `ticket_void`, `ticket_refunded`, `already_redeemed`, `event_cancelled`, `wrong_zone`).
/// Two errors are equal when their codes are.
public struct LedgerError: CodedError, Hashable {
    /// The stable code, e.g. `not_holder`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    /// An error with a registered code and a message (by default the code's words).
    public init(_ code: Code, _ message: String = "") {
        self.code = code
        self.message = message.isEmpty ? String(code.name.map { $0 == "_" ? " " : $0 }) : message
    }

    /// This code with a specific message.
    public func with(_ message: String) -> LedgerError { LedgerError(code, message) }

    /// Equal when the codes are equal; the message is ignored.
    public static func == (a: LedgerError, b: LedgerError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    // MARK: decoding (binary and JSON)
    /// The input ends before the value does.
    public static let truncated = LedgerError(.truncated, "input ends before the value does")
    /// Bytes follow a complete value.
    public static let trailingBytes = LedgerError(.trailingBytes, "bytes follow a complete value")
    /// A length or count exceeds the bytes that follow or the field's limit.
    public static let overlongLength = LedgerError(.overlongLength, "a length exceeds the bytes that follow or the field's limit")
    /// The version byte is not one this build knows.
    public static let unknownVersion = LedgerError(.unknownVersion, "unknown format version")
    /// The operation kind is not one this build knows.
    public static let unknownOperation = LedgerError(.unknownOperation, "unknown operation kind")
    /// The bytes decode, but not in the one canonical form (e.g. invalid UTF-8).
    public static let nonCanonical = LedgerError(.nonCanonical, "not the canonical encoding")
    /// The JSON form is malformed, has a wrong type, or has unknown or missing fields.
    public static let invalidJSON = LedgerError(.invalidJSON, "malformed JSON")

    // MARK: admission (stateless)
    /// The signature does not verify for the signer over the envelope.
    public static let badSignature = LedgerError(.badSignature, "signature does not verify")
    /// The envelope names another chain.
    public static let wrongChain = LedgerError(.wrongChain, "envelope is for another chain")
    /// A field is out of its allowed range or shape.
    public static let invalidField = LedgerError(.invalidField, "a field is out of range")

    // MARK: apply (stateful)
    /// The signer already used this nonce.
    public static let nonceReused = LedgerError(.nonceReused, "the signer already used this nonce")
    /// The signer's role does not allow this operation.
    public static let notAuthorized = LedgerError(.notAuthorized, "the signer may not do this")
    /// The signer does not hold the ticket.
    public static let notHolder = LedgerError(.notHolder, "the signer does not hold the ticket")
    /// No such event.
    public static let unknownEvent = LedgerError(.unknownEvent, "no such event")
    /// No such ticket.
    public static let unknownTicket = LedgerError(.unknownTicket, "no such ticket")
    /// The issuer, event or gate is already registered.
    public static let alreadyExists = LedgerError(.alreadyExists, "already registered")
    /// A ticket id in an issue batch is already taken.
    public static let ticketExists = LedgerError(.ticketExists, "ticket id already issued")
    /// Issuing would exceed the event's capacity.
    public static let overCapacity = LedgerError(.overCapacity, "issuing would exceed the event's capacity")
    /// The ticket was redeemed already.
    public static let alreadyRedeemed = LedgerError(.alreadyRedeemed, "ticket already redeemed")
    /// The ticket was voided by its issuer.
    public static let ticketVoid = LedgerError(.ticketVoid, "ticket is void")
    /// The redeem names an ownership sequence older than the ticket's.
    public static let superseded = LedgerError(.superseded, "ticket changed hands since")
    /// The gate is registered for other sections than the ticket's.
    public static let wrongZone = LedgerError(.wrongZone, "gate not registered for the ticket's section")

    /// No contract with that id is deployed.
    public static let unknownContract = LedgerError(.unknownContract, "no such contract")
    /// The event's contract cannot be replaced once tickets are issued.
    public static let contractLocked = LedgerError(.contractLocked, "the event's contract cannot change")
    /// The event's contract denied the operation (its reason is in the decision).
    public static let contractDenied = LedgerError(.contractDenied, "the event's contract denied it")
    /// The ticket is not listed for resale (or its listing is of an earlier holder).
    public static let notListed = LedgerError(.notListed, "the ticket is not listed for resale")
    /// The buyer's price is not the listed one.
    public static let priceMismatch = LedgerError(.priceMismatch, "the price is not the listed price")
    /// The event was cancelled: its tickets can only be refunded.
    public static let eventCancelled = LedgerError(.eventCancelled, "the event was cancelled")
    /// No rule grants a refund (no contract, and the event is not cancelled).
    public static let notRefundable = LedgerError(.notRefundable, "no refund is available")
    /// The ticket was refunded.
    public static let ticketRefunded = LedgerError(.ticketRefunded, "the ticket was refunded")

    // MARK: store and verification
    /// The store was made from another genesis.
    public static let genesisMismatch = LedgerError(.genesisMismatch, "store was created from another genesis")
    /// The genesis file is malformed.
    public static let invalidGenesis = LedgerError(.invalidGenesis, "malformed genesis")
    /// A stored record does not decode or does not match its hash.
    public static let storeCorrupt = LedgerError(.storeCorrupt, "stored data is damaged")
    /// `verify` found a mismatch.
    public static let verifyFailed = LedgerError(.verifyFailed, "ledger verification failed")
    /// The batch is empty or too large.
    public static let invalidBatch = LedgerError(.invalidBatch, "batch is empty or too large")
}
