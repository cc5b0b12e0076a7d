/// An error or rejection reason from the ledger, with a stable `code` and a human message.
///
/// The same codes appear as per-envelope results in blocks, in API problems, in CLI
/// messages and in gate verdicts. Two errors are equal when their codes are.
public struct LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable, machine-readable code, e.g. `not_holder`.
    public let code: String
    /// What went wrong, for a person.
    public let message: String

    /// An error with a stable code and a message.
    public init(_ code: String, _ message: String = "") {
        self.code = code
        self.message = message.isEmpty ? String(code.map { $0 == "_" ? " " : $0 }) : message
    }

    /// This code with a specific message.
    public func with(_ message: String) -> LedgerError { LedgerError(code, message) }

    public var description: String { "\(code): \(message)" }
    public static func == (a: LedgerError, b: LedgerError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }

    // MARK: decoding (binary and JSON)
    /// The input ends before the value does.
    public static let truncated = LedgerError("truncated", "input ends before the value does")
    /// Bytes follow a complete value.
    public static let trailingBytes = LedgerError("trailing_bytes", "bytes follow a complete value")
    /// A length or count exceeds the bytes that follow or the field's limit.
    public static let overlongLength = LedgerError("overlong_length", "a length exceeds the bytes that follow or the field's limit")
    /// The version byte is not one this build knows.
    public static let unknownVersion = LedgerError("unknown_version", "unknown format version")
    /// The operation kind is not one this build knows.
    public static let unknownOperation = LedgerError("unknown_operation", "unknown operation kind")
    /// The bytes decode, but not in the one canonical form (e.g. invalid UTF-8).
    public static let nonCanonical = LedgerError("non_canonical", "not the canonical encoding")
    /// The JSON form is malformed, has a wrong type, or has unknown or missing fields.
    public static let invalidJSON = LedgerError("invalid_json", "malformed JSON")

    // MARK: admission (stateless)
    /// The signature does not verify for the signer over the envelope.
    public static let badSignature = LedgerError("bad_signature", "signature does not verify")
    /// The envelope names another chain.
    public static let wrongChain = LedgerError("wrong_chain", "envelope is for another chain")
    /// A field is out of its allowed range or shape.
    public static let invalidField = LedgerError("invalid_field", "a field is out of range")

    // MARK: apply (stateful)
    /// The signer already used this nonce.
    public static let nonceReused = LedgerError("nonce_reused", "the signer already used this nonce")
    /// The signer's role does not allow this operation.
    public static let notAuthorized = LedgerError("not_authorized", "the signer may not do this")
    /// The signer does not hold the ticket.
    public static let notHolder = LedgerError("not_holder", "the signer does not hold the ticket")
    /// No such event.
    public static let unknownEvent = LedgerError("unknown_event", "no such event")
    /// No such ticket.
    public static let unknownTicket = LedgerError("unknown_ticket", "no such ticket")
    /// The issuer, event or gate is already registered.
    public static let alreadyExists = LedgerError("already_exists", "already registered")
    /// A ticket id in an issue batch is already taken.
    public static let ticketExists = LedgerError("ticket_exists", "ticket id already issued")
    /// Issuing would exceed the event's capacity.
    public static let overCapacity = LedgerError("over_capacity", "issuing would exceed the event's capacity")
    /// The ticket was redeemed already.
    public static let alreadyRedeemed = LedgerError("already_redeemed", "ticket already redeemed")
    /// The ticket was voided by its issuer.
    public static let ticketVoid = LedgerError("ticket_void", "ticket is void")
    /// The redeem names an ownership sequence older than the ticket's.
    public static let superseded = LedgerError("superseded", "ticket changed hands since")
    /// The gate is registered for other sections than the ticket's.
    public static let wrongZone = LedgerError("wrong_zone", "gate not registered for the ticket's section")

    /// No contract with that id is deployed.
    public static let unknownContract = LedgerError("unknown_contract", "no such contract")
    /// The event's contract cannot be replaced once tickets are issued.
    public static let contractLocked = LedgerError("contract_locked", "the event's contract cannot change")
    /// The event's contract denied the operation (its reason is in the decision).
    public static let contractDenied = LedgerError("contract_denied", "the event's contract denied it")
    /// The ticket is not listed for resale (or its listing is of an earlier holder).
    public static let notListed = LedgerError("not_listed", "the ticket is not listed for resale")
    /// The buyer's price is not the listed one.
    public static let priceMismatch = LedgerError("price_mismatch", "the price is not the listed price")
    /// The event was cancelled: its tickets can only be refunded.
    public static let eventCancelled = LedgerError("event_cancelled", "the event was cancelled")
    /// No rule grants a refund (no contract, and the event is not cancelled).
    public static let notRefundable = LedgerError("not_refundable", "no refund is available")
    /// The ticket was refunded.
    public static let ticketRefunded = LedgerError("ticket_refunded", "the ticket was refunded")

    // MARK: store and verification
    /// The store was made from another genesis.
    public static let genesisMismatch = LedgerError("genesis_mismatch", "store was created from another genesis")
    /// The genesis file is malformed.
    public static let invalidGenesis = LedgerError("invalid_genesis", "malformed genesis")
    /// A stored record does not decode or does not match its hash.
    public static let storeCorrupt = LedgerError("store_corrupt", "stored data is damaged")
    /// `verify` found a mismatch.
    public static let verifyFailed = LedgerError("verify_failed", "ledger verification failed")
    /// The batch is empty or too large.
    public static let invalidBatch = LedgerError("invalid_batch", "batch is empty or too large")
}
