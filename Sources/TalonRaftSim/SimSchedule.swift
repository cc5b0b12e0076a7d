@_spi(Testing) import TalonRaft
/// A fault as scheduled. Targets written as `nil` ("the leader") are resolved when it starts.
enum SimFault: Hashable {
    /// Every message is lost with this probability (per mille).
    case loss(permille: UInt64)
    /// Every message is delayed by a further 0…`maxExtra` ms.
    case delay(maxExtra: UInt64)
    /// Every message is delivered twice with this probability (per mille).
    case duplication(permille: UInt64)
    /// Every message gets an extra 0…`jitter` ms, independently, so messages overtake.
    case reordering(jitter: UInt64)
    /// Groups that cannot reach each other.
    case partition([[NodeID]])
    /// Messages from `from` to `to` are dropped; the other direction works.
    case oneWay(from: [NodeID], to: [NodeID])
    /// A node (`nil`: the leader at the start) is cut off from everyone.
    case isolate(NodeID?)
    /// The link between two nodes is down for `period` ms, then up for `period` ms, and so on.
    case flap(NodeID, NodeID, period: UInt64)
    /// A node (`nil`: the leader at the start) crashes, and restarts when the fault ends.
    case crash(NodeID?)
    /// A node's tick period is scaled by `percent`/100.
    case tickSkew(NodeID, percent: UInt64)

    var kind: SimFaultKind {
        switch self {
        case .loss: .loss
        case .delay: .delay
        case .duplication: .duplication
        case .reordering: .reordering
        case .partition: .partition
        case .oneWay: .oneWayPartition
        case .isolate: .isolatedLeader
        case .flap: .flappingLink
        case .crash: .crash
        case .tickSkew: .tickSkew
        }
    }
}

extension SimFault: CustomStringConvertible {
    var description: String {
        func set(_ g: [NodeID]) -> String { "{" + g.map(String.init).joined(separator: ",") + "}" }
        func node(_ n: NodeID?) -> String { n.map(String.init) ?? "leader" }
        switch self {
        case .loss(let p): return "loss \(p)‰"
        case .delay(let d): return "delay +0…\(d)ms"
        case .duplication(let p): return "duplication \(p)‰"
        case .reordering(let j): return "reordering jitter 0…\(j)ms"
        case .partition(let groups): return "partition " + groups.map(set).joined(separator: "|")
        case .oneWay(let from, let to): return "one-way partition \(set(from))↛\(set(to))"
        case .isolate(let n): return "isolate \(node(n))"
        case .flap(let a, let b, let p): return "flapping link \(a)↔\(b) every \(p)ms"
        case .crash(let n): return "crash \(node(n))"
        case .tickSkew(let n, let pct): return "tick skew \(n) period ×\(pct)%"
        }
    }
}

/// A fault with the virtual times it starts and ends.
struct SimScheduledFault: Hashable {
    var start: UInt64
    var end: UInt64
    var fault: SimFault
}

/// What a seed decides before the run starts: each node's clock and the faults of the chaos phase.
struct SimSchedule {
    /// Tick period of each node (index `id - 1`), in ms.
    var tickPeriods: [UInt64]
    /// Faults ordered by start time; all end by `chaosEnd`, when the cluster is healed.
    var faults: [SimScheduledFault]
    var chaosEnd: UInt64
    /// `RaftConfig` options of every node in this run.
    var preVote = true
    var checkQuorum = true
    /// Whether leaders send their appends before saving what they carry
    /// (`Node.Options.appendsBeforeSave`).
    var appendsBeforeSave = true

    init(seed: UInt64, nodes: Int, mix: SimFaultMix, parameters p: SimParameters) {
        var rng = SplitMix64(seed: seed ^ 0x5C4E_D01E_F417_0000)
        let ids = (1...UInt64(nodes)).map { $0 }
        let base = p.baseTickMillis
        tickPeriods = ids.map { _ in base * 7 / 10 + rng.below(base * 8 / 10 + 1) }
        if p.varyElectionOptions {
            preVote = rng.chance(permille: 750)
            checkQuorum = rng.chance(permille: 750)
            appendsBeforeSave = rng.chance(permille: 500)
        }
        chaosEnd = p.chaosMillis
        faults = []
        let kinds = mix.ordered
        let totalWeight = UInt64(kinds.reduce(0) { $0 + $1.weight })
        guard totalWeight > 0 else { return }
        var t = rng.below(p.meanFaultGapMillis + 1)
        while t < p.chaosMillis {
            var pick = rng.below(totalWeight)
            var kind = kinds[0].kind
            for (k, w) in kinds {
                if pick < UInt64(w) { kind = k; break }
                pick -= UInt64(w)
            }
            let tick = base
            let duration = kind == .crash ? 3 * tick + rng.below(max(p.maxCrashMillis, 3 * tick) - 3 * tick + 1) : 5 * tick + rng.below(55 * tick)
            let fault = Self.make(kind, ids: ids, tick: tick, leaderPermille: p.crashLeaderPermille, rng: &rng)
            faults.append(SimScheduledFault(start: t, end: min(t + duration, p.chaosMillis), fault: fault))
            t += 1 + rng.below(2 * p.meanFaultGapMillis)
        }
    }

    private static func make(_ kind: SimFaultKind, ids: [NodeID], tick: UInt64, leaderPermille: UInt64,
                             rng: inout SplitMix64) -> SimFault {
        switch kind {
        case .loss: return .loss(permille: 50 + rng.below(400))
        case .delay: return .delay(maxExtra: tick + rng.below(8 * tick))
        case .duplication: return .duplication(permille: 50 + rng.below(300))
        case .reordering: return .reordering(jitter: tick + rng.below(5 * tick))
        case .partition:
            let shuffled = rng.shuffled(ids)
            let cut = 1 + Int(rng.below(UInt64(ids.count - 1)))
            if ids.count >= 5 && rng.chance(permille: 300) {
                return .partition([Array(shuffled[..<1]).sorted(), Array(shuffled[1..<3]).sorted(), Array(shuffled[3...]).sorted()])
            }
            return .partition([Array(shuffled[..<cut]).sorted(), Array(shuffled[cut...]).sorted()])
        case .oneWayPartition:
            let shuffled = rng.shuffled(ids)
            let cut = 1 + Int(rng.below(UInt64(ids.count - 1)))
            return .oneWay(from: Array(shuffled[..<cut]).sorted(), to: Array(shuffled[cut...]).sorted())
        case .isolatedLeader:
            return .isolate(rng.chance(permille: 800) ? nil : rng.pick(ids))
        case .flappingLink:
            let shuffled = rng.shuffled(ids)
            return .flap(min(shuffled[0], shuffled[1]), max(shuffled[0], shuffled[1]), period: tick + rng.below(4 * tick))
        case .crash:
            return .crash(rng.chance(permille: leaderPermille) ? nil : rng.pick(ids))
        case .tickSkew:
            return .tickSkew(rng.pick(ids), percent: rng.chance(permille: 500) ? 200 + rng.below(300) : 30 + rng.below(40))
        }
    }
}

extension SplitMix64 {
    /// Uniform in `0..<n` (0 when `n` is 0); the small modulo bias does not matter here.
    mutating func below(_ n: UInt64) -> UInt64 { n == 0 ? 0 : next() % n }
    mutating func chance(permille: UInt64) -> Bool { below(1000) < permille }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(below(UInt64(items.count)))] }
    /// Fisher–Yates with this generator, spelled out so a seed means the same on every toolchain.
    mutating func shuffled<T>(_ items: [T]) -> [T] {
        var a = items
        var i = a.count - 1
        while i > 0 {
            a.swapAt(i, Int(below(UInt64(i + 1))))
            i -= 1
        }
        return a
    }
}
