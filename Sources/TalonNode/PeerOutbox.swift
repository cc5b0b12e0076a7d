import NIOCore
import Synchronization

/// Frames waiting for the link to one peer. Bounded: past `limit` the oldest frame goes
/// first (Raft tolerates loss, and a forward is sent again). While a link is open (`attach`),
/// a push schedules one write on the link's event loop, and every frame queued by then
/// leaves in it: the messages of one loop turn cost one write and one syscall, and one hop
/// from the pushing thread to the event loop.
final class PeerOutbox: Sendable {
    /// Where frames go: an open, authenticated link. Its methods run on `eventLoop` only.
    protocol Sink: AnyObject, Sendable {
        var eventLoop: any EventLoop { get }
        /// Seals and writes `frames` in order, then flushes (on `eventLoop`).
        func write(_ frames: [PeerFrame])
    }

    private struct State {
        var frames: [PeerFrame] = []
        var sink: (any Sink)?
        /// A drain is scheduled on the sink's event loop and has not run yet.
        var scheduled = false
    }

    private let state = Mutex(State())
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    /// Queues `frame`; returns at once.
    func push(_ frame: PeerFrame) {
        let wake = state.withLock { s -> (any Sink)? in
            if s.frames.count >= limit { s.frames.removeFirst(s.frames.count - limit + 1) }
            s.frames.append(frame)
            guard let sink = s.sink, !s.scheduled else { return nil }
            s.scheduled = true
            return sink
        }
        wake?.eventLoop.execute { self.drain() }
    }

    /// Frames queued now, oldest first, without a link (tests, and a link that closed).
    var queued: [PeerFrame] { state.withLock { $0.frames } }

    /// From now on frames go to `sink`; what is queued leaves at once. Call on its event loop.
    func attach(_ sink: any Sink) {
        sink.eventLoop.preconditionInEventLoop()
        state.withLock { $0.sink = sink }
        drain()
    }

    /// `sink` closed: frames wait for the next link.
    func detach(_ sink: any Sink) {
        state.withLock { s in
            guard s.sink === sink else { return }
            s.sink = nil
            s.scheduled = false
        }
    }

    /// Hands everything queued to the attached sink (on its event loop).
    private func drain() {
        let taken = state.withLock { s -> (sink: any Sink, frames: [PeerFrame])? in
            s.scheduled = false
            guard let sink = s.sink, sink.eventLoop.inEventLoop, !s.frames.isEmpty else { return nil }
            defer { s.frames = [] }
            return (sink, s.frames)
        }
        if let taken { taken.sink.write(taken.frames) }
    }
}
