import Foundation
import Synchronization
import TalonProtocol
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts and heals the faults of a schedule on a running cluster.
final class FaultDriver: Sendable {
    let cluster: ChaosCluster
    let api: ChaosClient
    let events: EventLog
    /// Flapping partitions running now, by their members.
    private let flapping = Mutex<[[Int]: Task<Void, Never>]>([:])

    init(cluster: ChaosCluster, api: ChaosClient, events: EventLog) {
        self.cluster = cluster; self.api = api; self.events = events
    }

    /// Starts `fault` (both of `both`); false when it could not be (no leader to isolate).
    func inject(_ fault: Fault) async -> Bool {
        switch fault {
        case .both(let a, let b):
            let first = await inject(a), second = await inject(b)
            return first || second
        case .partition(let isolated):
            cluster.partition(Set(isolated))
        case .isolateLeader:
            guard let leader = await api.leader() else { events.add("skip isolate leader: no leader"); return false }
            cluster.partition([leader])
            events.add("isolate leader n\(leader + 1)")
            return true
        case .oneWay(let from, let to):
            cluster.proxies[from][to]?.set(.drop)
        case .delay(let node, let ms):
            for p in cluster.proxies[node] { p?.set(.delay(milliseconds: ms)) }
        case .pause(let node):
            cluster.signal(node, SIGSTOP)
        case .kill(let node):
            await cluster.stop(node, signal: SIGKILL)
        case .flap(let isolated, let ms):
            let cluster = cluster
            let task = Task {
                var cut = true
                while !Task.isCancelled {
                    cluster.partition(Set(isolated), cut: cut)
                    cut.toggle()
                    try? await Task.sleep(for: .milliseconds(ms))
                }
            }
            flapping.withLock { $0[isolated]?.cancel(); $0[isolated] = task }
        case .diskFull(let node):
            // Room for LMDB's two meta pages only: every commit's first data page fails.
            guard cluster.limitFileSize(node, to: 8192) else {
                events.add("skip \(fault): cannot limit the file size of n\(node + 1)")
                return false
            }
        case .clockOffset(let node, let ms):
            guard await restart(node, ["--test-clock-offset-ms", "\(ms)"]) else { return false }
        case .slowSync(let node, let ms):
            guard await restart(node, ["--test-sync-delay-ms", "\(ms)"]) else { return false }
        }
        events.add("inject \(fault)")
        return true
    }

    /// Heals `fault`: every link passes again, a paused member continues, a killed one or
    /// one restarted with a test option starts again as usual, a full disk gets its room back.
    func heal(_ fault: Fault) async throws {
        cluster.healNetwork()
        try await undo(fault)
        events.add("heal \(fault)")
    }

    private func undo(_ fault: Fault) async throws {
        switch fault {
        case .both(let a, let b):
            try await undo(a)
            try await undo(b)
        case .pause(let node): cluster.signal(node, SIGCONT)
        case .kill(let node): try cluster.start(node)
        case .flap(let isolated, _):
            let task = flapping.withLock { $0.removeValue(forKey: isolated) }
            task?.cancel()
            await task?.value
            cluster.partition(Set(isolated), cut: false)
        case .diskFull(let node): cluster.limitFileSize(node, to: nil)
        case .clockOffset(let node, _), .slowSync(let node, _):
            _ = await restart(node, [])
        case .partition, .isolateLeader, .oneWay, .delay: break
        }
    }

    /// A flapping partition still running (the run ended before its heal) stops.
    deinit {
        flapping.withLock { f in for task in f.values { task.cancel() } }
    }

    /// Stops member `node` gracefully and starts it again with `extra` options.
    private func restart(_ node: Int, _ extra: [String]) async -> Bool {
        await cluster.stop(node, signal: SIGTERM)
        do {
            try cluster.start(node, extra: extra)
            return true
        } catch {
            events.add("cannot restart n\(node + 1) with \(extra): \(error)")
            return false
        }
    }
}
