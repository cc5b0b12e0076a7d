import Synchronization

/// Keeps a node's reads behind none of its own answers.
///
/// The leader answers a submission as soon as its entry is committed and applied, before the
/// turn's transaction commits (`NodeCore.Input.onApplied`): the entry is on a majority's disks
/// and its receipts are final, so the answer need not wait for this node's syncs. Reads of
/// the store see the block only once that transaction commits, a few milliseconds later. A
/// client that reads right after its answer must still see its write, so every API request
/// first waits (`caughtUp`) until the store shows every entry this node has acknowledged:
/// at most the rest of one turn, and nothing at all when no answer is ahead of the store.
final class AcknowledgedWrites: Sendable {
    private struct State {
        /// The highest log index whose submitters were answered.
        var acknowledged: UInt64 = 0
        /// The highest log index the store shows to readers.
        var visible: UInt64 = 0
        var closed = false
        var waiting: [(through: UInt64, resume: CheckedContinuation<Void, Never>)] = []
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
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.visible = max(s.visible, index)
            let visible = s.visible
            let ready = s.waiting.filter { $0.through <= visible }.map(\.resume)
            s.waiting.removeAll { $0.through <= visible }
            return ready
        }
        for resume in ready { resume.resume() }
    }

    /// Lets every waiting read go on and forgets the answers ahead of the store: a turn that
    /// answered failed to commit (its entries apply again once the node recovers, with the
    /// same receipts), and reads must not wait for a disk that has no space.
    func release() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.acknowledged = s.visible
            defer { s.waiting = [] }
            return s.waiting.map(\.resume)
        }
        for resume in ready { resume.resume() }
    }

    /// As `release`, and no read waits from now on (the loop stopped).
    func close() {
        state.withLock { $0.closed = true }
        release()
    }

    /// Returns once readers see every entry acknowledged before the call.
    func caughtUp() async {
        let through = state.withLock { s -> UInt64? in s.closed || s.visible >= s.acknowledged ? nil : s.acknowledged }
        guard let through else { return }
        await withCheckedContinuation { (resume: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.closed || s.visible >= through { return true }
                s.waiting.append((through, resume))
                return false
            }
            if now { resume.resume() }
        }
    }
}
