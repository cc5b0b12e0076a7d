import Foundation
import Synchronization
import Testing
import TalonLedger
@testable import TalonNode
import TalonProtocol
import TalonRaft
import TalonStore

/// Members of one cluster in one process: real `Node` loops over `NodeCore`s in a temporary
/// directory, linked by a `MemoryNetwork`. Raft time moves only when the test ticks
/// (`Options.clockTicks` is false), so who leads, and when, is the test's doing, and no test
/// waits for a timer it did not set.
final class MemoryCluster: Sendable {
    let root = NSTemporaryDirectory() + "talon-mem-" + UUID().uuidString
    let admin = SigningKey.generate()
    let issuer = SigningKey.generate()
    let members: ClusterMembers
    let network: MemoryNetwork
    private let configure: @Sendable (NodeID, inout Node.Options) -> Void
    private let running = Mutex<[NodeID: Running]>([:])
    /// Nodes stopped by `crash`, until they are gone (their store closed).
    private let crashed = Mutex<[NodeID: Weak]>([:])
    private let nonce = Atomic<UInt64>(0)

    private struct Running: Sendable {
        let node: Node
        let ended: Flag
    }

    private struct Weak: @unchecked Sendable {  // only read and written under `crashed`
        weak var node: Node?
    }

    /// Runs `body` on a new cluster of `size` members, each with the options `configure`
    /// sets, then stops every node, checks that no node sent a frame its peer would refuse,
    /// and removes the directory, whether `body` throws or not.
    static func run(size: Int = 3, options configure: @escaping @Sendable (NodeID, inout Node.Options) -> Void = { _, _ in },
                    _ body: (MemoryCluster) async throws -> Void) async throws {
        let cluster = try MemoryCluster(size: size, configure: configure)
        defer { try? FileManager.default.removeItem(atPath: cluster.root) }
        do {
            try await body(cluster)
        } catch {
            try? await cluster.stop()
            throw error
        }
        try await cluster.stop()
        #expect(cluster.network.problems.isEmpty, "\(cluster.network.problems)")
    }

    private init(size: Int, configure: @escaping @Sendable (NodeID, inout Node.Options) -> Void) throws {
        let keys = (0..<size).map { _ in SigningKey.generate() }
        let genesis = Genesis(chainID: "talon-memory-test",
                              members: keys.enumerated().map { i, key in
                                  .init(id: "n\(i + 1)", peer: "127.0.0.1:\(7300 + i)", api: "127.0.0.1:\(8300 + i)", key: key.publicKey)
                              },
                              admins: [admin.publicKey], issuers: [.init(key: issuer.publicKey, name: "Issuer")])
        members = ClusterMembers(try GenesisFile(bytes: genesis.fileBytes))
        network = MemoryNetwork(members: members.ids)
        self.configure = configure
        for id in members.ids { try start(id) }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    // MARK: - Members

    /// The running node of member `id`.
    func node(_ id: NodeID) throws -> Node {
        try #require(running.withLock { $0[id]?.node }, "member \(id) is not running")
    }

    /// Opens member `id`'s store (new, or as a crash left it) and runs its loop on a fresh link.
    func start(_ id: NodeID) throws {
        let core = try NodeCore(path: "\(root)/n\(id)", members: members, id: id, seed: id, options: .init(sync: false))
        var options = Node.Options()
        options.clockTicks = false
        configure(id, &options)
        let node = try Node(core: core, members: members, transport: network.attach(id), options: options)
        let ended = Flag()
        Task {
            defer { ended.set() }
            try await node.run()
        }
        running.withLock { $0[id] = Running(node: node, ended: ended) }
    }

    /// Stops member `id` as a crash looks to the others: it gets nothing more, and its loop
    /// ends (its own waiters hear `node_stopped`). `restart` opens its store again.
    func crash(_ id: NodeID) async throws {
        guard let stopped = running.withLock({ $0.removeValue(forKey: id) }) else { return }
        network.detach(id)
        stopped.node.stop()
        try await poll("member \(id)'s loop ends") { stopped.ended.isSet }
        crashed.withLock { $0[id] = Weak(node: stopped.node) }
    }

    /// Starts a crashed member again from its store, once nothing holds its old node (LMDB
    /// allows one open environment per directory in a process).
    func restart(_ id: NodeID) async throws {
        try await poll("member \(id)'s old node is released") { crashed.withLock { $0[id]?.node == nil } }
        try start(id)
    }

    /// Stops every running member and waits for each loop to end.
    func stop() async throws {
        let all = running.withLock { r in
            defer { r = [:] }
            return r
        }
        for member in all.values { member.node.stop() }
        for (id, member) in all { try await poll("member \(id)'s loop ends") { member.ended.isSet } }
    }

    // MARK: - Leaders

    /// Ticks member `id` alone, a tick at a time, until it leads, then waits until the members
    /// `among` (every member by default) follow it and have applied all it committed. Only for
    /// a cluster where nobody heard from a leader lately: followers of a leader ignore
    /// candidates for an election timeout (`handOver` does not wait).
    func elect(_ id: NodeID, among ids: [NodeID]? = nil) async throws {
        let node = try node(id)
        try await poll("member \(id) leads") {
            let role = node.status.raft.role
            if role == .follower { node.tick() }
            return role == .leader
        }
        try await admits(id)
        try await follow(id, among: ids ?? members.ids)
    }

    /// Waits until leader `id` has applied its term's no-op: only then does it admit
    /// (`Node.admits`), and its commit index covers every earlier term's entries.
    func admits(_ id: NodeID) async throws {
        let node = try node(id)
        try await poll("member \(id) applies its term's no-op") {
            let raft = node.status.raft
            return raft.role == .leader && raft.applied >= raft.termStart ?? .max
        }
    }

    /// Makes member `id` campaign at once, as a leader handing over would (Raft's TimeoutNow:
    /// no pre-vote, and voters grant it even while they hear from a leader); then waits as
    /// `elect` does. The test plays the member that hands over.
    func handOver(to id: NodeID, among ids: [NodeID]) async throws {
        let node = try node(id)
        let before = node.status.raft
        let others = members.ids.filter { $0 != id }
        let from = before.leader.flatMap { others.contains($0) ? $0 : nil } ?? others.first ?? id
        network.inject(.raft(Message(kind: .timeoutNow, from: from, to: id, term: before.term)), into: id)
        try await poll("member \(id) leads after term \(before.term)") {
            node.status.raft.role == .leader && node.status.raft.term > before.term
        }
        try await follow(id, among: ids)
    }

    /// Waits until each member of `ids` knows `leader` leads and has applied everything it
    /// had committed when the call began.
    func follow(_ leader: NodeID, among ids: [NodeID]) async throws {
        let commit = try node(leader).status.raft.commit
        for id in ids {
            let node = try node(id)
            try await poll("member \(id) follows \(leader) through \(commit)") {
                node.status.raft.leader == leader && node.status.raft.applied >= commit
            }
        }
    }

    // MARK: - Envelopes and calls

    func sign(_ op: LedgerOperation, by key: SigningKey) -> Envelope {
        Envelope(chainID: members.genesis.genesis.chainID, nonce: nonce.add(1, ordering: .relaxed).newValue, operation: op, signedBy: key)
    }

    /// A `create_event` the genesis issuer signs.
    func event(_ id: String) -> Envelope {
        sign(.createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                      doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: issuer)
    }

    /// Submits `envelopes` to member `id` in a task of its own.
    func submit(_ envelopes: [Envelope], to id: NodeID) throws -> Pending<[EnvelopeOutcome]> {
        let node = try node(id)
        return Pending { () async throws(TalonError) in try await node.submit(envelopes) }
    }

    /// A linearizable read barrier on member `id`, in a task of its own.
    func read(at id: NodeID) throws -> Pending<Void> {
        let node = try node(id)
        return Pending { () async throws(TalonError) in try await node.linearizableBarrier() }
    }

    /// The ledger heads of the running members.
    func heads() throws -> [NodeID: Head] {
        try running.withLock { $0 }.mapValues { try $0.node.ledger.head() }
    }
}

/// A call running in a task of its own, whose outcome a test can look at without awaiting
/// it (a call that never returns is then a failed expectation, not a hung test).
final class Pending<T: Sendable>: Sendable {
    private let outcome = Mutex<Result<T, TalonError>?>(nil)

    init(_ body: @escaping @Sendable () async throws(TalonError) -> T) {
        Task {
            let result: Result<T, TalonError>
            do throws(TalonError) {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            self.outcome.withLock { $0 = result }
        }
    }

    /// The outcome, or nil while the call runs.
    var result: Result<T, TalonError>? { outcome.withLock { $0 } }

    /// Waits (bounded, as `poll`) for the outcome.
    func value(_ what: String = "the call") async throws -> Result<T, TalonError> {
        try await poll("\(what) returns") { result != nil }
        return try #require(result)
    }

    /// Waits (bounded, as `poll`) for the outcome, calling `each` before every look: a test
    /// ticks the leader there when an answer needs Raft time to move.
    func value(_ what: String = "the call", each: () throws -> Void) async throws -> Result<T, TalonError> {
        try await poll("\(what) returns") {
            try each()
            return result != nil
        }
        return try #require(result)
    }

    /// Waits for the outcome: its value, or throws (an issue is recorded) when it failed.
    func success(_ what: String = "the call") async throws -> T {
        try await value(what).get()
    }
}

extension Result where Failure == TalonError {
    /// The failure's code; nil on success.
    var failureCode: Code? {
        if case .failure(let error) = self { error.code } else { nil }
    }
}

/// A flag one task sets and others read.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Polls `condition` every millisecond, at most `polls` times: counted in polls, not wall
/// time, so a test starved by others on a loaded machine waits longer instead of failing.
/// Records an issue and throws when the condition never held.
func poll(_ what: String, polls: Int = 5000, _ condition: () throws -> Bool) async throws {
    for _ in 0..<polls {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(1))
    }
    Issue.record("timed out waiting for \(what)")
    throw CancellationError()
}
