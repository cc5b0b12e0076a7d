@_spi(Testing) import TalonRaft
/// The clients' bookkeeping: unique payloads proposed until each is acknowledged, and the
/// attempts still waiting to be applied by the node that took them.
struct SimClient {
    /// A proposal taken by `node` (in its incarnation `incarnation`) at `index`@`term`.
    struct Attempt {
        var payload: Int
        var incarnation: Int
        var term: UInt64
        var index: UInt64
        var time: UInt64
        /// Proposed again elsewhere after a timeout (this attempt may still succeed).
        var retried = false
    }

    /// What applying an entry meant for the clients.
    enum Outcome {
        case none
        /// The proposer applied its proposal where `propose()` put it.
        case acknowledged(Int)
        /// Another entry took the proposal's place; it will be proposed again.
        case superseded(Int)
        /// The entry at the returned index and term is not the proposal: the core lied.
        case mismatch(Int)
    }

    let seed: UInt64
    private(set) var payloads: [[UInt8]] = []
    private var done: [Bool] = []
    private(set) var doneCount = 0
    /// Payloads waiting to be proposed (again), oldest first.
    private var pending: [Int] = []
    /// Attempts by proposing node (index `id - 1`).
    private var attempts: [[Attempt]]
    private var reads = 0

    init(seed: UInt64, nodes: Int) {
        self.seed = seed
        attempts = Array(repeating: [], count: nodes)
    }

    var allAcknowledged: Bool { doneCount == payloads.count }
    /// Payloads proposed but not acknowledged yet.
    var unacknowledged: Int { payloads.count - doneCount }

    /// The next payload to propose: the oldest waiting one, or a new one when `allowNew`.
    mutating func nextPayload(allowNew: Bool) -> Int? {
        if !pending.isEmpty { return pending.removeFirst() }
        guard allowNew else { return nil }
        payloads.append(Array("p\(seed)-\(payloads.count + 1)".utf8))
        done.append(false)
        return payloads.count - 1
    }

    /// A proposal could not be made; it waits for the next try.
    mutating func refused(_ payload: Int) { pending.insert(payload, at: 0) }

    mutating func proposed(_ payload: Int, at node: NodeID, incarnation: Int, term: UInt64, index: UInt64, time: UInt64) {
        let n = Int(node - 1)
        // A leftover attempt at the same index (a deposed leader's) is superseded by this one.
        if let k = attempts[n].firstIndex(where: { $0.index == index }) {
            retry(attempts[n].remove(at: k).payload)
        }
        attempts[n].append(Attempt(payload: payload, incarnation: incarnation, term: term, index: index, time: time))
    }

    mutating func applied(_ e: Entry, at node: NodeID, incarnation: Int) -> Outcome {
        let n = Int(node - 1)
        guard let k = attempts[n].firstIndex(where: { $0.index == e.index }) else { return .none }
        let a = attempts[n].remove(at: k)
        guard a.incarnation == incarnation else { return .none }
        if e.term == a.term {
            guard e.data == payloads[a.payload], e.kind == .normal else { return .mismatch(a.payload) }
            if !done[a.payload] {
                done[a.payload] = true
                doneCount += 1
            }
            return .acknowledged(a.payload)
        }
        retry(a.payload)
        return .superseded(a.payload)
    }

    /// A node crashed: its attempts are unknown, so their payloads are proposed again.
    mutating func crashed(_ node: NodeID) {
        for a in attempts[Int(node - 1)] { retry(a.payload) }
        attempts[Int(node - 1)] = []
    }

    /// Attempts older than `cutoff` may never be applied by their node (a deposed leader whose
    /// log is cut back below them): their payloads are proposed again, and whichever attempt
    /// is applied first acknowledges the payload.
    mutating func expire(before cutoff: UInt64) {
        for n in attempts.indices {
            for k in attempts[n].indices where !attempts[n][k].retried && attempts[n][k].time < cutoff {
                attempts[n][k].retried = true
                retry(attempts[n][k].payload)
            }
        }
    }

    private mutating func retry(_ payload: Int) {
        if !done[payload] && !pending.contains(payload) { pending.append(payload) }
    }

    mutating func readContext() -> [UInt8] {
        reads += 1
        return Array("r\(seed)-\(reads)".utf8)
    }
}
