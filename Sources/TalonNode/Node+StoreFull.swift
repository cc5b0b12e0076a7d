import Foundation
import Logging
import TalonLedger
import TalonProtocol
import TalonRaft
import TalonStore

/// A full disk: a write that finds no space (`store_full`: ENOSPC, EDQUOT, or EFBIG past a
/// file-size limit) does not stop the node. Neither does a turn that fills LMDB's map
/// (`store_map_full`, rare: the map is grown with headroom before each turn): the map is
/// grown and the core reopened the same way.
///
/// LMDB aborts a commit whose pages cannot be written before it touches its meta page, so
/// the store holds exactly what it held before the failed turn; but the Raft core in memory
/// may be ahead of it (a vote, a term, entries it believes saved). So the node drops that
/// core, answers everyone waiting on it with `store_full`, and, after a backoff (0.2 s,
/// doubling to 5 s while writes keep failing), opens a new core from disk, exactly as a
/// restart would. Meanwhile submissions and linearizable reads fail at once with
/// `store_full` (HTTP 507), peers' messages are dropped (Raft sends them again), and reads
/// are served from the store. `Status.storeFull` stays true until a write commits again.
///
/// A failed fsync is not `store_full` (`Environment.sync`): what reached the disk is then
/// unknown, and the node stops as before.
extension Node {
    /// What a node waiting for space knows (under `condition`).
    struct StoreFull {
        /// The answer to submissions meanwhile.
        var error: TalonError
        /// True while the core is dropped (before the reopen): writes are refused at once.
        var waiting: Bool
    }

    /// `error` as clients hear it when it says a write found no room — on the disk
    /// (`store_full`), or in the map during a turn (`store_map_full`: the map was grown, the
    /// turn discarded, and the core is reopened as after a full disk) — else nil.
    static func noSpace(_ error: TalonError) -> TalonError? {
        switch error.code {
        case .storeFull: error
        case .storeMapFull: TalonError(.storeFull, error.message)
        default: nil
        }
    }

    static let firstSpaceBackoff: Duration = .milliseconds(200)
    static let lastSpaceBackoff: Duration = .seconds(5)

    /// On the loop thread, after a turn failed with `store_full`: refuses writes until the
    /// backoff passes, then reopens the core from disk. Returns false when the node is
    /// stopping meanwhile or the reopen fails for another reason (then `failure` is set).
    func waitForSpace(after error: TalonError) -> Bool {
        let refusal = TalonError(.storeFull, "member \(members.member(id)?.id ?? "\(id)") cannot write: \(error.message); "
                                 + "retry later or through another member")
        logger.error("a write found no space: refusing writes and serving reads until space returns", metadata: [
            "error": "\(error.message)", "retry_in": "\(Self.text(spaceBackoff))"])
        // Everyone waiting on the dropped core hears why; what the inbox holds is refused too.
        var left = Inbox()
        condition.withLock {
            storeFull = StoreFull(error: refusal, waiting: true)
            swap(&left, &inbox)
            snapshot.raft.role = .follower
            snapshot.raft.leader = nil
            snapshot.storeFull = true
            snapshot.inflightEntries = 0
            snapshot.waitingSubmissions = 0
            turnStarted = nil
            behindSince = nil
        }
        for (_, entry) in inflight { for w in entry.waiting { w.fail(refusal) } }
        for waiting in forwarded.removeAll(closing: false) { waiting.fail(refusal) }
        for (_, read) in reads { read.waiting.fail(refusal) }
        for w in held { w.fail(refusal) }
        inflight = [:]; reads = [:]; held = []
        refuse(left, refusal)

        while true {
            let deadline = ContinuousClock.now + spaceBackoff
            let stop = condition.withLock { () -> Bool in
                while !stopping, ContinuousClock.now < deadline {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(deadline - ContinuousClock.now)))
                }
                return stopping
            }
            if stop { return false }
            spaceBackoff = min(spaceBackoff * 2, Self.lastSpaceBackoff)
            do {
                let fresh = try core.reopened()
                let appliedIndex = try fresh.ledger.appliedLogIndex()
                let rejected = try fresh.ledger.rejectedEntryCount()
                core = fresh
                applied = appliedIndex
                rejectedEntries = rejected
                commitsAtReopen = ledger.environment.commits
                condition.withLock {
                    storeFull?.waiting = false
                    snapshot = Status(raft: fresh.status, inflightEntries: 0, waitingSubmissions: 0, rejectedEntries: rejected,
                                      storeFull: true)
                }
                logger.notice("core reopened from disk after a write found no space; trying writes again")
                return true
            } catch let again as TalonError where again.code == .storeFull {
                continue
            } catch {
                logger.error("could not reopen the core after a write found no space", metadata: ["error": "\(error)"])
                condition.withLock {
                    failure = error
                    stopping = true
                }
                return false
            }
        }
    }

    /// After a turn that succeeded while recovering: once a write has committed since the
    /// reopen, space is back.
    func noteWritesResumed() {
        guard let since = commitsAtReopen, ledger.environment.commits > since else { return }
        commitsAtReopen = nil
        spaceBackoff = Self.firstSpaceBackoff
        condition.withLock {
            storeFull = nil
            snapshot.storeFull = false
        }
        logger.notice("writes succeed again: space returned")
    }

    /// Why a submission fails when no leader is known: `no_leader`, or, while a reopened
    /// core has not written yet (it is electing, and the election's save may find no space
    /// again), `store_full`, which says more.
    func noLeaderRefusal() -> TalonError {
        guard commitsAtReopen != nil, let full = condition.withLock({ storeFull?.error }) else { return TalonError(.noLeader) }
        return full
    }

    /// Answers what `post` or the loop turned away: submissions and reads fail with
    /// `error`, and a forward from a peer (this node led when it was sent) is answered over
    /// the link with it; the rest (Raft messages, ticks) is dropped, as a lossy network would.
    func refuse(_ refused: Inbox, _ error: TalonError) {
        for w in refused.submissions + refused.reads { w.fail(error) }
        for case .forward(let from, let request, _) in refused.peer where error.code == .storeFull {
            sendForwardReply(.failed(error), request: request, to: from)
        }
    }
}
