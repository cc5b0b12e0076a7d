public import TalonProtocol

/// What a gate knows of one ticket from its snapshot.
public struct GateTicket: Hashable, Sendable {
    public var ticketID: String
    public var holder: PublicKey
    public var sequence: UInt64
    public var status: TicketState.Status
    public var section: String
    public var seat: String
    /// When and by which gate the ledger had it redeemed at sync time.
    public var redeemedAt: Int64?
    public var redeemedBy: PublicKey?

    public init(_ t: TicketState) {
        ticketID = t.ticketID; holder = t.holder; sequence = t.sequence; status = t.status
        section = t.section; seat = t.seat; redeemedAt = t.redeemedAt; redeemedBy = t.redeemedBy
    }

    /// `holder[32], u64 sequence, u8 status, string section, string seat, u8 redeemed (0/1)
    /// [, i64 at, key gate]`.
    var bytes: [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.key(holder); w.u64(sequence)
        w.u8(status.byte)
        w.string(section); w.string(seat)
        if let redeemedAt, let redeemedBy { w.u8(1); w.i64(redeemedAt); w.key(redeemedBy) } else { w.u8(0) }
        return w.bytes
    }

    init(ticketID: String, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        self.ticketID = ticketID
        holder = try r.key(); sequence = try r.u64()
        let s = try r.u8()
        guard let status = TicketState.Status(byte: s) else { throw TalonError(.storeCorrupt, "gate ticket \(ticketID) has status \(s)") }
        self.status = status
        section = try r.string(max: Limits.textBytes); seat = try r.string(max: Limits.textBytes)
        if try r.u8() == 1 { redeemedAt = try r.i64(); redeemedBy = try r.key() }
        try r.finish()
    }
}

/// One admission this gate made: what its redeem record will say, and what the ledger
/// answered once uploaded.
public struct Admission: Hashable, Sendable {
    public var ticketID: String
    /// The ownership sequence the pass showed: the redeem names it.
    public var sequence: UInt64
    public var holder: PublicKey
    /// The gate's clock at the scan, ms since the Unix epoch.
    public var scannedAt: Int64
    /// The redeem envelope's nonce, fixed when the admission is recorded (`GateStore.record`).
    public var nonce: UInt64
    /// The ledger's result once uploaded (`ok`, `already_redeemed`, …); nil until then.
    public var uploaded: String?

    public init(ticketID: String, sequence: UInt64, holder: PublicKey, scannedAt: Int64, nonce: UInt64, uploaded: String? = nil) {
        self.ticketID = ticketID; self.sequence = sequence; self.holder = holder
        self.scannedAt = scannedAt; self.nonce = nonce; self.uploaded = uploaded
    }

    /// The redeem operation this admission uploads.
    public var redeem: Redeem { Redeem(ticketID: ticketID, sequence: sequence, scannedAt: scannedAt) }

    var bytes: [UInt8] {
        var w = ByteWriter(capacity: 96)
        w.u64(sequence); w.key(holder); w.i64(scannedAt); w.u64(nonce)
        if let uploaded { w.u8(1); w.string(uploaded) } else { w.u8(0) }
        return w.bytes
    }

    init(ticketID: String, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        self.ticketID = ticketID
        sequence = try r.u64(); holder = try r.key(); scannedAt = try r.i64(); nonce = try r.u64()
        uploaded = try r.u8() == 1 ? try r.string(max: 64) : nil
        try r.finish()
    }
}

/// One scan this gate answered, admitted or denied: the gate's own log, for its staff and
/// for whoever looks into refused passes later (it never leaves the gate).
public struct ScanRecord: Hashable, Sendable, Encodable {
    /// The gate's clock at the scan, ms since the Unix epoch.
    public var scannedAt: Int64
    public var decision: Verdict.Decision
    /// The verdict's code as logged (a log written before verdicts used the ledger's codes
    /// may hold `void` and `refunded` for `ticket_void` and `ticket_refunded`).
    public var code: String
    public var ticketID: String?
    public var message: String

    /// The record of `verdict`, given at `scannedAt`; a message is kept to its first 1,024 bytes.
    public init(_ verdict: Verdict, at scannedAt: Int64) {
        self.scannedAt = scannedAt; decision = verdict.decision; code = verdict.code.name; ticketID = verdict.ticketID
        message = verdict.message.utf8.count <= Self.messageBytes ? verdict.message
            : String(decoding: verdict.message.utf8.prefix(Self.messageBytes), as: UTF8.self)
    }

    static let messageBytes = 1024

    /// `i64 scanned_at, u8 admitted (0/1), string code, u8 has_ticket [, string ticket], string message`.
    var bytes: [UInt8] {
        var w = ByteWriter(capacity: 64 + message.utf8.count)
        w.i64(scannedAt); w.u8(decision == .admit ? 1 : 0); w.string(code)
        if let ticketID { w.u8(1); w.string(ticketID) } else { w.u8(0) }
        w.string(message)
        return w.bytes
    }

    init(bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        scannedAt = try r.i64()
        decision = try r.u8() == 1 ? .admit : .deny
        code = try r.string(max: 64)
        ticketID = try r.u8() == 1 ? try r.string(max: Limits.idBytes) : nil
        // Repairing a cut multi-byte character can add two bytes to the kept prefix.
        message = try r.string(max: Self.messageBytes + 2)
        try r.finish()
    }

    enum CodingKeys: String, CodingKey { case scannedAt = "scanned_at", decision, code, ticketID = "ticket_id", message }
}

/// Everything but the tickets that a gate's snapshot holds.
public struct GateSnapshotInfo: Hashable, Sendable, Codable {
    public var event: EventState
    /// This gate's own registration.
    public var gate: GateState
    /// Every gate of the event, to name where a ticket was redeemed.
    public var gates: [GateState]
    /// The head the first page of tickets was read at, signed by the node.
    public var head: SignedHead
    /// The node the snapshot came from, and when (the gate's clock, ms).
    public var node: String
    public var syncedAt: Int64

    public init(event: EventState, gate: GateState, gates: [GateState], head: SignedHead, node: String, syncedAt: Int64) {
        self.event = event; self.gate = gate; self.gates = gates; self.head = head; self.node = node; self.syncedAt = syncedAt
    }

    enum CodingKeys: String, CodingKey { case event, gate, gates, head, node, syncedAt = "synced_at" }
}
