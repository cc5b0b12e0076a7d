@_spi(Testing) import TalonRaft
/// Something that happens at a virtual time.
enum SimAction {
    /// A message arrives (or is dropped, if an end crashed since it was sent).
    case deliver(SimEnvelope)
    /// A node's clock ticks; stale once the node crashed (`incarnation` no longer current).
    case tick(NodeID, incarnation: Int)
    /// The clients act: propose, read or move leadership.
    case client
    /// Scheduled fault number `index` starts or ends.
    case faultStart(Int)
    case faultEnd(Int)
    /// The chaos phase is over: every link healthy, every node up.
    case heal
}

/// A message in flight, with the incarnations of both ends when it was sent: a crash of
/// either end drops it.
struct SimEnvelope {
    var message: Message
    var fromIncarnation: Int
    var toIncarnation: Int
    var duplicate: Bool
    /// Sent before its sender saved what it depends on: it stays on the wire if the sender
    /// crashes (others from a crashed incarnation are dropped).
    var outlivesSender = false
}

/// Events ordered by time, then by the order they were scheduled in: a total order, so a run
/// is a function of its seed.
struct SimEventQueue {
    private var heap: [(time: UInt64, seq: UInt64, action: SimAction)] = []
    private var seq: UInt64 = 0

    var isEmpty: Bool { heap.isEmpty }

    mutating func push(_ time: UInt64, _ action: SimAction) {
        seq += 1
        heap.append((time, seq, action))
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> (time: UInt64, action: SimAction)? {
        guard let top = heap.first else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && Self.less(heap[l], heap[m]) { m = l }
                if r < heap.count && Self.less(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return (top.time, top.action)
    }

    private static func less(_ a: (time: UInt64, seq: UInt64, action: SimAction),
                             _ b: (time: UInt64, seq: UInt64, action: SimAction)) -> Bool {
        a.time != b.time ? a.time < b.time : a.seq < b.seq
    }
}
