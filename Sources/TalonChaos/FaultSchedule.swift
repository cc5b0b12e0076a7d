import TalonRaft

/// One fault the harness injects, on member indexes `0..<nodes`.
public indirect enum Fault: Sendable, Hashable, Codable, CustomStringConvertible {
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
    /// `isolated` is cut off as by `partition`, and let back, again and again: each state
    /// lasts `milliseconds`.
    case flap(isolated: [Int], milliseconds: Int)
    /// `node`'s disk fills: its file-size limit (`RLIMIT_FSIZE`, set from outside with
    /// `prlimit`) is lowered to 8 KiB, LMDB's meta pages, so every commit fails (EFBIG) as
    /// on a full disk; raised back to the hard limit when the fault heals.
    case diskFull(node: Int)
    /// `node` is restarted with its wall clock shifted by `milliseconds` (either way), and
    /// restarted without when the fault heals. Debug builds only (`--test-clock-offset-ms`).
    case clockOffset(node: Int, milliseconds: Int)
    /// `node` is restarted with every store sync slowed by `milliseconds`, and restarted
    /// without when the fault heals. Debug builds only (`--test-sync-delay-ms`).
    case slowSync(node: Int, milliseconds: Int)
    /// Two faults at once on different members, started and healed together; the second
    /// (a delay or a one-way drop) never takes the majority's quorum away for good.
    case both(Fault, Fault)

    public var description: String {
        switch self {
        case .partition(let isolated): "partition \(Self.names(isolated)) | rest"
        case .isolateLeader: "isolate leader"
        case .oneWay(let from, let to): "drop n\(from + 1)->n\(to + 1)"
        case .delay(let node, let ms): "delay out of n\(node + 1) \(ms) ms"
        case .pause(let node): "SIGSTOP n\(node + 1)"
        case .kill(let node): "SIGKILL n\(node + 1)"
        case .flap(let isolated, let ms): "flap partition \(Self.names(isolated)) | rest every \(ms) ms"
        case .diskFull(let node): "disk full on n\(node + 1)"
        case .clockOffset(let node, let ms): "clock of n\(node + 1) \(ms >= 0 ? "+" : "")\(ms / 1000) s"
        case .slowSync(let node, let ms): "slow fsync on n\(node + 1) \(ms) ms"
        case .both(let a, let b): "\(a) + \(b)"
        }
    }

    private static func names(_ nodes: [Int]) -> String { nodes.map { "n\($0 + 1)" }.joined(separator: ",") }

    /// The kind, for counting: `partition`, `isolate_leader`, `one_way`, `delay`, `pause`,
    /// `kill`, `flap`, `disk_full`, `clock_offset`, `slow_sync`, or `both` for two at once.
    public var kind: String {
        switch self {
        case .partition: "partition"
        case .isolateLeader: "isolate_leader"
        case .oneWay: "one_way"
        case .delay: "delay"
        case .pause: "pause"
        case .kill: "kill"
        case .flap: "flap"
        case .diskFull: "disk_full"
        case .clockOffset: "clock_offset"
        case .slowSync: "slow_sync"
        case .both: "both"
        }
    }

    /// This fault, or the two of `both`.
    public var parts: [Fault] {
        if case .both(let a, let b) = self { a.parts + b.parts } else { [self] }
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

/// A replayable schedule of faults drawn from a seed: one scheduled fault at a time (`both`
/// is two at once), each healed after its duration, with a quiet gap before the next. The
/// same seed, member count, length and `testHooks` give the same schedule.
public struct FaultSchedule: Sendable, Hashable, Codable {
    public var seed: UInt64
    public var nodes: Int
    public var faults: [ScheduledFault]

    /// True in a debug build, whose `talon node run` takes the hidden test options
    /// (`--test-clock-offset-ms`, `--test-sync-delay-ms`) that clock and fsync faults need.
    public static var testHooksAvailable: Bool {
        #if DEBUG
        true
        #else
        false
        #endif
    }

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
        /// How long a flapping partition flaps, and how long each cut or heal lasts.
        public var flap: ClosedRange<Int> = 2_000...5_000
        public var flapPeriod: ClosedRange<Int> = 100...500
        /// How long a disk stays full, a clock shifted or fsync slow.
        public var disk: ClosedRange<Int> = 2_000...5_000
        public var restarted: ClosedRange<Int> = 3_000...6_000
        /// A clock offset's size, either way: 5 min to 2 h.
        public var clockOffset: ClosedRange<Int> = 300_000...7_200_000
        /// The delay added to each sync.
        public var syncDelay: ClosedRange<Int> = 20...200
        public init() {}
    }

    /// Draws faults for a run of `length` milliseconds over `nodes` members (at least 3);
    /// every fault ends by `length`. Clock and fsync faults are drawn only with `testHooks`
    /// (a debug build's members), so one seed draws another schedule in a release build.
    public init(seed: UInt64, nodes: Int, length: Int, timing: Timing = Timing(), testHooks: Bool = FaultSchedule.testHooksAvailable) {
        precondition(nodes >= 3, "a chaos schedule needs at least 3 members")
        self.seed = seed
        self.nodes = nodes
        var rng = SplitMix64(seed: seed)
        var faults: [ScheduledFault] = []
        var now = Int.random(in: timing.gap, using: &rng)
        let kinds = testHooks ? 11 : 9
        while true {
            let (fault, duration) = Self.draw(Int.random(in: 0..<kinds, using: &rng), nodes: nodes, timing: timing,
                                              testHooks: testHooks, using: &rng)
            guard now + duration <= length else { break }
            faults.append(ScheduledFault(at: now, duration: duration, fault: fault))
            now += duration + Int.random(in: timing.gap, using: &rng)
        }
        self.faults = faults
    }

    /// Fault number `choice` (0–10; 9 and 10 need `testHooks`) and its duration.
    private static func draw(_ choice: Int, nodes: Int, timing: Timing, testHooks: Bool,
                             using rng: inout SplitMix64) -> (Fault, Int) {
        func member() -> Int { Int.random(in: 0..<nodes, using: &rng) }
        func minority() -> [Int] {
            // A minority, so the majority side can go on.
            let size = Int.random(in: 1...((nodes - 1) / 2), using: &rng)
            return Array(Array(0..<nodes).shuffled(using: &rng).prefix(size)).sorted()
        }
        switch choice {
        case 0:
            return (.partition(isolated: minority()), Int.random(in: timing.network, using: &rng))
        case 1:
            return (.isolateLeader, Int.random(in: timing.network, using: &rng))
        case 2:
            let from = member()
            return (.oneWay(from: from, to: (from + Int.random(in: 1..<nodes, using: &rng)) % nodes),
                    Int.random(in: timing.network, using: &rng))
        case 3:
            return (.delay(node: member(), milliseconds: Int.random(in: 20...300, using: &rng)),
                    Int.random(in: timing.network, using: &rng))
        case 4:
            return (.pause(node: member()), Int.random(in: timing.pause, using: &rng))
        case 5:
            return (.kill(node: member()), Int.random(in: timing.down, using: &rng))
        case 6:
            return (.flap(isolated: minority(), milliseconds: Int.random(in: timing.flapPeriod, using: &rng)),
                    Int.random(in: timing.flap, using: &rng))
        case 7:
            return (.diskFull(node: member()), Int.random(in: timing.disk, using: &rng))
        case 8:
            // A member out of action plus a lesser fault on another: the other members stay
            // a majority that can commit once the lesser fault heals, at the latest.
            let first = Int.random(in: 0..<(testHooks ? 5 : 3), using: &rng)
            let node = member()
            let other = (node + Int.random(in: 1..<nodes, using: &rng)) % nodes
            let (a, duration): (Fault, Int) = switch first {
            case 0: (.pause(node: node), Int.random(in: timing.pause, using: &rng))
            case 1: (.kill(node: node), Int.random(in: timing.down, using: &rng))
            case 2: (.diskFull(node: node), Int.random(in: timing.disk, using: &rng))
            case 3: (.slowSync(node: node, milliseconds: Int.random(in: timing.syncDelay, using: &rng)),
                     Int.random(in: timing.restarted, using: &rng))
            default: (.clockOffset(node: node, milliseconds: offset(timing, using: &rng)), Int.random(in: timing.restarted, using: &rng))
            }
            let b: Fault = Bool.random(using: &rng)
                ? .delay(node: other, milliseconds: Int.random(in: 20...300, using: &rng))
                : .oneWay(from: other, to: (other + Int.random(in: 1..<nodes, using: &rng)) % nodes)
            return (.both(a, b), duration)
        case 9:
            return (.clockOffset(node: member(), milliseconds: offset(timing, using: &rng)), Int.random(in: timing.restarted, using: &rng))
        default:
            return (.slowSync(node: member(), milliseconds: Int.random(in: timing.syncDelay, using: &rng)),
                    Int.random(in: timing.restarted, using: &rng))
        }
    }

    private static func offset(_ timing: Timing, using rng: inout SplitMix64) -> Int {
        let size = Int.random(in: timing.clockOffset, using: &rng)
        return Bool.random(using: &rng) ? size : -size
    }
}
