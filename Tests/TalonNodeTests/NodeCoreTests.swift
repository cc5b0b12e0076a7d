import Foundation
import Synchronization
import Testing
import TalonContracts
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonRaft
import TalonStore

/// Three node cores in temporary directories, wired by an in-process queue.
final class CoreCluster {
    let root = NSTemporaryDirectory() + "talon-core-" + UUID().uuidString
    let issuer = SigningKey.generate()
    let holder = SigningKey.generate()
    let members: ClusterMembers
    var nodes: [NodeID: NodeCore] = [:]
    var queue: [Message] = []
    private var nonce: UInt64 = 0

    init() throws {
        let keys = (0..<3).map { _ in SigningKey.generate() }
        let genesis = Genesis(chainID: "talon-core-test",
                              members: keys.enumerated().map { i, k in
                                  .init(id: "n\(i + 1)", peer: "127.0.0.1:\(7100 + i)", api: "127.0.0.1:\(8100 + i)", key: k.publicKey)
                              },
                              admins: [SigningKey.generate().publicKey], issuers: [.init(key: issuer.publicKey, name: "Issuer")])
        members = ClusterMembers(try GenesisFile(bytes: genesis.fileBytes))
        for id in members.ids { try start(id) }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func start(_ id: NodeID) throws {
        nodes[id] = try NodeCore(path: "\(root)/n\(id)", members: members, id: id, seed: id, options: .init(sync: false))
    }

    /// Drops the node (closing its store) and every message to it.
    func kill(_ id: NodeID) {
        nodes[id] = nil
        queue.removeAll { $0.to == id }
    }

    func deliver() throws {
        while !queue.isEmpty {
            let m = queue.removeFirst()
            guard let node = nodes[m.to] else { continue }
            queue += try node.step(m)
        }
    }

    func tick(_ id: NodeID, _ n: Int = 1) throws {
        for _ in 0..<n {
            if let node = nodes[id] { queue += try node.tick() }
            try deliver()
        }
    }

    /// Ticks every live node until one leads.
    @discardableResult
    func elect() throws -> NodeCore {
        for _ in 0..<200 {
            for id in members.ids { try tick(id) }
            if let leader { return leader }
        }
        throw TalonError(.nodeStore, "no leader after 200 rounds")
    }

    var leader: NodeCore? { nodes.values.first { $0.status.role == .leader } }

    func sign(_ op: LedgerOperation, by key: SigningKey) -> Envelope {
        nonce += 1
        return Envelope(chainID: members.genesis.genesis.chainID, nonce: nonce, operation: op, signedBy: key)
    }

    /// Proposes a batch on the leader and delivers until everyone is up to date.
    func submit(_ envelopes: [Envelope], at time: Int64) throws {
        guard let leader else { throw TalonError(.nodeStore, "no leader") }
        let admitted = try envelopes.map { try leader.ledger.admit($0) }
        let proposal = try leader.propose(EntryBatch(timestamp: time, envelopes: admitted))
        queue += proposal.messages
        try deliver()
        try tick(leader.id)  // followers learn the commit index
    }

    /// Proposes raw entry data on the leader, as a buggy or hostile proposer would, and
    /// delivers until everyone is up to date. Returns the entry's log index.
    @discardableResult
    func proposeRaw(_ data: [UInt8]) throws -> UInt64 {
        guard let leader else { throw TalonError(.nodeStore, "no leader") }
        let proposal = try leader.propose(rawEntry: data)
        queue += proposal.messages
        try deliver()
        try tick(leader.id)
        return proposal.index
    }

    func heads() throws -> [NodeID: Head] {
        try nodes.mapValues { try $0.ledger.head() }
    }
}

@Suite struct NodeCoreTests {
    static func event(_ c: CoreCluster, _ id: String) -> Envelope {
        c.sign(.createEvent(CreateEvent(eventID: id, name: "Show", venue: "Hall", startsAt: 1_900_000_000_000,
                                        doorsOpenAt: 1_899_990_000_000, capacity: 10, currency: "EUR")), by: c.issuer)
    }

    @Test func threeNodesBuildTheSameChain() throws {
        let c = try CoreCluster()
        try c.elect()
        try c.submit([Self.event(c, "E1")], at: 1000)
        try c.submit([c.sign(.issue(IssueTickets(eventID: "E1", tickets: [
            TicketSpec(ticketID: "T1", section: "A", seat: "1", faceValue: 4500, holder: c.holder.publicKey)])), by: c.issuer),
            Self.event(c, "E2")], at: 2000)
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1, "\(heads)")
        #expect(heads[1]?.height == 2 && heads[1]?.treeSize == 3)
        // The leader applied its own two batches without decoding them again; the others
        // decoded what they received.
        let leader = try #require(c.leader)
        #expect(leader.entriesAppliedAsProposed == 2)
        #expect(c.nodes.values.filter { $0 !== leader }.allSatisfy { $0.entriesAppliedAsProposed == 0 })
        for node in c.nodes.values {
            #expect(try node.ledger.ticket("T1")?.holder == c.holder.publicKey)
            #expect(try node.ledger.verify().ok)
        }
    }

    /// The leader hands each committed entry to `onApplied` as soon as it is applied, inside
    /// the run (before its transaction commits), with the receipts `Output.applied` then has.
    @Test func theLeaderHandsOverEachAppliedEntryBeforeItsCommit() throws {
        final class Seen { var entries: [(index: UInt64, receipts: [Receipt], commits: Int, head: UInt64)] = [] }
        let c = try CoreCluster()
        let leader = try c.elect()
        let out = try leader.run(NodeCore.Input(proposals: [EntryBatch(timestamp: 1000, envelopes: [try leader.ledger.admit(Self.event(c, "E1"))])]))
        let index = try #require(out.proposed.first).get().index
        // The followers save the entry and answer; the leader steps their answers below.
        var answers: [Message] = []
        for message in out.messages {
            answers += try #require(c.nodes[message.to]).step(message).filter { $0.to == leader.id }
        }
        #expect(!answers.isEmpty)
        let seen = Seen()
        let ledger = leader.ledger
        let commitsBefore = ledger.environment.commits
        var input = NodeCore.Input(messages: answers)
        input.onApplied = { entry in
            // Read from another thread: what readers see while the run has not committed.
            let head = Self.onAnotherThread { (try? ledger.head().height) ?? .max }
            seen.entries.append((entry.index, entry.receipts, ledger.environment.commits, head))
        }
        let applied = try leader.run(input).applied
        #expect(seen.entries.map(\.index) == applied.map(\.index) && seen.entries.map(\.index).contains(index))
        #expect(seen.entries.map(\.receipts) == applied.map(\.receipts))
        #expect(seen.entries.allSatisfy { $0.commits == commitsBefore }, "handed over before the run's commit")
        #expect(seen.entries.allSatisfy { $0.head == 0 }, "readers do not see the block yet")
        #expect(ledger.environment.commits == commitsBefore + 1)
        #expect(try ledger.head().height == 1)
    }

    /// `body`'s value, computed on a thread of its own (not the caller's, whose store calls
    /// would join the caller's open transaction).
    static func onAnotherThread(_ body: @escaping @Sendable () -> UInt64) -> UInt64 {
        let value = Atomic<UInt64>(0), done = DispatchSemaphore(value: 0)
        Thread {
            value.store(body(), ordering: .releasing)
            done.signal()
        }.start()
        done.wait()
        return value.load(ordering: .acquiring)
    }

    /// The leader hands its appends to `sendBeforeSave` as soon as it makes them, inside the
    /// run (before its transaction commits), and does not return them again.
    @Test func theLeadersAppendsGoOutBeforeItsSave() throws {
        final class Sent { var messages: [Message] = []; var runs = 0 }
        let c = try CoreCluster()
        let leader = try c.elect()
        let followers = c.members.ids.filter { $0 != leader.id }
        let sent = Sent()
        var input = NodeCore.Input(proposals: [EntryBatch(timestamp: 1000, envelopes: [try leader.ledger.admit(Self.event(c, "E1"))])])
        input.sendBeforeSave = { sent.messages += $0; sent.runs += 1 }
        let out = try leader.run(input)
        let index = try #require(out.proposed.first).get().index
        #expect(sent.runs == 1)
        #expect(sent.messages.map(\.to).sorted() == followers.sorted())
        #expect(sent.messages.allSatisfy { $0.kind == .append && $0.entries.contains { $0.index == index } })
        #expect(!out.messages.contains { $0.entries.contains { $0.index == index } })

        c.queue += sent.messages + out.messages
        try c.deliver()
        try c.tick(leader.id)
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1 && heads[leader.id]?.height == 1, "\(heads)")

        // A follower hands nothing early: what it sends depends on its save.
        let follower = try #require(c.nodes[followers[0]])
        var tick = NodeCore.Input(ticks: 1)
        tick.sendBeforeSave = { _ in sent.runs += 1 }
        _ = try follower.run(tick)
        #expect(sent.runs == 1)
    }

    /// A node killed while the others go on restarts from its store, catches up, and applies
    /// nothing twice.
    @Test func aKilledNodeCatchesUpWithoutApplyingTwice() throws {
        let c = try CoreCluster()
        let leader = try c.elect().id
        let victim = try #require(c.members.ids.first { $0 != leader })
        try c.submit([Self.event(c, "E1")], at: 1000)
        c.kill(victim)
        try c.submit([Self.event(c, "E2")], at: 2000)
        try c.submit([Self.event(c, "E3")], at: 3000)
        try c.start(victim)
        #expect(try c.nodes[victim]?.ledger.head().height == 1)
        for _ in 0..<3 { try c.tick(leader) }
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1, "\(heads)")
        #expect(heads[victim]?.height == 3)
        #expect(try c.nodes[victim]?.ledger.verify().ok == true)
    }

    /// The leader killed: the other two elect a new one and go on; the old leader returns as
    /// a follower and catches up.
    @Test func losingTheLeaderLosesNothingCommitted() throws {
        let c = try CoreCluster()
        let first = try c.elect().id
        try c.submit([Self.event(c, "E1")], at: 1000)
        c.kill(first)
        let second = try c.elect().id
        #expect(second != first)
        try c.submit([Self.event(c, "E2")], at: 2000)
        try c.start(first)
        for _ in 0..<3 { try c.tick(second) }
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1, "\(heads)")
        #expect(heads[first]?.height == 2)
    }

    /// A leader applies the batches it proposed from the envelopes it already holds, but only
    /// an entry that is the one it proposed: a leader cut off after proposing two batches
    /// that never left it applies, at those indexes, what the next leader committed there
    /// (its no-op, then another batch), and its chain is everyone's.
    @Test func aDeposedLeaderAppliesWhatWasCommittedNotWhatItProposed() throws {
        let c = try CoreCluster()
        let first = try c.elect()
        try c.submit([Self.event(c, "E1")], at: 1000)
        // Two batches only the first leader's log holds.
        for (id, time) in [("LOST1", Int64(2000)), ("LOST2", 3000)] {
            _ = try first.propose(EntryBatch(timestamp: time, envelopes: [try first.ledger.admit(Self.event(c, id))]))
        }
        // Cut it off (it keeps its store and memory), and let the others elect a leader that
        // commits its no-op and a batch at those two indexes.
        c.nodes[first.id] = nil
        c.queue.removeAll()
        let second = try c.elect()
        #expect(second.id != first.id)
        try c.submit([Self.event(c, "KEPT")], at: 4000)
        c.nodes[first.id] = first
        for _ in 0..<5 { try c.tick(second.id) }
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1, "\(heads)")
        #expect(first.status.applied == second.status.applied)
        #expect(try first.ledger.event("KEPT") != nil)
        #expect(try first.ledger.event("LOST1") == nil && first.ledger.event("LOST2") == nil)
        #expect(first.entriesAppliedAsProposed == 1, "E1 only")
    }

    /// Every node restarted: the chain, the log and the applied index survive, a leader is
    /// elected again, and the next batch lands on top.
    @Test func restartingEveryNodeKeepsEverything() throws {
        let c = try CoreCluster()
        try c.elect()
        try c.submit([Self.event(c, "E1")], at: 1000)
        let before = try c.heads()
        for id in c.members.ids { c.kill(id) }
        for id in c.members.ids { try c.start(id) }
        #expect(try c.heads() == before)
        for id in c.members.ids { #expect(try c.nodes[id]?.ledger.appliedLogIndex() ?? 0 >= 2) }
        try c.elect()
        try c.submit([Self.event(c, "E2")], at: 2000)
        let heads = try c.heads()
        #expect(Set(heads.values).count == 1)
        #expect(heads.values.allSatisfy { $0.height == 2 })
    }

    /// Each member writes its bulk indexes at its own point of the chain (its place among
    /// the members), so no two stall in the same block.
    @Test func membersFlushTheirIndexesApart() throws {
        let c = try CoreCluster()
        let shares = try [NodeID(1), 2, 3].map { id in try #require(c.nodes[id]).ledger.flushShare }
        #expect(shares == [FlushShare(position: 0, of: 3), FlushShare(position: 1, of: 3), FlushShare(position: 2, of: 3)])
    }

    @Test func aStoreOfAnotherGenesisIsRefused() throws {
        let a = try CoreCluster(), b = try CoreCluster()
        a.kill(1)
        #expect(throws: TalonError(.genesisMismatch)) {
            try NodeCore(path: "\(a.root)/n1", members: b.members, id: 1, seed: 1, options: .init(sync: false))
        }
    }
}

@Suite struct EntryBatchTests {
    @Test func roundTripsAndRefusesDamage() throws {
        let key = SigningKey.generate()
        let envelopes = (1...3).map {
            Envelope(chainID: "c", nonce: UInt64($0), operation: .transfer(Transfer(ticketID: "T\($0)", to: key.publicKey)), signedBy: key)
        }
        let batch = try EntryBatch(bytes: EntryBatch.bytes(timestamp: -5, of: envelopes))
        #expect(batch.timestamp == -5 && batch.envelopes == envelopes && !batch.isAdmitted)
        #expect(try EntryBatch(bytes: batch.bytes) == batch)
        let bytes = batch.bytes
        for n in 0..<bytes.count {
            #expect(throws: TalonError(.corruptEntry)) { try EntryBatch(bytes: Array(bytes.prefix(n))) }
        }
        #expect(throws: TalonError(.corruptEntry)) { try EntryBatch(bytes: bytes + [0]) }
        var version = bytes
        version[0] = 2
        #expect(throws: TalonError(.corruptEntry)) { try EntryBatch(bytes: version) }
        var count = bytes
        count.replaceSubrange(9..<13, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: TalonError(.corruptEntry)) { try EntryBatch(bytes: count) }
    }
}

extension EntryBatch {
    /// The entry data of a batch of `envelopes`, admitted or not (the bytes are the same):
    /// what a faulty proposer could commit.
    static func bytes(timestamp: Int64, of envelopes: [Envelope]) -> [UInt8] {
        var out: [UInt8] = [version]
        out.appendBigEndian(timestamp)
        EnvelopeList.append(envelopes, to: &out)
        return out
    }
}

@Suite struct NodeConfigTests {
    /// A config file's `contract_cache` and `contract_cache_bytes` reach the node's contract
    /// cache; absent, the standard capacity; a byte bound below 1 MiB is raised to it.
    @Test func theContractCacheComesFromTheConfig() throws {
        let json = #"{"data": "d", "genesis": "g", "node": "n1", "key": "k", "contract_cache": 3, "contract_cache_bytes": 1000}"#
        let config = try JSONForm.decode(NodeConfig.self, from: Array(json.utf8))
        #expect(config.contractCapacity == ContractEngine.Capacity(count: 3, bytes: 1 << 20))
        let plain = try JSONForm.decode(NodeConfig.self, from: Array(#"{"data": "d", "genesis": "g", "node": "n1", "key": "k"}"#.utf8))
        #expect(plain.contractCapacity == .standard)
    }
}
