import TalonRaft

/// One fault the harness injects, on member indexes `0..<nodes`.
public enum Fault: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A full partition: every link between `isolated` and the others is blackholed, both ways.
    case partition(isolated: [Int])
    /// The member that leads when the fault starts is cut off from the others, both ways.
    case isolateLeader
    /// Bytes from `from` to `to` are dropped; the other direction passes.
    case oneWay(from: Int, to: Int)
    /// Every link out of `node` is delayed.
    case delay(node: Int, milliseconds: Int)
    /// `node` is stopped with SIGSTOP and continued with SIGCONT when the fault heals.
    case pause(node: Int)
    /// `node` is killed with SIGKILL and started again when the fault heals.
    case kill(node: Int)

    public var description: String {
        switch self {
        case .partition(let isolated): "partition \(isolated.map { "n\($0 + 1)" }.joined(separator: ",")) | rest"
        case .isolateLeader: "isolate leader"
        case .oneWay(let from, let to): "drop n\(from + 1)->n\(to + 1)"
        case .delay(let node, let ms): "delay out of n\(node + 1) \(ms) ms"
        case .pause(let node): "SIGSTOP n\(node + 1)"
        case .kill(let node): "SIGKILL n\(node + 1)"
        }
    }

    /// The kind, for counting: `partition`, `isolate_leader`, `one_way`, `delay`, `pause`, `kill`.
    public var kind: String {
        switch self {
        case .partition: "partition"
        case .isolateLeader: "isolate_leader"
        case .oneWay: "one_way"
        case .delay: "delay"
        case .pause: "pause"
        case .kill: "kill"
        }
    }
}

/// A fault, when it starts (milliseconds after the run starts) and how long it lasts before
/// it is healed.
public struct ScheduledFault: Sendable, Hashable, Codable {
    public var at: Int
    public var duration: Int
    public var fault: Fault
    public init(at: Int, duration: Int, fault: Fault) { self.at = at; self.duration = duration; self.fault = fault }
}

/// A replayable schedule of faults drawn from a seed: one fault at a time, each healed after
/// its duration, with a quiet gap before the next. The same seed, member count and length
/// give the same schedule.
public struct FaultSchedule: Sendable, Hashable, Codable {
    public var seed: UInt64
    public var nodes: Int
    public var faults: [ScheduledFault]

    /// Bounds of the draw, in milliseconds.
    public struct Timing: Sendable, Hashable, Codable {
        /// Quiet time before the first fault and between two faults.
        public var gap: ClosedRange<Int> = 1_000...3_000
        /// How long a network fault lasts.
        public var network: ClosedRange<Int> = 1_500...4_000
        /// How long a pause lasts: longer than the election timeout (10–20 ticks of 100 ms).
        public var pause: ClosedRange<Int> = 2_500...4_500
        /// How long a killed member stays down.
        public var down: ClosedRange<Int> = 1_000...3_000
        public init() {}
    }

    /// Draws faults for a run of `length` milliseconds over `nodes` members (at least 3);
    /// every fault ends by `length`.
    public init(seed: UInt64, nodes: Int, length: Int, timing: Timing = Timing()) {
        precondition(nodes >= 3, "a chaos schedule needs at least 3 members")
        self.seed = seed
        self.nodes = nodes
        var rng = SplitMix64(seed: seed)
        var faults: [ScheduledFault] = []
        var now = Int.random(in: timing.gap, using: &rng)
        while true {
            let fault: Fault
            let duration: Int
            switch Int.random(in: 0..<6, using: &rng) {
            case 0:
                // A minority, so the majority side can go on.
                let size = Int.random(in: 1...((nodes - 1) / 2), using: &rng)
                fault = .partition(isolated: Array(Array(0..<nodes).shuffled(using: &rng).prefix(size)).sorted())
                duration = Int.random(in: timing.network, using: &rng)
            case 1:
                fault = .isolateLeader
                duration = Int.random(in: timing.network, using: &rng)
            case 2:
                let from = Int.random(in: 0..<nodes, using: &rng)
                let to = (from + Int.random(in: 1..<nodes, using: &rng)) % nodes
                fault = .oneWay(from: from, to: to)
                duration = Int.random(in: timing.network, using: &rng)
            case 3:
                fault = .delay(node: Int.random(in: 0..<nodes, using: &rng), milliseconds: Int.random(in: 20...300, using: &rng))
                duration = Int.random(in: timing.network, using: &rng)
            case 4:
                fault = .pause(node: Int.random(in: 0..<nodes, using: &rng))
                duration = Int.random(in: timing.pause, using: &rng)
            default:
                fault = .kill(node: Int.random(in: 0..<nodes, using: &rng))
                duration = Int.random(in: timing.down, using: &rng)
            }
            guard now + duration <= length else { break }
            faults.append(ScheduledFault(at: now, duration: duration, fault: fault))
            now += duration + Int.random(in: timing.gap, using: &rng)
        }
        self.faults = faults
    }
}
