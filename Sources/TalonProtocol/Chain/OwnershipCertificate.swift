
/// A node's signed statement that `holder` held `ticketID` of `eventID` at ownership
/// `sequence` as of block `height`: what a pass carries so an offline gate whose snapshot
/// is older than the last transfer still knows the new holder.
///
/// The signature covers `"TALON-OWNERSHIP-V1\0" · genesis hash[32] · string ticket_id ·
/// string event_id · holder[32] · u64 sequence · u64 height` (strings as u32 length + UTF-8,
/// integers big-endian), so a certificate of one chain never passes on another.
public struct OwnershipCertificate: Hashable, Sendable, Codable {
    public var ticketID: String
    public var eventID: String
    public var holder: PublicKey
    public var sequence: UInt64
    public var height: UInt64
    /// The member id (from genesis) of the node that signed.
    public var node: String
    public var signature: Signature

    /// The prefix that separates ownership certificates from everything else Talon signs.
    public static let signingDomain = Array("TALON-OWNERSHIP-V1\0".utf8)

    /// The bytes a node signs for these fields on the chain of `genesisHash`.
    public static func signedBytes(ticketID: String, eventID: String, holder: PublicKey, sequence: UInt64, height: UInt64,
                                   genesisHash: Digest) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        w.raw(signingDomain)
        w.digest(genesisHash)
        w.string(ticketID)
        w.string(eventID)
        w.key(holder)
        w.u64(sequence)
        w.u64(height)
        return w.bytes
    }

    /// The certificate of `ticket`'s current holder and sequence at `height`, signed as member `node`.
    public init(ticket: TicketState, height: UInt64, node: String, key: SigningKey, genesis: GenesisFile) {
        self.init(ticketID: ticket.ticketID, eventID: ticket.eventID, holder: ticket.holder, sequence: ticket.sequence, height: height,
                  node: node, signature: key.sign(Self.signedBytes(ticketID: ticket.ticketID, eventID: ticket.eventID, holder: ticket.holder,
                                                                   sequence: ticket.sequence, height: height, genesisHash: genesis.hash)))
    }

    /// Assembles a certificate from its parts without checking it.
    public init(ticketID: String, eventID: String, holder: PublicKey, sequence: UInt64, height: UInt64, node: String, signature: Signature) {
        self.ticketID = ticketID; self.eventID = eventID; self.holder = holder
        self.sequence = sequence; self.height = height; self.node = node; self.signature = signature
    }

    /// True when `key` signed these fields on the chain of `genesisHash`.
    public func isSigned(by key: PublicKey, genesisHash: Digest) -> Bool {
        key.verify(signature, for: Self.signedBytes(ticketID: ticketID, eventID: eventID, holder: holder, sequence: sequence,
                                                    height: height, genesisHash: genesisHash))
    }

    /// Checks that `node` is a member of `genesis` and that its key signed this certificate.
    /// - Throws: `TalonError(.badSignature)` naming what failed.
    public func verify(genesis: GenesisFile) throws(TalonError) {
        guard let member = genesis.genesis.members.first(where: { $0.id == node }) else {
            throw TalonError(.badSignature, "certificate signed by \(node), which is not a member of this genesis")
        }
        guard isSigned(by: member.key, genesisHash: genesis.hash) else {
            throw TalonError(.badSignature, "certificate signature does not verify with \(node)'s genesis key")
        }
    }

    enum CodingKeys: String, CodingKey {
        case ticketID = "ticket_id", eventID = "event_id", holder, sequence, height, node, signature
    }
}
