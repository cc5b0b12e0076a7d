import Foundation
import Metrics

/// Whether the loop keeps up: a loop stuck in a turn (a hung disk, an apply that does not
/// end) cannot update its own snapshot, so the turn's start time is recorded under the lock
/// and read from here.
extension Node {
    /// What `health()` reports.
    public struct Health: Sendable {
        /// How long the running turn has taken, or the applied index has stayed below the
        /// commit index, whichever is longer (zero when neither).
        public var stalledFor: Duration
        /// True past `Options.stallTimeout`, or once the loop has stopped.
        public var isStalled: Bool
        /// Why, for a person; nil when healthy.
        public var reason: String?
    }

    /// The loop's health now. Safe from any thread, and answers while the loop is stuck.
    public func health() -> Health {
        let now = ContinuousClock.now
        let (started, behind, failed, stopped) = condition.withLock { (turnStarted, behindSince, failure, isStopping) }
        let inTurn = started.map { now - $0 } ?? .zero
        let lagging = behind.map { now - $0 } ?? .zero
        let stalledFor = max(inTurn, lagging)
        if let failed {
            return Health(stalledFor: stalledFor, isStalled: true, reason: "the loop stopped: \(failed)")
        }
        if stopped {
            return Health(stalledFor: stalledFor, isStalled: true, reason: "the node is stopping")
        }
        guard stalledFor > options.stallTimeout else { return Health(stalledFor: stalledFor, isStalled: false, reason: nil) }
        let reason = inTurn >= lagging
            ? "a loop turn has run for \(Self.text(inTurn))"
            : "nothing committed has been applied for \(Self.text(lagging))"
        return Health(stalledFor: stalledFor, isStalled: true, reason: reason)
    }

    /// Sets the `talon_loop_stalled_seconds` gauge from `health()` (before `/metrics` is
    /// served: a stuck loop cannot set it itself).
    @discardableResult
    public func recordHealth() -> Health {
        let h = health()
        meters.stalledSeconds.record(Self.seconds(h.stalledFor))
        return h
    }

    static func text(_ d: Duration) -> String { String(format: "%.1f s", seconds(d)) }
}
