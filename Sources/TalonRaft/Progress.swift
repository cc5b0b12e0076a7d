/// What a leader knows of one follower's log.
struct Progress {
    enum State { case probe, replicate }

    /// Highest index known to match the leader's log.
    var match: UInt64 = 0
    /// Next index to send.
    var next: UInt64
    var state: State = .probe
    /// In probe state: an append is out and unanswered.
    var probeSent = false
    /// In replicate state: the last index of each append in flight, oldest first.
    var inflight: [UInt64] = []
    /// Heard from since the last check-quorum.
    var recentActive = false

    init(next: UInt64) { self.next = next }

    func isPaused(maxInflight: Int) -> Bool {
        switch state {
        case .probe: probeSent
        case .replicate: inflight.count >= maxInflight
        }
    }

    /// Records an acknowledgement through `index`; true when it moved `match`.
    mutating func maybeUpdate(_ index: UInt64) -> Bool {
        let updated = index > match
        if updated {
            match = index
            probeSent = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// Records a rejection of the append probing at `rejected`; `hint` is where to look next.
    /// False for a stale rejection.
    mutating func maybeDecrease(rejected: UInt64, hint: UInt64) -> Bool {
        // A rejection at or below `match` cannot be current (the follower already accepted
        // that far); answering it would only repeat the same probe forever.
        guard rejected > match else { return false }
        if state == .replicate {
            next = match + 1
            return true
        }
        guard next - 1 == rejected else { return false }
        next = max(min(rejected, hint + 1), match + 1)
        probeSent = false
        return true
    }

    mutating func sent(lastIndex: UInt64?) {
        switch state {
        case .replicate:
            if let lastIndex {
                next = lastIndex + 1
                inflight.append(lastIndex)
            }
        case .probe:
            probeSent = true
        }
    }

    mutating func freeInflight(through index: UInt64) {
        inflight.removeAll { $0 <= index }
    }

    mutating func becomeProbe() {
        state = .probe
        next = match + 1
        inflight = []
        probeSent = false
    }

    mutating func becomeReplicate() {
        state = .replicate
        next = match + 1
        inflight = []
    }
}
