import Foundation
import Synchronization
import Testing
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonRaft
import TalonStore

/// A one-member cluster run in process: a real `Node` loop over a `NodeCore` in a temporary
/// directory, with a transport that is never connected (there are no peers).
final class SoloNode: Sendable {
    let root = NSTemporaryDirectory() + "talon-solo-" + UUID().uuidString
    let admin = SigningKey.generate()
    let issuer = SigningKey.generate()
    /// n1's genesis key, which signs its heads and certificates.
    let key = SigningKey.generate()
    /// The genesis file, as a client reads it.
    let genesisBytes: [UInt8]
    let node: Node
    let members: ClusterMembers
    private let runner: Task<Void, any Error>
    private let nonce = Atomic<UInt64>(0)

    init(options configure: (inout Node.Options) -> Void = { _ in }) throws {
        let genesis = Genesis(chainID: "talon-solo-test",
                              members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: key.publicKey)],
                              admins: [admin.publicKey], issuers: [.init(key: issuer.publicKey, name: "Issuer")])
        genesisBytes = genesis.fileBytes
        members = ClusterMembers(try GenesisFile(bytes: genesisBytes))
        let core = try NodeCore(path: root, members: members, id: 1, seed: 1, options: .init(sync: false))
        var options = Node.Options()
        options.tick = .milliseconds(10)
        configure(&options)
        let node = try Node(core: core, members: members, transport: PeerTransport(members: members, me: 1, key: key, addresses: [:]),
                            options: options)
        self.node = node
        runner = Task { try await node.run() }
    }

    deinit {
        runner.cancel()
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Stops the loop and waits for it.
    func stop() async {
        node.stop()
        _ = await runner.result
    }

    /// Waits until the node leads.
    func elected() async throws {
        try await until("a leader") { node.status.raft.role == .leader }
    }

    func sign(_ op: LedgerOperation, by key: SigningKey) -> Envelope {
        Envelope(chainID: members.genesis.genesis.chainID, nonce: nonce.add(1, ordering: .relaxed).newValue, operation: op, signedBy: key)
    }

    func event(_ id: String, by key: SigningKey? = nil) -> Envelope {
        sign(.createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                      doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: key ?? issuer)
    }

    /// `envelope` with a signature of 64 zero bytes.
    static func unsigned(_ envelope: Envelope) throws -> Envelope {
        Envelope(chainID: envelope.chainID, signer: envelope.signer, nonce: envelope.nonce, operation: envelope.operation,
                 signature: try #require(Signature(bytes: [UInt8](repeating: 0, count: 64))))
    }
}

/// Polls `condition` every 10 ms, at most `seconds` × 100 times: counted in polls, not wall
/// time, so a test task starved by others on a loaded machine waits longer instead of failing.
func until(_ what: String, seconds: Int = 30, _ condition: () throws -> Bool) async throws {
    for _ in 0..<seconds * 100 {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}
