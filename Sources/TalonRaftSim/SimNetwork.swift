@_spi(Testing) import TalonRaft
/// What the network does to each message, given the link faults in force: a base latency of
/// 1…4 ms, plus loss, delay, duplication, reordering and blocked links.
struct SimNetwork {
    /// A link fault in force since `since`; `id` is its place in the schedule.
    struct Active {
        var id: Int
        var fault: SimFault
        var since: UInt64
    }

    /// What happens to one message.
    enum Fate {
        case lost(reason: String)
        /// Delivered at these times (two when duplicated).
        case deliver([UInt64])
    }

    private var rng: SplitMix64
    private(set) var active: [Active] = []
    private(set) var sent = 0
    private(set) var lost = 0
    private(set) var blocked = 0
    private(set) var duplicated = 0

    init(seed: UInt64) { rng = SplitMix64(seed: seed ^ 0x0E7_D0E5_11CC_5EED) }

    mutating func start(_ fault: SimFault, id: Int, at now: UInt64) {
        active.append(Active(id: id, fault: fault, since: now))
    }

    mutating func end(id: Int) { active.removeAll { $0.id == id } }

    mutating func healAll() { active = [] }

    /// True when a message from `from` to `to` cannot pass at `now`.
    func isBlocked(from: NodeID, to: NodeID, at now: UInt64) -> Bool {
        for a in active {
            switch a.fault {
            case .partition(let groups):
                if groups.firstIndex(where: { $0.contains(from) }) != groups.firstIndex(where: { $0.contains(to) }) { return true }
            case .oneWay(let src, let dst):
                if src.contains(from) && dst.contains(to) { return true }
            case .isolate(let n):
                if let n, n == from || n == to { return true }
            case .flap(let x, let y, let period):
                if (from == x && to == y) || (from == y && to == x), ((now - a.since) / max(period, 1)) % 2 == 0 { return true }
            default:
                break
            }
        }
        return false
    }

    /// Decides the fate of `m`, sent at `now`.
    mutating func route(_ m: Message, at now: UInt64) -> Fate {
        sent += 1
        if isBlocked(from: m.from, to: m.to, at: now) {
            blocked += 1
            return .lost(reason: "link down")
        }
        var lossRate: UInt64 = 0, dupRate: UInt64 = 0, maxDelay: UInt64 = 0, jitter: UInt64 = 0
        for a in active {
            switch a.fault {
            case .loss(let p): lossRate = max(lossRate, p)
            case .duplication(let p): dupRate = max(dupRate, p)
            case .delay(let d): maxDelay = max(maxDelay, d)
            case .reordering(let j): jitter = max(jitter, j)
            default: break
            }
        }
        if lossRate > 0 && rng.chance(permille: lossRate) {
            lost += 1
            return .lost(reason: "lost")
        }
        var times = [now + latency(maxDelay: maxDelay, jitter: jitter)]
        if dupRate > 0 && rng.chance(permille: dupRate) {
            duplicated += 1
            times.append(now + latency(maxDelay: maxDelay, jitter: jitter))
        }
        return .deliver(times)
    }

    private mutating func latency(maxDelay: UInt64, jitter: UInt64) -> UInt64 {
        // A delay fault slows everything by about the same amount (little reordering);
        // a reordering fault draws each message's delay independently over a wide range.
        var d = 1 + rng.below(4)
        if maxDelay > 0 { d += maxDelay * 3 / 4 + rng.below(maxDelay / 4 + 1) }
        if jitter > 0 { d += rng.below(jitter + 1) }
        return d
    }
}
