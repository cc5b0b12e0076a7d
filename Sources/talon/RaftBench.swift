import ArgumentParser
import Dispatch
import Foundation
import TalonProtocol
import TalonRaft
import TalonStore

/// Drives three Raft cores in one process over LMDB logs and prints how fast entries commit:
/// the consensus core's and the log store's cost, without a network.
struct RaftBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raft",
        abstract: "Entries/s committed by three in-process Raft nodes on synced LMDB logs.",
        discussion: """
            The leader proposes --per-round entries of --entry-bytes each, then messages are \
            delivered in process in waves: every message of a wave is stepped, then each node saves \
            one Ready (one synced LMDB transaction), until the round's entries are committed on the \
            leader. Nodes save one after \
            another on one thread, so a round pays three fsyncs in series where real nodes pay them \
            in parallel. Build with -c release.
            """)
    @Option(name: .long, help: "Entries to commit.") var entries = 20_000
    @Option(name: .long, help: "Bytes per entry (a batch of envelopes is a few KiB).") var entryBytes = 4096
    @Option(name: .long, help: "Entries proposed per round before waiting for the commit.") var perRound = 64
    @Flag(name: .long, help: "Commit without fsync.") var noSync = false
    @Flag(name: .long, help: "Keep the logs in memory instead of LMDB.") var memory = false

    func run() throws {
        try reportingErrors { try bench() }
    }

    private func bench() throws {
        guard entries > 0, entryBytes > 0, perRound > 0 else {
            throw TalonError(.invalidArgument, "entries, entry bytes and per-round must be positive")
        }
        let root = NSTemporaryDirectory() + "talon-raft-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: root) }
        let members: [NodeID] = [1, 2, 3]
        var storages: [NodeID: any RaftStorage] = [:]
        var environments: [Environment] = []
        for id in members {
            if memory {
                storages[id] = MemoryRaftStorage()
            } else {
                let path = "\(root)/n\(id)"
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                let env = try Environment(path: path, tables: LMDBRaftStorage.tableNames,
                                          options: .init(initialMapSize: 256 << 20, sync: !noSync))
                environments.append(env)
                storages[id] = try LMDBRaftStorage(environment: env)
            }
        }
        var cluster = BenchCluster(members: members, storages: storages)
        try cluster.electLeader()

        let payload = [UInt8](repeating: 0x5A, count: entryBytes)
        var latencies: [Double] = []
        let start = DispatchTime.now()
        var proposed = 0
        while proposed < entries {
            let n = min(perRound, entries - proposed)
            let roundStart = DispatchTime.now()
            var last: UInt64 = 0
            for _ in 0..<n { last = try cluster.leader.propose(payload).index }
            proposed += n
            try cluster.run(until: last)
            latencies.append(LedgerBench.seconds(since: roundStart) * 1000)
        }
        let seconds = LedgerBench.seconds(since: start)
        latencies.sort()
        func pct(_ p: Double) -> Double { latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }
        print("talon bench raft: 3 nodes, \(entries) entries of \(entryBytes) bytes, \(perRound) per round, "
              + "\(memory ? "memory" : noSync ? "LMDB no sync" : "LMDB synced")")
        print(String(format: "committed:     %9.0f entries/s  %7.1f MiB/s  (%.2f s)", Double(entries) / seconds,
                     Double(entries * entryBytes) / seconds / 1_048_576, seconds))
        print(String(format: "round latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d rounds)", pct(0.5), pct(0.99),
                     latencies.last ?? 0, latencies.count))
        print("saves (one transaction each): \(cluster.saves), messages: \(cluster.messages)")
    }
}

/// Three cores wired together in one thread.
private struct BenchCluster {
    let members: [NodeID]
    let storages: [NodeID: any RaftStorage]
    var nodes: [NodeID: Raft] = [:]
    var queue: [Message] = []
    var saves = 0
    var messages = 0

    init(members: [NodeID], storages: [NodeID: any RaftStorage]) {
        self.members = members
        self.storages = storages
    }

    var leader: Raft {
        get throws {
            guard let raft = members.lazy.compactMap({ nodes[$0] }).first(where: { $0.status.role == .leader }) else {
                throw TalonError(.benchFailed, "no leader")
            }
            return raft
        }
    }

    mutating func electLeader() throws {
        for id in members {
            guard let storage = storages[id] else { continue }
            nodes[id] = try Raft(config: RaftConfig(id: id, members: members, seed: id), storage: storage)
        }
        for _ in 0..<100 {
            nodes[1]?.tick()
            try deliver()
            if (try? leader) != nil { return }
        }
        throw TalonError(.benchFailed, "no leader after 100 ticks")
    }

    /// Delivers until the leader has committed `index` and nothing is left to do.
    mutating func run(until index: UInt64) throws {
        try deliver()
        var ticks = 0
        while try leader.status.commit < index {
            // Followers learn the final commit index on the next heartbeat.
            try leader.tick()
            try deliver()
            ticks += 1
            if ticks > 1000 { throw TalonError(.benchFailed, "index \(index) not committed") }
        }
    }

    /// Steps every queued message, then lets each node save once for all of them: the
    /// group commit a node does with whatever arrived while it was saving.
    private mutating func deliver() throws {
        try drain()
        while !queue.isEmpty {
            let batch = queue
            queue = []
            for m in batch { try nodes[m.to]?.step(m) }
            try drain()
        }
    }

    private mutating func drain() throws {
        for id in members {
            guard let raft = nodes[id], let storage = storages[id] else { continue }
            let drained = try raft.drain(saving: storage)
            saves += drained.saves
            messages += drained.messages.count
            queue += drained.messages
        }
    }
}
