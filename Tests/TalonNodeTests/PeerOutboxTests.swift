import Testing
@testable import TalonNode

/// The queue between the loop and one peer's link.
@Suite struct PeerOutboxTests {
    private func frame(_ n: UInt64) -> PeerFrame { .forward(request: n, envelopes: []) }

    @Test func theLinkTakesEverythingQueuedAtOnceInOrder() async {
        let outbox = PeerOutbox(limit: 10)
        for n in 1...4 as ClosedRange<UInt64> { outbox.push(frame(n)) }
        #expect(await outbox.take() == (1...4).map(frame))
        outbox.push(frame(5))
        #expect(await outbox.take() == [frame(5)], "taken frames are gone")
    }

    @Test func pastTheLimitTheOldestFramesGo() async {
        let outbox = PeerOutbox(limit: 3)
        for n in 1...7 as ClosedRange<UInt64> { outbox.push(frame(n)) }
        #expect(await outbox.take() == [frame(5), frame(6), frame(7)])
    }

    @Test func aWaitingLinkWakesForTheNextFrame() async {
        let outbox = PeerOutbox(limit: 10)
        async let taken = outbox.take()
        // The push may land before or after the take begins waiting; either way it is taken.
        try? await Task.sleep(for: .milliseconds(20))
        outbox.push(frame(9))
        #expect(await taken == [frame(9)])
    }

    @Test func cancellingTheLinkEndsItsWait() async {
        let outbox = PeerOutbox(limit: 10)
        let link = Task { await outbox.take() }
        try? await Task.sleep(for: .milliseconds(20))
        link.cancel()
        #expect(await link.value == nil)
        // The outbox stays closed: taking again gets nil at once, even with frames queued.
        outbox.push(frame(1))
        #expect(await outbox.take() == nil)
    }
}
