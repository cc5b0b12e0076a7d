import Synchronization

/// Frames waiting for the link to one peer. Bounded: past `limit` the oldest frame goes
/// first (Raft tolerates loss, and a forward is sent again). The link takes everything
/// queued at once, so the messages of one loop turn leave in one write and one syscall
/// instead of one each.
final class PeerOutbox: Sendable {
    private struct State {
        var frames: [PeerFrame] = []
        var waiter: CheckedContinuation<[PeerFrame]?, Never>?
        var cancelled = false
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    /// Queues `frame`; returns at once.
    func push(_ frame: PeerFrame) {
        let waiter = state.withLock { s -> CheckedContinuation<[PeerFrame]?, Never>? in
            if let waiter = s.waiter {
                s.waiter = nil
                return waiter
            }
            if s.frames.count >= limit { s.frames.removeFirst(s.frames.count - limit + 1) }
            s.frames.append(frame)
            return nil
        }
        waiter?.resume(returning: [frame])
    }

    /// Every frame queued, oldest first, waiting until there is one; nil once a taking task
    /// was cancelled (the outbox then stays closed: its link is gone). One task takes at a time.
    func take() async -> [PeerFrame]? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<[PeerFrame]?, Never>) in
                // Answer at once with what is queued (nothing: cancelled), or leave the waiter.
                let answer = state.withLock { s -> [PeerFrame]?? in
                    if s.cancelled { return .some(nil) }
                    guard !s.frames.isEmpty else {
                        s.waiter = waiter
                        return nil
                    }
                    defer { s.frames = [] }
                    return .some(s.frames)
                }
                if let answer { waiter.resume(returning: answer) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<[PeerFrame]?, Never>? in
                s.cancelled = true
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
