import Foundation
import TalonProtocol
@testable import TalonLedger
import Testing

/// A fresh ledger in a temporary directory with an admin and one genesis issuer.
final class LedgerFixture {
    let dir: String
    let admin = SigningKey.generate()
    let issuer = SigningKey.generate()
    let genesisFile: GenesisFile
    let ledger: Ledger
    private var nonce: UInt64 = 0
    var clock: Int64 = 1_800_000_000_000

    /// `hashFlushEnvelopes`: index envelope hashes in bulk that often instead of the default;
    /// `hashEpochLeaves`: in epochs of that many leaves; `flushShare`: as that member of a cluster.
    init(admin: SigningKey? = nil, issuer: SigningKey? = nil, genesis: GenesisFile? = nil, hashFlushEnvelopes: UInt64? = nil,
         hashEpochLeaves: UInt64 = EnvelopeHashIndex.epochLeaves, flushShare: FlushShare = .alone) throws {
        dir = NSTemporaryDirectory() + "talon-ledger-" + UUID().uuidString
        let g = try genesis ?? GenesisFile(bytes: Genesis(
            chainID: "talon-test",
            members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: SigningKey.generate().publicKey)],
            admins: [self.admin.publicKey],
            issuers: [.init(key: self.issuer.publicKey, name: "Test issuer")]).fileBytes)
        genesisFile = g
        let path = dir
        ledger = try Ledger(path: path, genesis: g, hashFlushEnvelopes: hashFlushEnvelopes ?? RecentLeafKeys.flushEnvelopes,
                            hashEpochLeaves: hashEpochLeaves, flushShare: flushShare)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    var chainID: String { genesisFile.genesis.chainID }

    /// A signed envelope with a fresh nonce.
    func sign(_ op: LedgerOperation, by key: SigningKey, nonce explicit: UInt64? = nil) -> Envelope {
        nonce += 1
        return Envelope(chainID: chainID, nonce: explicit ?? nonce, operation: op, signedBy: key)
    }

    /// Admits and applies envelopes as one block; returns each result code. Every result
    /// must be a code of `Code.results` (docs/openapi.yaml's `ReasonCode`): each test that
    /// applies envelopes here checks it for whatever it drives apply into.
    @discardableResult
    func apply(_ envelopes: [Envelope], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String] {
        for e in envelopes { try e.admit(chainID: ledger.chainID) }
        clock += 1000
        let results = try ledger.apply(envelopes, timestamp: clock).receipts.map(\.result)
        for result in results {
            #expect(Code(rawValue: result)?.uses.contains(.result) == true, "\(result) is not a result code", sourceLocation: sourceLocation)
        }
        return results
    }

    /// Signs and applies one operation; returns its result code.
    @discardableResult
    func run(_ op: LedgerOperation, by key: SigningKey) throws -> String {
        try apply([sign(op, by: key)])[0]
    }

    @discardableResult
    func createEvent(_ id: String = "E1", capacity: UInt32 = 100, by key: SigningKey? = nil) throws -> String {
        try run(.createEvent(CreateEvent(eventID: id, name: "Concert \(id)", venue: "Arena", startsAt: 1_900_000_000_000,
                                         doorsOpenAt: 1_899_990_000_000, capacity: capacity, currency: "EUR")), by: key ?? issuer)
    }

    @discardableResult
    func issue(_ event: String = "E1", ids: [String], to holder: PublicKey, section: String = "A", by key: SigningKey? = nil) throws -> String {
        try run(.issue(IssueTickets(eventID: event, tickets: ids.map {
            TicketSpec(ticketID: $0, section: section, seat: "seat-\($0)", faceValue: 4500, holder: holder)
        })), by: key ?? issuer)
    }
}
