import Foundation
import Synchronization
import Testing
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonRaft
#if canImport(Glibc)
import Glibc
#endif

/// A faulty leader commits an entry that is not a batch. The leader is played in this
/// process by a real `NodeCore` and `PeerTransport` with member n3's key (driven by the test,
/// ticking fast so that it wins the first election); n1 and n2 are real processes. Both
/// record the entry as rejected, the same way, and go on: they elect a leader among
/// themselves once n3 is gone, apply new writes, and their stores verify. (Serialized with
/// the other clusters, as an extension of `ClusterTests`: n3 must win an election by ticking.)
extension ClusterTests {
    @Test func anUndecodableCommittedEntryIsRecordedAlikeAndTheNodesGoOn() async throws {
        try await withCluster { c in
            let core = try NodeCore(path: c.sandbox.path("data/n3-in-process"), members: try c.members(), id: 3, seed: 42)
            let (transport, links) = try await c.memberTransport(3)
            let inbox = Inbox()
            let pump = Task { for await event in transport.incoming { if case .raft(let m) = event { inbox.add(m) } } }
            defer { links.cancel(); pump.cancel() }
            /// One turn of the in-process member: its messages, `ticks` ticks, then what it sends.
            func turn(ticks: Int = 1) throws {
                let messages = inbox.take()
                for m in try core.run(NodeCore.Input(ticks: ticks, messages: messages)).messages { transport.send(m) }
            }

            try c.start(1)
            try c.start(2)
            // n3 ticks every 20 ms, five times as fast as the processes: its election timeout
            // runs out long before theirs, so it leads.
            let deadline = Date().addingTimeInterval(30)
            while core.status.role != .leader || core.status.commit < core.status.lastIndex {
                guard Date() < deadline else { throw SandboxError("n3 never led: \(core.status)\n\(c.logs())") }
                try turn()
                try await Task.sleep(for: .milliseconds(20))
            }

            let garbage: [UInt8] = [0xEE] + Array("not a batch".utf8)
            let at = try core.propose(rawEntry: garbage)
            for m in at.messages { transport.send(m) }
            while core.status.applied < at.index {
                guard Date() < deadline else { throw SandboxError("the entry never committed: \(core.status)\n\(c.logs())") }
                try turn()
                try await Task.sleep(for: .milliseconds(20))
            }
            // Keep leading until both processes have applied it.
            var statuses: [NodeStatus] = []
            while statuses.count < 2 || statuses.contains(where: { $0.applied < at.index }) {
                guard Date() < deadline else { throw SandboxError("n1/n2 did not apply \(at.index): \(statuses)\n\(c.logs())") }
                try turn()
                try await Task.sleep(for: .milliseconds(20))
                statuses = []
                for i in [1, 2] { if let s = await c.status(i) { statuses.append(s) } }
            }
            let rows = try core.ledger.rejectedEntries()
            #expect(rows.map(\.logIndex) == [at.index] && rows.first?.dataHash == SHA256.hash(garbage))
            for i in [1, 2] {
                let reply = try await RawHTTP.request("GET", c.api(i), "/v1/status")
                #expect(reply.body.contains("\"rejected_entries\":1"), "n\(i): \(reply.body)")
                #expect(c.isRunning(i))
            }

            // n3 goes away; n1 and n2 carry on between themselves.
            links.cancel()
            pump.cancel()
            _ = try await c.waitForLeader(among: [1, 2], timeout: 30)
            let event = try await c.sandbox.op("create-event", key: c.chain.issuer, genesis: c.chain.genesis, nonce: 1, "--event-id", "EV",
                                               "--name", "Show", "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let reply = try await c.submit(event)
            #expect(reply.status == 200 && reply.body.contains("\"ok\""), "\(reply)")
            _ = try await c.waitForSameHead(among: [1, 2])
            try await Self.verifyEveryStore(c, nodes: [1, 2])
        }
    }
}

/// Raft messages received for the in-process member, until its next turn takes them.
final class Inbox: Sendable {
    private let messages = Mutex<[Message]>([])
    func add(_ m: Message) { messages.withLock { $0.append(m) } }
    func take() -> [Message] { messages.withLock { box in defer { box = [] }; return box } }
}
