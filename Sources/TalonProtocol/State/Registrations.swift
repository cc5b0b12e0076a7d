
/// An event as the ledger holds it now.
public struct EventState: Hashable, Sendable, Codable {
    public var eventID: String
    public var issuer: PublicKey
    public var name: String
    public var venue: String
    public var startsAt: Int64
    public var doorsOpenAt: Int64
    public var capacity: UInt32
    public var currency: String
    /// Tickets issued so far.
    public var issued: UInt32
    /// Height of the block that created it.
    public var createdAt: UInt64
    /// Whether its issuer cancelled it.
    public var cancelled: Bool

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", issuer, name, venue, startsAt = "starts_at", doorsOpenAt = "doors_open_at"
        case capacity, currency, issued, createdAt = "created_height", cancelled
    }

    package init(_ op: CreateEvent, issuer: PublicKey, height: UInt64) {
        eventID = op.eventID; self.issuer = issuer; name = op.name; venue = op.venue; startsAt = op.startsAt
        doorsOpenAt = op.doorsOpenAt; capacity = op.capacity; currency = op.currency; issued = 0; createdAt = height
        cancelled = false
    }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(2)
        w.key(issuer); w.string(name); w.string(venue); w.i64(startsAt); w.i64(doorsOpenAt)
        w.u32(capacity); w.string(currency); w.u32(issued); w.u64(createdAt); w.u8(cancelled ? 1 : 0)
        return w.bytes
    }

    package init(eventID: String, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        // Version 1 (before cancellation) had no cancelled flag.
        let version = try r.u8()
        guard version == 1 || version == 2 else { throw TalonError(.storeCorrupt, "event \(eventID): unknown record version") }
        self.eventID = eventID
        issuer = try r.key(); name = try r.string(max: Limits.textBytes); venue = try r.string(max: Limits.textBytes)
        startsAt = try r.i64(); doorsOpenAt = try r.i64(); capacity = try r.u32()
        currency = try r.string(max: Limits.textBytes); issued = try r.u32(); createdAt = try r.u64()
        cancelled = version == 2 ? try r.u8() == 1 : false
        try r.finish()
    }
}

/// A registered issuer.
public struct IssuerState: Hashable, Sendable, Codable {
    public var key: PublicKey
    public var name: String
    /// Height of the registering block; 0 for issuers listed in the genesis.
    public var registeredAt: UInt64

    enum CodingKeys: String, CodingKey { case key, name, registeredAt = "registered_height" }

    package init(key: PublicKey, name: String, registeredAt: UInt64) { self.key = key; self.name = name; self.registeredAt = registeredAt }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(1); w.string(name); w.u64(registeredAt)
        return w.bytes
    }

    package init(key: PublicKey, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "issuer \(key): unknown record version") }
        self.key = key; name = try r.string(max: Limits.textBytes); registeredAt = try r.u64()
        try r.finish()
    }
}

/// A gate registered for an event.
public struct GateState: Hashable, Sendable, Codable {
    public var eventID: String
    public var key: PublicKey
    public var name: String
    /// Sections it admits; empty for all.
    public var sections: [String]
    public var registeredAt: UInt64

    enum CodingKeys: String, CodingKey { case eventID = "event_id", key, name, sections, registeredAt = "registered_height" }

    package init(_ op: RegisterGate, height: UInt64) {
        eventID = op.eventID; key = op.gate; name = op.name; sections = op.sections; registeredAt = height
    }

    /// True when the gate may admit a ticket of `section`.
    public func admits(section: String) -> Bool { sections.isEmpty || sections.contains(section) }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(1); w.string(name); w.list(sections) { $0.string($1) }; w.u64(registeredAt)
        return w.bytes
    }

    package init(eventID: String, key: PublicKey, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "gate \(key): unknown record version") }
        self.eventID = eventID; self.key = key
        name = try r.string(max: Limits.textBytes)
        sections = try r.list(max: Limits.sectionsPerGate, minElementSize: 4) { (r: inout ByteReader) throws(TalonError) in
            try r.string(max: Limits.textBytes)
        }
        registeredAt = try r.u64()
        try r.finish()
    }
}

/// Where an envelope sits in the ledger and what applying it gave.
public struct Receipt: Hashable, Sendable, Codable {
    /// Position in the ledger's Merkle tree.
    public var leaf: UInt64
    public var height: UInt64
    /// Position within its block.
    public var position: UInt32
    /// `ok` or a reason code.
    public var result: String

    enum CodingKeys: String, CodingKey { case leaf, height, position, result }

    public init(leaf: UInt64, height: UInt64, position: UInt32, result: String) {
        self.leaf = leaf; self.height = height; self.position = position; self.result = result
    }

    package var bytes: [UInt8] {
        var w = ByteWriter(capacity: 32)
        w.u64(height); w.u32(position); w.string(result)
        return w.bytes
    }

    package init(leaf: UInt64, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        self.leaf = leaf; height = try r.u64(); position = try r.u32(); result = try r.string(max: 64)
        try r.finish()
    }
}
