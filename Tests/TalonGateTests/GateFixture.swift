import Foundation
import TalonProtocol
@testable import TalonGate
@testable import TalonLedger

/// A ledger with event E1 (doors at `doors`), its gates North (section A only) and South,
/// tickets in every state, E2 elsewhere, and E3 cancelled with one ticket refunded; gate
/// stores synced from it, and a node that signs certificates.
final class GateFixture {
    static let doors: Int64 = 1_900_000_000_000
    let dir = NSTemporaryDirectory() + "talon-gate-" + UUID().uuidString
    let node = SigningKey.generate(), issuer = SigningKey.generate(), gateKey = SigningKey.generate(), south = SigningKey.generate()
    let alice = SigningKey.generate(), bob = SigningKey.generate()
    let genesis: GenesisFile
    let ledger: Ledger
    private var nonce: UInt64 = 0
    private var clock: Int64 = 1_800_000_000_000

    init() throws {
        genesis = try GenesisFile(bytes: Genesis(
            chainID: "talon-gate-test",
            members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: node.publicKey)],
            admins: [SigningKey.generate().publicKey], issuers: [.init(key: issuer.publicKey, name: "Issuer")]).fileBytes)
        ledger = try Ledger(path: dir + "/ledger", genesis: genesis)
        for event in ["E1", "E2", "E3"] {
            try run(.createEvent(CreateEvent(eventID: event, name: "Show", venue: "Hall", startsAt: Self.doors + 3_600_000,
                                             doorsOpenAt: Self.doors, capacity: 100, currency: "EUR")), issuer)
        }
        let specs = ["T1", "T2", "T3", "T4", "T5", "T6"].map { TicketSpec(ticketID: $0, section: "A", seat: $0, faceValue: 4500, holder: alice.publicKey) }
            + [TicketSpec(ticketID: "VIP1", section: "VIP", seat: "1", faceValue: 9000, holder: alice.publicKey)]
        try run(.issue(IssueTickets(eventID: "E1", tickets: specs)), issuer)
        try run(.issue(IssueTickets(eventID: "E2", tickets: [TicketSpec(ticketID: "X1", section: "A", seat: "1", faceValue: 1, holder: alice.publicKey)])), issuer)
        try run(.registerGate(RegisterGate(eventID: "E1", gate: gateKey.publicKey, name: "North", sections: ["A"])), issuer)
        try run(.registerGate(RegisterGate(eventID: "E1", gate: south.publicKey, name: "South", sections: [])), issuer)
        try run(.transfer(Transfer(ticketID: "T2", to: bob.publicKey)), alice)           // T2 moved before the sync
        try run(.void(VoidTicket(ticketID: "T3", reason: "lost")), issuer)
        try run(.redeem(Redeem(ticketID: "T4", sequence: 0, scannedAt: Self.doors + 5)), south)
        try run(.issue(IssueTickets(eventID: "E3", tickets: ["R1", "R2"].map { TicketSpec(ticketID: $0, section: "A", seat: $0, faceValue: 100, holder: alice.publicKey) })), issuer)
        try run(.registerGate(RegisterGate(eventID: "E3", gate: gateKey.publicKey, name: "North", sections: [])), issuer)
        try run(.cancelEvent(CancelEvent(eventID: "E3", reason: "storm")), issuer)
        try run(.requestRefund(RequestRefund(ticketID: "R1")), alice)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    @discardableResult
    func run(_ op: LedgerOperation, _ key: SigningKey) throws -> String {
        nonce += 1; clock += 1000
        let e = Envelope(chainID: genesis.genesis.chainID, nonce: nonce, operation: op, signedBy: key)
        try e.admit(chainID: ledger.chainID)
        let result = try ledger.apply([e], timestamp: clock).receipts[0].result
        guard result == "ok" else { throw FixtureFailure(description: "\(op.kind.name): \(result)") }
        return result
    }

    /// Syncs a gate store of `event` at `dir/name` and opens it.
    func syncGate(_ name: String = "gate", key: SigningKey? = nil, event: String = "E1") throws -> Gate {
        let head = try ledger.head()
        let gates = try ledger.gates(event: event)
        let tickets = try ledger.tickets(event: event).tickets
        let me = try require(gates.first { $0.key == (key ?? gateKey).publicKey })
        let info = GateSnapshotInfo(event: try require(try ledger.event(event)), gate: me, gates: gates,
                                    head: SignedHead(head: head, node: "n1", key: node, genesis: genesis), node: "test", syncedAt: 0)
        try GateStore.replaceSnapshot(dir: dir + "/" + name, genesis: genesis, info: info, tickets: tickets)
        return try Gate(dir: dir + "/" + name)
    }

    /// The current certificate of ticket `id`, signed by the node.
    func certificate(_ id: String) throws -> OwnershipCertificate {
        let (ticket, head) = try ledger.ticketAtHead(id)
        return OwnershipCertificate(ticket: try require(ticket), height: head.height, node: "n1", key: node, genesis: genesis)
    }

    /// The pass text of `id` for the window of time `at`, signed by `holder`.
    func pass(_ id: String, holder: SigningKey? = nil, at: Int64 = doors + 60_000, certificate: OwnershipCertificate? = nil) throws -> String {
        let c = try certificate ?? self.certificate(id)
        return try Pass(certificate: c, window: Pass.window(at: at), holder: holder ?? alice, chainID: genesis.genesis.chainID).text(members: ["n1"])
    }
}

struct Missing: Error {}

func require<T>(_ v: T?) throws -> T {
    guard let v else { throw Missing() }
    return v
}

/// A fixture operation the ledger did not apply.
struct FixtureFailure: Error, CustomStringConvertible {
    let description: String
}
