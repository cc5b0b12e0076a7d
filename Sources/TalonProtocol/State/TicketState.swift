
/// A ticket as the ledger holds it now.
public struct TicketState: Hashable, Sendable, Codable {
    /// Where a ticket is in its life.
    public enum Status: String, Sendable, Codable {
        case active, redeemed, void, refunded
        /// The status's byte in stored forms.
        public var byte: UInt8 { switch self { case .active: 0; case .redeemed: 1; case .void: 2; case .refunded: 3 } }
        /// The status stored as `byte`, or nil for an unknown byte.
        public init?(byte: UInt8) {
            switch byte { case 0: self = .active; case 1: self = .redeemed; case 2: self = .void; case 3: self = .refunded; default: return nil }
        }
    }

    public var ticketID: String
    public var eventID: String
    public var section: String
    public var seat: String
    public var faceValue: UInt64
    public var holder: PublicKey
    public var status: Status
    /// 0 at issue, +1 on every change of holder.
    public var sequence: UInt64
    /// The gate that redeemed it and when it scanned, once redeemed.
    public var redeemedBy: PublicKey?
    public var redeemedAt: Int64?
    /// Block heights of issue and of the last change.
    public var issuedAt: UInt64
    public var updatedAt: UInt64
    /// What the current holder paid, minor units: the face value until a resale.
    public var paid: UInt64
    /// Changes of holder since issue (gifts and resales) and resales among them.
    public var transfers: UInt32
    public var resales: UInt32
    /// The amount refunded, minor units, once refunded (recorded, not paid).
    public var refund: UInt64

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", eventID = "event_id", section, seat, faceValue = "face_value", holder, status, sequence
        case redeemedBy = "redeemed_by", redeemedAt = "redeemed_at", issuedAt = "issued_height", updatedAt = "updated_height"
        case paid, transfers, resales, refund
    }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(2)
        w.string(eventID); w.string(section); w.string(seat); w.u64(faceValue); w.key(holder)
        w.u8(status.byte); w.u64(sequence)
        if let redeemedBy, let redeemedAt { w.u8(1); w.key(redeemedBy); w.i64(redeemedAt) } else { w.u8(0) }
        w.u64(issuedAt); w.u64(updatedAt)
        w.u64(paid); w.u32(transfers); w.u32(resales); w.u64(refund)
        return w.bytes
    }

    package init(ticketID: String, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        // Version 1 (before contracts) had no paid, transfers and resales.
        let version = try r.u8()
        guard version == 1 || version == 2 else { throw TalonError(.storeCorrupt, "ticket \(ticketID): unknown record version") }
        self.ticketID = ticketID
        eventID = try r.string(max: Limits.idBytes); section = try r.string(max: Limits.textBytes)
        seat = try r.string(max: Limits.textBytes); faceValue = try r.u64(); holder = try r.key()
        guard let s = Status(byte: try r.u8()) else { throw TalonError(.storeCorrupt, "ticket \(ticketID): bad status") }
        status = s
        sequence = try r.u64()
        if try r.u8() == 1 { redeemedBy = try r.key(); redeemedAt = try r.i64() }
        issuedAt = try r.u64(); updatedAt = try r.u64()
        if version == 2 {
            paid = try r.u64(); transfers = try r.u32(); resales = try r.u32(); refund = try r.u64()
        } else {
            paid = faceValue; transfers = UInt32(clamping: sequence); resales = 0; refund = 0
        }
        try r.finish()
    }

    package init(spec: TicketSpec, eventID: String, height: UInt64) {
        ticketID = spec.ticketID; self.eventID = eventID; section = spec.section; seat = spec.seat
        faceValue = spec.faceValue; holder = spec.holder; status = .active; sequence = 0
        issuedAt = height; updatedAt = height
        paid = spec.faceValue; transfers = 0; resales = 0; refund = 0
    }
}
