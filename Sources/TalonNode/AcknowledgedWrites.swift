import Synchronization

/// Keeps a node's reads behind none of its own answers.
///
/// The leader answers a submission as soon as its entry is committed and applied, before the
/// turn's transaction commits (`NodeCore.Input.onApplied`): the entry is on a majority's disks
/// and its receipts are final, so the answer need not wait for this node's syncs. Reads of
/// the store see the block only once that transaction commits, a few milliseconds later. A
/// client that reads right after its answer must still see its write, so reads through the
/// API first wait (`caughtUp`, `AcknowledgedWritesMiddleware`) until the store shows every
/// entry this node has acknowledged: usually the rest of one turn, nothing at all when no
/// answer is ahead of the store, and never past the caller's limit.
final class AcknowledgedWrites: Sendable {
    private struct State {
        /// The highest log index whose submitters were answered.
        var acknowledged: UInt64 = 0
        /// The highest log index the store shows to readers.
        var visible: UInt64 = 0
        var closed = false
        var waiting: [Waiter] = []
        var nextWaiter = 0
    }

    private struct Waiter {
        let id: Int
        let through: UInt64
        /// Resumed with true once the store shows `through`, false when the wait ran out.
        let resume: CheckedContinuation<Bool, Never>
        /// Ends the wait when it runs out; cancelled when the wait ends first.
        var timer: Task<Void, Never>?

        func end(_ caughtUp: Bool) {
            timer?.cancel()
            resume.resume(returning: caughtUp)
        }
    }

    private let state = Mutex(State())

    /// Notes that submitters of the entry at `index` were answered (the loop, before the
    /// block's transaction commits).
    func acknowledged(_ index: UInt64) {
        state.withLock { $0.acknowledged = max($0.acknowledged, index) }
    }

    /// Notes that readers see every entry through `index` (the loop, once a turn committed),
    /// and lets the reads waiting for it go on.
    func visible(_ index: UInt64) {
        let ready = state.withLock { s -> [Waiter] in
            s.visible = max(s.visible, index)
            let visible = s.visible
            let ready = s.waiting.filter { $0.through <= visible }
            s.waiting.removeAll { $0.through <= visible }
            return ready
        }
        for waiter in ready { waiter.end(true) }
    }

    /// Lets every waiting read go on and forgets the answers ahead of the store: a turn that
    /// answered failed to commit (its entries apply again once the node recovers, with the
    /// same receipts), and reads must not wait for a disk that has no space.
    func release() {
        let ready = state.withLock { s -> [Waiter] in
            s.acknowledged = s.visible
            defer { s.waiting = [] }
            return s.waiting
        }
        for waiter in ready { waiter.end(true) }
    }

    /// As `release`, and no read waits from now on (the loop stopped).
    func close() {
        state.withLock { $0.closed = true }
        release()
    }

    /// True once readers see every entry acknowledged before the call; false when `limit`
    /// passes first (a turn stuck on its disk: the caller answers that it timed out rather
    /// than serve a state older than its own answers).
    func caughtUp(within limit: Duration) async -> Bool {
        let through = state.withLock { s -> UInt64? in s.closed || s.visible >= s.acknowledged ? nil : s.acknowledged }
        guard let through else { return true }
        return await withCheckedContinuation { (resume: CheckedContinuation<Bool, Never>) in
            let waiter = state.withLock { s -> Int? in
                if s.closed || s.visible >= through { return nil }
                s.nextWaiter += 1
                s.waiting.append(Waiter(id: s.nextWaiter, through: through, resume: resume))
                return s.nextWaiter
            }
            guard let waiter else { return resume.resume(returning: true) }
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                self.expire(waiter)
            }
            // The wait may have ended already; then the timer is not needed.
            let waiting = state.withLock { s -> Bool in
                guard let at = s.waiting.firstIndex(where: { $0.id == waiter }) else { return false }
                s.waiting[at].timer = timer
                return true
            }
            if !waiting { timer.cancel() }
        }
    }

    /// Ends waiter `id`'s wait, if it still waits, as run out.
    private func expire(_ id: Int) {
        let expired = state.withLock { s -> Waiter? in
            guard let at = s.waiting.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiting.remove(at: at)
        }
        expired?.resume.resume(returning: false)
    }
}
