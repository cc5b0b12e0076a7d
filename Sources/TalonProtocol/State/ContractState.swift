import Foundation

/// A deployed contract: its source and who published it when.
public struct ContractState: Hashable, Sendable, Codable {
    /// SHA-256 of the source.
    public var id: Digest
    public var deployer: PublicKey
    public var source: String
    public var deployedAt: UInt64

    enum CodingKeys: String, CodingKey { case id, deployer, source, deployedAt = "deployed_height" }

    package init(id: Digest, deployer: PublicKey, source: String, deployedAt: UInt64) {
        self.id = id; self.deployer = deployer; self.source = source; self.deployedAt = deployedAt
    }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(1); w.key(deployer); w.u64(deployedAt); w.string(source)
        return w.bytes
    }

    package init(id: Digest, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "contract \(id): unknown record version") }
        self.id = id
        deployer = try r.key(); deployedAt = try r.u64(); source = try r.string(max: Limits.contractSourceBytes)
        try r.finish()
    }
}

/// The contract bound to an event and its parameters.
public struct BindingState: Hashable, Sendable, Codable {
    public var eventID: String
    public var contract: Digest
    /// The parameters as the binding's JSON text.
    public var params: String
    /// Height of the block that last bound or rebound it.
    public var boundAt: UInt64

    enum CodingKeys: String, CodingKey { case eventID = "event_id", contract, params, boundAt = "bound_height" }

    package init(eventID: String, contract: Digest, params: String, boundAt: UInt64) {
        self.eventID = eventID; self.contract = contract; self.params = params; self.boundAt = boundAt
    }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(1); w.digest(contract); w.u64(boundAt); w.string(params)
        return w.bytes
    }

    package init(eventID: String, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "binding of \(eventID): unknown record version") }
        self.eventID = eventID
        contract = try r.digest(); boundAt = try r.u64(); params = try r.string(max: Limits.contractParamsBytes)
        try r.finish()
    }
}

/// What a contract decided for one envelope, kept beside its receipt: the contract, the
/// hook, and the decision (amounts are recorded, never paid: settlement is outside Talon).
///
/// Canonical bytes (version 2): `u8 2 · contract id[32] · string hook ·` the decision's
/// canonical bytes (`ContractDecision.canonicalBytes`). Its SHA-256 is the entry's decision
/// hash in a version 2 block. Version 1 records (`u8 1 · contract · string hook · u8 1 ·
/// allowed · hook defined · three i64 · u16 reason length · reason`), written before
/// decisions were under the block hash, are still read.
public struct RecordedDecision: Hashable, Sendable {
    public var contract: Digest
    public var hook: Hook
    public var decision: ContractDecision

    /// The record version this build writes.
    public static let version: UInt8 = 2

    /// The canonical bytes (version 2).
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: 80 + decision.reason.utf8.count)
        w.u8(Self.version); w.digest(contract); w.string(hook.rawValue)
        w.raw(decision.canonicalBytes)
        return w.bytes
    }

    /// SHA-256 of the canonical bytes: what a version 2 block entry names.
    public var hash: Digest { SHA256.hash(bytes) }

    /// A decision of `hook` of `contract`.
    public init(contract: Digest, hook: Hook, decision: ContractDecision) {
        self.contract = contract; self.hook = hook; self.decision = decision
    }

    /// Decodes a stored record (version 1 or 2).
    /// - Throws: `store_corrupt` naming the leaf when the bytes are not a record.
    package init(leaf: UInt64, bytes: [UInt8]) throws(TalonError) {
        func corrupt(_ why: String) -> TalonError { TalonError(.storeCorrupt, "decision at leaf \(leaf): \(why)") }
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == 1 || version == 2 else { throw corrupt("unknown record version") }
        contract = try r.digest()
        guard let hook = Hook(rawValue: try r.string(max: 32)) else { throw corrupt("unknown hook") }
        self.hook = hook
        if version == 1, try r.u8() != 1 { throw corrupt("unknown decision version") }
        let allowed = try r.u8(), defined = try r.u8()
        guard allowed <= 1, defined <= 1 else { throw corrupt("a flag is not 0 or 1") }
        let royalty = Int64(bitPattern: try r.u64()), refund = Int64(bitPattern: try r.u64())
        let instructions = Int64(bitPattern: try r.u64())
        let reason: String
        if version == 1 {
            let length = Int(try r.u8()) << 8 | Int(try r.u8())
            guard let text = String(validating: try r.raw(length), as: UTF8.self) else { throw corrupt("reason is not UTF-8") }
            reason = text
        } else {
            reason = try r.string(max: 1024)
        }
        try r.finish()
        decision = ContractDecision(allowed: allowed == 1, reason: reason, royalty: royalty, refund: refund,
                                    instructions: instructions, hookDefined: defined == 1)
    }
}

/// The JSON form maps one to one onto the canonical bytes: `contract` (hex), `hook`,
/// `allowed`, `hook_defined`, `royalty`, `refund`, `instructions`, `reason`.
extension RecordedDecision: Codable {
    enum CodingKeys: String, CodingKey { case contract, hook, allowed, hookDefined = "hook_defined", royalty, refund, instructions, reason }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(contract.hex, forKey: .contract); try c.encode(hook.rawValue, forKey: .hook)
        try c.encode(decision.allowed, forKey: .allowed); try c.encode(decision.hookDefined, forKey: .hookDefined)
        try c.encode(decision.royalty, forKey: .royalty); try c.encode(decision.refund, forKey: .refund)
        try c.encode(decision.instructions, forKey: .instructions); try c.encode(decision.reason, forKey: .reason)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard let contract = Digest(hex: try c.decode(String.self, forKey: .contract)),
              let hook = Hook(rawValue: try c.decode(String.self, forKey: .hook)) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad contract id or hook"))
        }
        self.init(contract: contract, hook: hook, decision: ContractDecision(
            allowed: try c.decode(Bool.self, forKey: .allowed), reason: try c.decode(String.self, forKey: .reason),
            royalty: try c.decode(Int64.self, forKey: .royalty), refund: try c.decode(Int64.self, forKey: .refund),
            instructions: try c.decode(Int64.self, forKey: .instructions),
            hookDefined: try c.decode(Bool.self, forKey: .hookDefined)))
    }
}

/// A ticket offered for resale.
public struct ListingState: Hashable, Sendable, Codable {
    public var ticketID: String
    public var seller: PublicKey
    /// What the seller gets, and what the buyer pays on top, minor units.
    public var price: UInt64
    public var fees: UInt64
    /// The ticket's ownership sequence when listed: a listing of an earlier holder is void.
    public var sequence: UInt64
    public var listedAt: UInt64

    enum CodingKeys: String, CodingKey { case ticketID = "ticket_id", seller, price, fees, sequence, listedAt = "listed_height" }

    package init(ticketID: String, seller: PublicKey, price: UInt64, fees: UInt64, sequence: UInt64, listedAt: UInt64) {
        self.ticketID = ticketID; self.seller = seller; self.price = price; self.fees = fees
        self.sequence = sequence; self.listedAt = listedAt
    }

    package var bytes: [UInt8] {
        var w = ByteWriter()
        w.u8(1); w.key(seller); w.u64(price); w.u64(fees); w.u64(sequence); w.u64(listedAt)
        return w.bytes
    }

    package init(ticketID: String, bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        guard try r.u8() == 1 else { throw TalonError(.storeCorrupt, "listing of \(ticketID): unknown record version") }
        self.ticketID = ticketID
        seller = try r.key(); price = try r.u64(); fees = try r.u64(); sequence = try r.u64(); listedAt = try r.u64()
        try r.finish()
    }
}
