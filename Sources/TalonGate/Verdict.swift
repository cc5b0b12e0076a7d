public import TalonProtocol

/// A gate's answer to one scan: admit, or deny with a stable code and words for the staff.
public struct Verdict: Hashable, Sendable, Encodable {
    public enum Decision: String, Sendable, Encodable { case admit = "ADMIT", deny = "DENY" }

    public var decision: Decision
    /// `admitted`, or why not: one of `Code.verdicts` (`malformed`, `no_code`, `forged`,
    /// `wrong_event`, `expired_window`, `unknown_ticket`, `superseded`, `ticket_void`,
    /// `ticket_refunded`, `event_cancelled`, `already_redeemed`, `too_early`, `wrong_zone`).
    /// What the ledger decided about the ticket has the ledger's own code.
    public var code: Code
    /// What to tell the person at the door.
    public var message: String
    public var ticketID: String?
    public var section: String?
    public var seat: String?
    public var holder: PublicKey?
    /// For `already_redeemed`: when (ms) and at which gate the ticket went in.
    public var redeemedAt: Int64?
    public var redeemedGate: String?

    static let noCode = deny(.noCode, "no pass in the image: no QR code found, or the image cannot be read")

    /// `ms` (since the Unix epoch) as `2026-12-31 20:05:31 UTC`, for staff.
    public static func utc(_ ms: Int64) -> String {
        let seconds = ms.quotientAndRemainder(dividingBy: 1000).quotient - (ms < 0 && ms % 1000 != 0 ? 1 : 0)
        let (days, rest) = (seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400, ((seconds % 86_400) + 86_400) % 86_400)
        // Days to civil date (proleptic Gregorian), after Howard Hinnant's days_from_civil inverse.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(year)-\(two(month))-\(two(day)) \(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60)) UTC"
    }

    static func deny(_ code: Code, _ message: String, ticket: String? = nil) -> Verdict {
        Verdict(decision: .deny, code: code, message: message, ticketID: ticket)
    }

    enum CodingKeys: String, CodingKey {
        case decision, code, message, ticketID = "ticket_id", section, seat, holder
        case redeemedAt = "redeemed_at", redeemedGate = "redeemed_gate"
    }
}
