public import TalonCrypto

/// A gate's answer to one scan: admit, or deny with a stable code and words for the staff.
public struct Verdict: Hashable, Sendable, Encodable {
    public enum Decision: String, Sendable, Encodable { case admit = "ADMIT", deny = "DENY" }

    public var decision: Decision
    /// `admitted`, or why not: `malformed`, `no_code`, `forged`, `wrong_event`,
    /// `expired_window`, `unknown_ticket`, `superseded`, `void`, `refunded`,
    /// `event_cancelled`, `already_redeemed`, `too_early`, `wrong_zone`.
    public var code: String
    /// What to tell the person at the door.
    public var message: String
    public var ticketID: String?
    public var section: String?
    public var seat: String?
    public var holder: PublicKey?
    /// For `already_redeemed`: when (ms) and at which gate the ticket went in.
    public var redeemedAt: Int64?
    public var redeemedGate: String?

    static let noCode = deny("no_code", "no pass in the image: no QR code found, or the image cannot be read")

    static func deny(_ code: String, _ message: String, ticket: String? = nil) -> Verdict {
        Verdict(decision: .deny, code: code, message: message, ticketID: ticket)
    }

    enum CodingKeys: String, CodingKey {
        case decision, code, message, ticketID = "ticket_id", section, seat, holder
        case redeemedAt = "redeemed_at", redeemedGate = "redeemed_gate"
    }
}
