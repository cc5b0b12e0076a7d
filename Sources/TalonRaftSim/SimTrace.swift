@_spi(Testing) import TalonRaft
/// One step of a simulation, kept cheaply and rendered to text only when the trace is read.
enum SimTraceEvent {
    case deliver(Message, duplicate: Bool)
    case drop(Message, reason: String)
    case tick(NodeID, sent: Int)
    case propose(NodeID, payload: [UInt8], term: UInt64, index: UInt64)
    case refused(NodeID, action: String, reason: String)
    case read(NodeID, context: [UInt8])
    case readState(NodeID, index: UInt64, context: [UInt8])
    case transfer(from: NodeID, to: NodeID)
    case acknowledged(NodeID, payload: [UInt8], term: UInt64, index: UInt64)
    case role(NodeID, Role, term: UInt64, leader: NodeID?)
    case commit(NodeID, UInt64)
    case fault(String)
    case note(String)
}

extension SimTraceEvent: CustomStringConvertible {
    var description: String {
        switch self {
        case .deliver(let m, let dup): "deliver \(dup ? "(dup) " : "")\(m)"
        case .drop(let m, let reason): "drop \(m) (\(reason))"
        case .tick(let n, let sent): "tick \(n) → \(sent) msg\(sent == 1 ? "" : "s")"
        case .propose(let n, let p, let t, let i): "propose \(Self.text(p)) at \(n) → \(i)@\(t)"
        case .refused(let n, let action, let reason): "\(action) at \(n) refused: \(reason)"
        case .read(let n, let c): "readIndex \(Self.text(c)) at \(n)"
        case .readState(let n, let i, let c): "read \(Self.text(c)) released at \(n) index \(i)"
        case .transfer(let from, let to): "transfer leadership \(from)→\(to)"
        case .acknowledged(let n, let p, let t, let i): "ack \(Self.text(p)) by \(n) at \(i)@\(t)"
        case .role(let n, let role, let term, let leader): "role \(n) \(role.rawValue) t\(term) leader \(leader.map(String.init) ?? "-")"
        case .commit(let n, let c): "commit \(n) → \(c)"
        case .fault(let s): s
        case .note(let s): s
        }
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// The last `capacity` steps of a run (oldest first when read), and optionally every step
/// as it happens (for `talon sim raft --trace`).
struct SimTrace {
    let capacity: Int
    private var ring: [(time: UInt64, event: SimTraceEvent)] = []
    private var next = 0
    /// Receives every line as it is recorded, when set.
    var sink: ((String) -> Void)?

    init(capacity: Int, sink: ((String) -> Void)?) {
        self.capacity = capacity
        self.sink = sink
        ring.reserveCapacity(capacity)
    }

    mutating func record(_ time: UInt64, _ event: SimTraceEvent) {
        if let sink { sink(Self.line(time, event)) }
        if ring.count < capacity {
            ring.append((time, event))
        } else {
            ring[next] = (time, event)
            next = (next + 1) % capacity
        }
    }

    /// The kept lines, oldest first.
    var lines: [String] {
        (ring[next...] + ring[..<next]).map { Self.line($0.time, $0.event) }
    }

    static func line(_ time: UInt64, _ event: SimTraceEvent) -> String { "t=\(time) \(event)" }
}
