#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The genesis of a chain: its id, its member nodes, its admins and any initial issuers.
///
/// The genesis is a JSON file; the SHA-256 of the file's exact bytes is the chain's
/// genesis hash, the `prev` of block 1. A store made from one genesis refuses another.
public struct Genesis: Hashable, Sendable, Codable {
    /// A cluster member.
    public struct Member: Hashable, Sendable, Codable {
        /// A short stable name, e.g. `n1`.
        public var id: String
        /// host:port of the peer (Raft) port.
        public var peer: String
        /// host:port of the HTTP API.
        public var api: String
        /// The node's signing key.
        public var key: PublicKey
        public init(id: String, peer: String, api: String, key: PublicKey) {
            self.id = id; self.peer = peer; self.api = api; self.key = key
        }
    }

    /// An issuer registered from the start.
    public struct Issuer: Hashable, Sendable, Codable {
        public var key: PublicKey
        public var name: String
        public init(key: PublicKey, name: String) { self.key = key; self.name = name }
    }

    /// The format version of the genesis file; 1.
    public var format: Int
    /// The chain id every envelope must name.
    public var chainID: String
    /// A free-form remark (the committed development genesis says its keys are public).
    public var note: String?
    public var members: [Member]
    /// Keys allowed to register issuers.
    public var admins: [PublicKey]
    public var issuers: [Issuer]

    enum CodingKeys: String, CodingKey {
        case format, chainID = "chain_id", note, members, admins, issuers
    }

    public init(chainID: String, note: String? = nil, members: [Member], admins: [PublicKey], issuers: [Issuer] = []) {
        self.format = 1
        self.chainID = chainID
        self.note = note
        self.members = members
        self.admins = admins
        self.issuers = issuers
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(["format", "chain_id", "note", "members", "admins", "issuers"])
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(Int.self, forKey: .format)
        chainID = try c.decode(String.self, forKey: .chainID)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        members = try c.decode([Member].self, forKey: .members)
        admins = try c.decode([PublicKey].self, forKey: .admins)
        issuers = try c.decodeIfPresent([Issuer].self, forKey: .issuers) ?? []
    }

    /// The canonical file bytes for a new genesis (pretty JSON, sorted keys, final newline).
    public var fileBytes: [UInt8] { JSONForm.encode(self, pretty: true) + [0x0A] }
}

/// A genesis together with the exact file bytes it was read from.
public struct GenesisFile: Sendable {
    /// The parsed genesis.
    public let genesis: Genesis
    /// The file's bytes, hashed as they are.
    public let bytes: [UInt8]
    /// SHA-256 of `bytes`: `prev` of block 1.
    public let hash: Digest

    /// Parses and checks a genesis file's bytes.
    /// - Throws: `TalonError(.invalidGenesis)`.
    public init(bytes: [UInt8]) throws(TalonError) {
        let g: Genesis
        do { g = try JSONForm.decode(Genesis.self, from: bytes) } catch {
            throw TalonError(.invalidGenesis, "genesis: \(error.message)")
        }
        guard g.format == 1 else { throw TalonError(.invalidGenesis, "genesis format \(g.format) is not 1") }
        guard !g.chainID.isEmpty, g.chainID.utf8.count <= Limits.textBytes,
              (try? LedgerOperation.id(g.chainID, "chain_id")) != nil else {
            throw TalonError(.invalidGenesis, "chain_id must be 1–\(Limits.idBytes) characters of A–Z a–z 0–9 . _ : / -")
        }
        guard !g.members.isEmpty else { throw TalonError(.invalidGenesis, "genesis lists no members") }
        guard Set(g.members.map(\.id)).count == g.members.count, Set(g.members.map(\.key)).count == g.members.count else {
            throw TalonError(.invalidGenesis, "member ids and keys must be unique")
        }
        guard !g.admins.isEmpty else { throw TalonError(.invalidGenesis, "genesis lists no admin keys") }
        // The keys genesis gives a role meet the rule every key given a role meets.
        if let bad = (g.members.map(\.key) + g.admins + g.issuers.map(\.key)).first(where: { !$0.isValidPoint }) {
            throw TalonError(.invalidGenesis, "\(bad.text) is not a valid Ed25519 public key (a point of prime order)")
        }
        self.genesis = g
        self.bytes = bytes
        self.hash = SHA256.hash(bytes)
    }

    /// Reads and checks a genesis file.
    /// - Throws: `TalonError(.invalidGenesis)`.
    public init(path: String) throws(TalonError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TalonError(.invalidGenesis, "cannot read genesis file \(path)")
        }
        try self.init(bytes: Array(data))
    }
}
