import NIOCore
import NIOEmbedded
import Synchronization
import Testing
@testable import TalonNode

/// The queue between the loop and one peer's link.
@Suite struct PeerOutboxTests {
    private func frame(_ n: UInt64) -> PeerFrame { .forward(request: n, envelopes: []) }

    /// A link that records every write, on an embedded event loop.
    final class Recorder: PeerOutbox.Sink, @unchecked Sendable {
        let loop = EmbeddedEventLoop()
        var eventLoop: any EventLoop { loop }
        private let written = Mutex<[[PeerFrame]]>([])
        func write(_ frames: [PeerFrame]) { written.withLock { $0.append(frames) } }
        var writes: [[PeerFrame]] { written.withLock { $0 } }
    }

    @Test func framesWaitForALinkAndLeaveInOrderInOneWrite() {
        let outbox = PeerOutbox(limit: 10)
        for n in 1...4 as ClosedRange<UInt64> { outbox.push(frame(n)) }
        #expect(outbox.queued == (1...4).map(frame))
        let link = Recorder()
        outbox.attach(link)
        #expect(link.writes == [(1...4).map(frame)])
        #expect(outbox.queued.isEmpty, "written frames are gone")
    }

    @Test func pastTheLimitTheOldestFramesGo() {
        let outbox = PeerOutbox(limit: 3)
        for n in 1...7 as ClosedRange<UInt64> { outbox.push(frame(n)) }
        let link = Recorder()
        outbox.attach(link)
        #expect(link.writes == [[frame(5), frame(6), frame(7)]])
    }

    @Test func pushesToAnOpenLinkLeaveTogetherOnItsEventLoop() {
        let outbox = PeerOutbox(limit: 10)
        let link = Recorder()
        outbox.attach(link)
        outbox.push(frame(1))
        outbox.push(frame(2))
        #expect(link.writes.isEmpty, "nothing is written off the link's event loop")
        link.loop.run()
        #expect(link.writes == [[frame(1), frame(2)]], "one write for both")
        outbox.push(frame(3))
        link.loop.run()
        #expect(link.writes == [[frame(1), frame(2)], [frame(3)]])
    }

    @Test func aClosedLinkGetsNothingAndFramesWaitForTheNext() {
        let outbox = PeerOutbox(limit: 10)
        let first = Recorder()
        outbox.attach(first)
        outbox.push(frame(1))
        outbox.detach(first)
        first.loop.run()
        #expect(first.writes.isEmpty)
        outbox.push(frame(2))
        let second = Recorder()
        outbox.attach(second)
        #expect(second.writes == [[frame(1), frame(2)]])
    }
}
