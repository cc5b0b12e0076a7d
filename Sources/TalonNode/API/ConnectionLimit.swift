import Logging
import Metrics
import NIOCore
import Synchronization

/// A cap on the API's open connections, shared by every event loop of the API.
///
/// Guarantees:
/// - At most `limit` accepted connections are open at once (plus, for an instant, the
///   newcomer whose arrival closes another, and at most `maxRefusing` refused ones that are
///   being answered).
/// - Idle floods cannot lock out real clients: when the table is full, a newcomer evicts the
///   connection that has been idle the longest (open, no request in flight — a connection
///   that never sent a byte, or one dribbling an unfinished request head, counts as idle).
///   Closing an idle HTTP/1.1 connection is allowed at any time (RFC 9112 §9.6); a client
///   whose next request crosses the close retries it as after any keep-alive close.
/// - A request in flight (from its complete head until both its body has been read and its
///   response written) is never cut short to make room. When every connection is busy, the
///   newcomer is answered `503` `too_many_connections` with `Retry-After: 1` and closed.
///
/// Busy connections are still bounded in time by the server's idle timeout, which closes a
/// connection whose request stalls (no head, body or response part for 30 s).
final class ConnectionLimit: Sendable {
    // Sendable: the table and the refusal count live in a `Mutex`; the rest is immutable,
    // and the meters are thread-safe.

    /// The most connections served at once.
    let limit: Int
    /// The most refused connections kept open at once while their 503 drains; more are
    /// closed as soon as the answer is written.
    let maxRefusing: Int
    /// The bytes a refused connection is answered with.
    let refusal: [UInt8]
    private let state: Mutex<State>
    private let logger: Logger
    private let open = Gauge(label: "talon_api_connections")
    private let capacity = Gauge(label: "talon_api_connections_max")
    private let evictions = Counter(label: "talon_api_connections_evicted_total")
    private let refusals = Counter(label: "talon_api_connections_refused_total")

    private struct State {
        var table: ConnectionTable<any Channel>
        var refusing = 0
        var lastWarning: ContinuousClock.Instant?
        var evictedSinceWarning = 0
        var refusedSinceWarning = 0
    }

    /// What `admit` decided for a new connection.
    enum Admission {
        case admitted(ConnectionTable<any Channel>.ID)
        case refused
    }

    init(limit: Int, logger: Logger) {
        self.limit = max(1, limit)
        self.maxRefusing = min(128, max(8, self.limit / 8))
        self.refusal = Self.refusal(limit: self.limit)
        self.state = Mutex(State(table: ConnectionTable(limit: limit)))
        self.logger = logger
        capacity.record(self.limit)
        open.record(0)
    }

    /// Connections served now.
    var count: Int { state.withLock { $0.table.count } }

    /// Registers `channel`, closing the connection idle the longest when the limit is
    /// reached; refuses it when every open connection is busy.
    func admit(_ channel: any Channel) -> Admission {
        let (admission, evicted, warning) = state.withLock { s -> (Admission, (any Channel)?, String?) in
            switch s.table.admit(channel) {
            case .admitted(let id, let evicted):
                if evicted != nil {
                    evictions.increment()
                    s.evictedSinceWarning += 1
                }
                open.record(s.table.count)
                return (.admitted(id), evicted, evicted == nil ? nil : report(&s))
            case .refused:
                refusals.increment()
                s.refusedSinceWarning += 1
                return (.refused, nil, report(&s))
            }
        }
        evicted?.close(promise: nil)
        if let warning { logger.warning("\(warning)") }
        return admission
    }

    /// A request is in flight on `id`. Returns false if `id` was evicted meanwhile.
    func began(_ id: ConnectionTable<any Channel>.ID) -> Bool {
        state.withLock { $0.table.began(id) }
    }

    /// No request is in flight on `id` any more.
    func ended(_ id: ConnectionTable<any Channel>.ID) {
        state.withLock { $0.table.ended(id) }
    }

    /// `id` closed.
    func closed(_ id: ConnectionTable<any Channel>.ID) {
        state.withLock { s in
            s.table.remove(id)
            open.record(s.table.count)
        }
    }

    /// A refused connection starts draining; returns false when `maxRefusing` already do
    /// (the caller then closes it without waiting for the client).
    func beginRefusing() -> Bool {
        state.withLock { s in
            guard s.refusing < maxRefusing else { return false }
            s.refusing += 1
            return true
        }
    }

    func endRefusing() {
        state.withLock { $0.refusing -= 1 }
    }

    /// A line for the log at most every 10 s while the limit bites, with what happened since.
    private func report(_ s: inout State) -> String? {
        let now = ContinuousClock.now
        if let last = s.lastWarning, now - last < .seconds(10) { return nil }
        s.lastWarning = now
        defer { s.evictedSinceWarning = 0; s.refusedSinceWarning = 0 }
        return "API connection limit (\(limit)) reached: \(s.evictedSinceWarning) idle connections closed for newcomers, "
            + "\(s.refusedSinceWarning) newcomers refused with 503 since the last report"
    }
}
