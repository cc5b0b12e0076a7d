/// An event's redeem attempts, and the tickets presented more than once: the double entries
/// that offline gates can only flag after the fact (`GET /v1/audit/events/{id}/entries`).
public struct EntryReport: Hashable, Sendable, Codable {
    public var eventID: String
    public var totals: Totals
    /// Tickets with more than one redeem attempt, by first attempt (at most `limit`).
    public var tickets: [Ticket]

    /// The report on event `eventID`.
    package init(eventID: String, totals: Totals, tickets: [Ticket]) { self.eventID = eventID; self.totals = totals; self.tickets = tickets }

    enum CodingKeys: String, CodingKey { case eventID = "event_id", totals, tickets }

    /// Counts over every redeem attempt of the event.
    public struct Totals: Hashable, Sendable, Codable {
        public var attempts = 0, redeemed = 0
        /// Tickets with more than one attempt, and the attempts beyond each one's first.
        public var repeatedTickets = 0, repeatAttempts = 0

        /// `attempts` redeem attempts, `redeemed` of them accepted, the repeats counted after.
        package init(attempts: Int, redeemed: Int, repeatedTickets: Int = 0, repeatAttempts: Int = 0) {
            self.attempts = attempts; self.redeemed = redeemed; self.repeatedTickets = repeatedTickets; self.repeatAttempts = repeatAttempts
        }

        enum CodingKeys: String, CodingKey {
            case attempts, redeemed, repeatedTickets = "repeated_tickets", repeatAttempts = "repeat_attempts"
        }
    }

    /// A ticket presented more than once, with every attempt.
    public struct Ticket: Hashable, Sendable, Codable {
        public var ticketID: String
        public var attempts: [Attempt]

        /// Ticket `ticketID` and its `attempts`.
        package init(ticketID: String, attempts: [Attempt]) { self.ticketID = ticketID; self.attempts = attempts }

        enum CodingKeys: String, CodingKey { case ticketID = "ticket_id", attempts }
    }

    /// One redeem record.
    public struct Attempt: Hashable, Sendable, Codable {
        public var leaf: UInt64, height: UInt64, timestamp: Int64
        public var gate: PublicKey
        /// The gate's registered name, when it is a gate of the event.
        public var gateName: String?
        public var scannedAt: Int64
        public var result: String
        public var envelopeHash: Digest
        public var proof: RecordProof?

        /// The redeem at `leaf` by `gate`.
        package init(leaf: UInt64, height: UInt64, timestamp: Int64, gate: PublicKey, gateName: String?, scannedAt: Int64,
                     result: String, envelopeHash: Digest, proof: RecordProof?) {
            self.leaf = leaf; self.height = height; self.timestamp = timestamp; self.gate = gate; self.gateName = gateName
            self.scannedAt = scannedAt; self.result = result; self.envelopeHash = envelopeHash; self.proof = proof
        }

        enum CodingKeys: String, CodingKey {
            case leaf, height, timestamp, gate, gateName = "gate_name", scannedAt = "scanned_at", result
            case envelopeHash = "envelope_hash", proof
        }
    }
}
