@_spi(Testing) import TalonRaft

/// A hand-driven cluster for scenario tests: messages wait in a queue until the test delivers
/// them, and links can be cut, so a test sets up exactly the history it is about.
final class Harness {
    var nodes: [NodeID: Raft] = [:]
    var storages: [NodeID: MemoryRaftStorage] = [:]
    var applied: [NodeID: [Entry]] = [:]
    var readStates: [NodeID: [ReadState]] = [:]
    var queue: [Message] = []
    /// Links that drop messages, as (from, to).
    var cut: Set<[NodeID]> = []
    let members: [NodeID]
    let configure: (inout RaftConfig) -> Void

    init(_ count: Int, seed: UInt64 = 1, configure: @escaping (inout RaftConfig) -> Void = { _ in }) throws {
        members = (1...UInt64(count)).map { $0 }
        self.configure = configure
        for id in members {
            storages[id] = MemoryRaftStorage()
            try start(id, seed: seed)
        }
    }

    func start(_ id: NodeID, seed: UInt64 = 1) throws {
        var config = RaftConfig(id: id, members: members, seed: seed)
        configure(&config)
        nodes[id] = try Raft(config: config, storage: storages[id]!)
        applied[id] = []
    }

    /// Drops the node and every message to or from it; its storage survives.
    func crash(_ id: NodeID) {
        nodes[id] = nil
        queue.removeAll { $0.from == id || $0.to == id }
    }

    func isolate(_ id: NodeID) {
        for other in members where other != id { cut.insert([id, other]); cut.insert([other, id]) }
    }

    func heal() { cut = [] }

    /// Drains every node's Ready: save, queue messages, record applied entries.
    func drain() throws {
        var progress = true
        while progress {
            progress = false
            for id in members {
                guard let raft = nodes[id] else { continue }
                guard raft.hasReady else { continue }
                progress = true
                let drained = try raft.drain(saving: storages[id]!) { applied[id, default: []].append($0) }
                queue += drained.messages
                readStates[id, default: []] += drained.reads
            }
        }
    }

    /// Delivers queued messages (and the ones they cause) until none is left, dropping those
    /// on cut links or for crashed nodes; `filter` may drop others.
    func deliverAll(filter: (Message) -> Bool = { _ in true }) throws {
        try deliverAll(transform: { filter($0) ? $0 : nil })
    }

    /// Delivers what `transform` returns for each queued message (nil drops it).
    func deliverAll(transform: (Message) -> Message?) throws {
        try drain()
        var delivered = 0
        var recent: [Message] = []
        while !queue.isEmpty {
            delivered += 1
            if delivered > 100_000 {
                throw HarnessError(description: "messages never settle; last delivered: \(recent.map(\.description))")
            }
            let queued = queue.removeFirst()
            recent = Array((recent + [queued]).suffix(8))
            guard !cut.contains([queued.from, queued.to]), let m = transform(queued), let raft = nodes[m.to] else { continue }
            try raft.step(m)
            try drain()
        }
    }

    func tick(_ id: NodeID, _ times: Int = 1) throws {
        for _ in 0..<times { nodes[id]?.tick(); try drain() }
    }

    /// Ticks `id` until it campaigns, then delivers everything.
    func elect(_ id: NodeID) throws {
        try tick(id, 30)
        try deliverAll()
    }

    /// Ticks the `candidates` one tick at a time, delivering after each, until one of them
    /// leads (as time passes for all of them); false after `limit` rounds.
    @discardableResult
    func electAmong(_ candidates: [NodeID], limit: Int = 300, filter: (Message) -> Bool = { _ in true }) throws -> NodeID? {
        try electAmong(candidates, limit: limit, transform: { filter($0) ? $0 : nil })
    }

    @discardableResult
    func electAmong(_ candidates: [NodeID], limit: Int = 300, transform: (Message) -> Message?) throws -> NodeID? {
        for _ in 0..<limit {
            for id in candidates { nodes[id]?.tick() }
            try deliverAll(transform: transform)
            if let leader = leaders.first(where: candidates.contains) { return leader }
        }
        return nil
    }

    func status(_ id: NodeID) -> RaftStatus { nodes[id]!.status }

    var leaders: [NodeID] { members.filter { nodes[$0]?.status.role == .leader } }

    func log(_ id: NodeID) -> [Entry] { storages[id]!.allEntries }

    /// Proposes at `id` and delivers everything.
    @discardableResult
    func propose(_ id: NodeID, _ text: String) throws -> (term: UInt64, index: UInt64) {
        let r = try nodes[id]!.propose(Array(text.utf8))
        try deliverAll()
        return r
    }

    func appliedData(_ id: NodeID) -> [String] {
        applied[id, default: []].filter { $0.kind == .normal }.map { String(decoding: $0.data, as: UTF8.self) }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
}
