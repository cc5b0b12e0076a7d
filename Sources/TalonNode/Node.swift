import Foundation
public import Logging
import Metrics
import Synchronization
import TalonStore
public import TalonLedger
public import TalonRaft
public import TalonProtocol

/// A running cluster member: one thread owns the `NodeCore` (LMDB write transactions are
/// bound to their thread, and the Raft core is not shared), and everything else talks to it
/// through an inbox. Each turn of the loop takes all that arrived — ticks, peers' messages,
/// submissions, reads — and hands it to the core in one `run`, so a burst of submissions
/// costs one batch, one log entry and one fsync (group commit).
///
/// Submissions wait until their entry is applied and get one outcome per envelope. Only
/// envelopes this node admitted itself are proposed (`EntryBatch` is built from
/// `AdmittedEnvelope`s): the leader verifies each signature once, off the loop thread, and
/// followers forward after the cheap checks only (Node+Submit.swift). A submission whose
/// entry is lost with its leader fails with `proposal_dropped`, and one that outlives
/// `requestTimeout` with `timeout`: resubmitting is always safe, since the ledger never
/// appends an envelope twice.
public final class Node: @unchecked Sendable {
    // @unchecked: `core` and the fields marked "loop" are used only on the loop thread;
    // `inbox`, `snapshot`, `stopping`, `failure`, `turnStarted`, `behindSince` and `hooks`
    // only under `condition`.

    /// This member's Raft id.
    public let id: NodeID
    /// The ledger; safe to read from any thread (reads run concurrently with the loop).
    public let ledger: Ledger
    public let members: ClusterMembers
    public let options: Options
    /// Replaced by one reopened from disk after a write finds no space (loop).
    var core: NodeCore
    let transport: any PeerLink
    let logger: Logger
    let meters = Meters()
    let waitingEnvelopes = Atomic<Int>(0)
    /// Answers given ahead of the store, which reads wait for (`AcknowledgedWrites`).
    let acknowledgedWrites = AcknowledgedWrites()
    /// Forwards this node admits as leader and has not answered yet.
    let forwardsInProgress = ForwardsInProgress()
    /// Submissions this node forwards, gathered per event loop tick (`GatheredForwards`).
    let gatheredForwards = GatheredForwards()
    let condition = NSCondition()
    var inbox = Inbox()
    /// How many envelopes in the inbox make a submission wake the waiting loop: one when it
    /// does not lead or has nothing to batch (the first starts the linger), a full batch while
    /// it lingers or its pipeline is full (set by the loop before it waits).
    var wakeAtEnvelopes = 1
    var snapshot: Status
    var stopping = false
    /// True once the loop was asked to stop (read under `condition`).
    var isStopping: Bool { stopping }
    var failure: (any Error)?
    /// When the running loop turn began (nil between turns), and since when the applied
    /// index has stayed below the commit index (nil when it has caught up): `health()`.
    var turnStarted: ContinuousClock.Instant?
    var behindSince: ContinuousClock.Instant?
    /// Test hooks (`@testable`): a pause at the start of each turn, and where forward
    /// replies go instead of the transport.
    var hooks = Hooks()
    /// Set while a write has found no space (Node+StoreFull.swift).
    var storeFull: StoreFull?

    // loop
    var inflight: [UInt64: (term: UInt64, waiting: [Waiting])] = [:]
    /// Submissions forwarded to the leader, waiting for its reply (shared, not loop-only).
    let forwarded = ForwardedSubmissions()
    var reads: [[UInt8]: (index: UInt64?, waiting: Waiting)] = [:]
    /// Admitted submissions waiting for room in the pipeline.
    var held: [Waiting] = []
    /// ReadIndex contexts start at a random point on every start, so a read state meant for
    /// an earlier run of this node never matches a new one.
    private var nextRequest = UInt64.random(in: 0...(UInt64.max >> 1))
    var applied: UInt64 = 0
    var rejectedEntries = 0
    /// How long to wait before reopening the core after a write found no space, and the
    /// store's commit count when it was reopened (nil when no write has failed).
    var spaceBackoff = Node.firstSpaceBackoff
    var commitsAtReopen: Int?

    /// Drives `core`, talking to peers through `transport` (a `PeerTransport` in production).
    public init(core: NodeCore, members: ClusterMembers, transport: any PeerLink, options: Options = Options(),
                logger: Logger = Logger(label: "talon.node")) throws {
        self.core = core
        self.logger = logger
        self.id = core.id
        self.ledger = core.ledger
        self.members = members
        self.transport = transport
        self.options = options
        applied = try core.ledger.appliedLogIndex()
        rejectedEntries = try core.ledger.rejectedEntryCount()
        snapshot = Status(raft: core.status, inflightEntries: 0, waitingSubmissions: 0, rejectedEntries: rejectedEntries)
    }

    /// Role, term, leader and indexes as of the loop's last turn.
    public var status: Status {
        condition.withLock {
            var status = snapshot
            status.waitingSubmissions += forwarded.count
            return status
        }
    }

    /// Runs the loop and the peer pump until the task is cancelled or the store fails.
    /// - Throws: the store or apply failure that stopped the node.
    public func run() async throws {
        let pump = Task {
            await transport.receive { self.receive($0) }
        }
        defer { pump.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    // Named from inside: on Linux a name set before `start` is not applied to
                    // the thread, which `top -H` and `perf` then show as a dispatch worker.
                    Thread.current.name = "talon-node-\(id)"
                    loop()
                    let error = condition.withLock { failure }
                    if let error { done.resume(throwing: error) } else { done.resume() }
                }
                thread.start()
            }
        } onCancel: {
            self.stop()
        }
        try core.sync()
    }

    /// Waits until this node has applied everything committed when the call began, as
    /// confirmed by a quorum (Raft's ReadIndex); reads made afterwards are linearizable.
    /// Returns the applied log index.
    /// - Throws: `TalonError` with code `no_leader`, `timeout` or `node_stopped`.
    public func linearizableBarrier() async throws(TalonError) {
        #if DEBUG
        if options.staleLinearizableReads { return }
        #endif
        let reply = await withCheckedContinuation { (done: CheckedContinuation<ForwardReply, Never>) in
            let waiting = Waiting(.unverified([]), deadline: .now + options.requestTimeout) { done.resume(returning: $0) }
            post { $0.reads.append(waiting) }
        }
        if case .failed(let error) = reply { throw error }
    }

    /// Asks the loop to finish its turn and stop; `run` then returns.
    public func stop() {
        condition.withLock {
            stopping = true
            condition.signal()
        }
    }

    /// Advances Raft time by `count` ticks in the loop's next turn, besides those the clock
    /// gives (none when `Options.clockTicks` is false, as tests set it).
    func tick(_ count: Int = 1) {
        post { $0.ticks += count }
    }

    // MARK: - The inbox

    struct Inbox {
        var peer: [PeerEvent] = []
        var submissions: [Waiting] = []
        var reads: [Waiting] = []
        /// Ticks given by `tick(_:)`.
        var ticks = 0
        /// Envelopes in `submissions` (kept by `post`).
        var envelopes = 0
        var isEmpty: Bool { peer.isEmpty && submissions.isEmpty && reads.isEmpty && ticks == 0 }
    }

    struct Hooks {
        var onTurn: (@Sendable () -> Void)?
        var forwardReplies: (@Sendable (NodeID, UInt64, ForwardReply) -> Void)?
        /// A pause after a turn answered submissions ahead of its commit.
        var afterAnswersAhead: (@Sendable () -> Void)?
    }

    func post(_ change: (inout Inbox) -> Void) {
        var refused = Inbox()
        let refusal = condition.withLock { () -> TalonError? in
            if stopping || failure != nil {
                change(&refused)
                return TalonError(.nodeStopped)
            }
            if let full = storeFull, full.waiting {
                change(&refused)
                return full.error
            }
            let before = (peer: inbox.peer.count, reads: inbox.reads.count, ticks: inbox.ticks, submissions: inbox.submissions.count)
            change(&inbox)
            for w in inbox.submissions[before.submissions...] { inbox.envelopes += w.envelopes.count }
            // Wake the loop only when it would act: a submission that neither starts a batch
            // nor fills one waits for the linger or the pipeline, and waking the loop for it
            // costs two context switches and changes nothing.
            if inbox.peer.count > before.peer || inbox.reads.count > before.reads || inbox.ticks > before.ticks
                || (inbox.submissions.count > before.submissions && inbox.envelopes >= wakeAtEnvelopes) {
                condition.signal()
            }
            return nil
        }
        if let refusal { refuse(refused, refusal) }
    }

    // MARK: - The loop

    private func loop() {
        let clock = ContinuousClock()
        // nil when ticks come only from `tick(_:)`.
        var nextTick = options.clockTicks ? clock.now + options.tick : nil
        while true {
            var taken = Inbox()
            var ticks = 0
            var stop = false
            condition.withLock {
                while !stopping {
                    let now = clock.now
                    if let nextTick, now >= nextTick { break }
                    if !inbox.peer.isEmpty || !inbox.reads.isEmpty || inbox.ticks > 0 { break }
                    let pipelineFull = inflight.count >= options.maxInflightEntries
                    if !held.isEmpty && !pipelineFull { break }
                    let leads = snapshot.raft.role == .leader
                    wakeAtEnvelopes = leads && (pipelineFull || !inbox.submissions.isEmpty) ? options.maxBatchEnvelopes : 1
                    if !inbox.submissions.isEmpty {
                        // Linger for a fuller batch, unless this node is not the leader; while
                        // the pipeline is full, wait for an entry to apply (a peer's answer).
                        let first = inbox.submissions[0].arrived
                        if !leads || inbox.envelopes >= options.maxBatchEnvelopes { break }
                        if !pipelineFull {
                            if now >= first + options.linger { break }
                            wait(until: nextTick.map { min(first + options.linger, $0) } ?? first + options.linger, now: now)
                            continue
                        }
                    }
                    wait(until: nextTick, now: now)
                }
                stop = stopping
                swap(&taken, &inbox)
                if !stop { turnStarted = clock.now }
            }
            if stop {
                for w in taken.submissions + taken.reads { w.fail(TalonError(.nodeStopped)) }
                break
            }
            let now = clock.now
            if var next = nextTick {
                while now >= next {
                    ticks += 1
                    next += options.tick
                }
                nextTick = next
            }
            // After a stall (a long fsync or apply) count at most two ticks: replaying a
            // second of ticks before the peers' queued answers would make a healthy leader
            // think it lost its quorum. Time runs a little slow then, which only delays.
            ticks = min(ticks, 2) + taken.ticks
            do {
                if let pause = condition.withLock({ hooks.onTurn }) { pause() }
                try turn(taken, ticks: ticks, now: now)
                if commitsAtReopen != nil { noteWritesResumed() }
            } catch let error as TalonError where Self.noSpace(error) != nil {
                // Nothing of this turn was saved: refuse writes, serve reads, and reopen the
                // core from disk once the backoff passes (Node+StoreFull.swift).
                acknowledgedWrites.release()
                guard waitForSpace(after: error) else { break }
            } catch {
                acknowledgedWrites.release()
                condition.withLock {
                    failure = error
                    stopping = true
                    turnStarted = nil
                }
                break
            }
        }
        // Stopped: everyone still waiting hears so.
        acknowledgedWrites.close()
        let left = condition.withLock { () -> Inbox in
            var rest = Inbox()
            swap(&rest, &inbox)
            return rest
        }
        for w in left.submissions + left.reads { w.fail(TalonError(.nodeStopped)) }
        for (_, entry) in inflight { for w in entry.waiting { w.fail(TalonError(.nodeStopped)) } }
        for waiting in forwarded.removeAll(closing: true) { waiting.fail(TalonError(.nodeStopped)) }
        for waiting in held { waiting.fail(TalonError(.nodeStopped)) }
        for (_, read) in reads { read.waiting.fail(TalonError(.nodeStopped)) }
        inflight = [:]; reads = [:]; held = []
    }

    /// Waits on `condition` (held) until `deadline`, or until signalled when there is none.
    private func wait(until deadline: ContinuousClock.Instant?, now: ContinuousClock.Instant) {
        if let deadline {
            _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(deadline - now)))
        } else {
            condition.wait()
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// `submissions` cut into batches within `maxBatchEnvelopes` (or `maxEnvelopes`, when
    /// smaller) and `maxBatchBytes`, in order; a submission is never split.
    func cut(_ submissions: [Waiting], maxEnvelopes: Int = .max) -> [[Waiting]] {
        let envelopeLimit = min(options.maxBatchEnvelopes, maxEnvelopes)
        var batches: [[Waiting]] = [], current: [Waiting] = [], count = 0, bytes = 0
        for w in submissions {
            let size = w.envelopes.reduce(0) { $0 + $1.bytes.count }
            if !current.isEmpty && (count + w.envelopes.count > envelopeLimit || bytes + size > options.maxBatchBytes) {
                batches.append(current)
                current = []; count = 0; bytes = 0
            }
            current.append(w); count += w.envelopes.count; bytes += size
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// One entry batch per cut of admitted submissions, stamped with this leader's clock.
    private func proposals(_ batches: [[Waiting]]) -> [EntryBatch] {
        let timestamp = options.wallClock()
        return batches.map { EntryBatch(timestamp: timestamp, envelopes: $0.flatMap(\.admitted)) }
    }

    /// Answers the submissions waiting for `entry`, a committed entry just applied (once:
    /// they leave `inflight`). From `NodeCore.Input.onApplied` this is before the turn's
    /// transaction commits; reads wait for it (`acknowledgedWrites`). Such an entry was
    /// proposed in an earlier turn (`inflight` gets this turn's proposals only after the
    /// run), so this member's copy was synced then, and the other copies that committed it
    /// were acknowledged after their own syncs: even in a one-member cluster, whatever is
    /// answered here is on a majority's disks.
    /// Returns false when none waited for it.
    @discardableResult
    private func answer(_ entry: NodeCore.AppliedEntry) -> Bool {
        guard let (term, waiting) = inflight.removeValue(forKey: entry.index) else { return false }
        acknowledgedWrites.acknowledged(entry.index)
        guard term == entry.term, entry.receipts.count == waiting.reduce(0, { $0 + $1.envelopes.count }) else {
            for w in waiting { w.fail(TalonError(.proposalDropped)) }
            return true
        }
        var at = 0
        for w in waiting {
            w.answer(.outcomes(entry.receipts[at..<at + w.envelopes.count].map(EnvelopeOutcome.receipt)))
            at += w.envelopes.count
        }
        return true
    }

    /// One turn: everything taken from the inbox goes to the core in one `run`.
    private func turn(_ taken: Inbox, ticks: Int, now: ContinuousClock.Instant) throws {
        var input = NodeCore.Input(ticks: ticks)
        var submissions = held + taken.submissions
        held = []
        for event in taken.peer {
            switch event {
            case .raft(let message):
                input.messages.append(message)
            case .forward(let from, let request, let envelopes):
                // The pump admits forwards itself while this node leads; this one came when it
                // did not, so it is unverified: refused below, or sent back to be admitted.
                let waiting = Waiting(.unverified(envelopes), forwardedBy: (from, request), deadline: now + options.requestTimeout) {
                    [weak self] reply in self?.sendForwardReply(reply, request: request, to: from)
                }
                if let tooLarge = options.overLimits(envelopes, "a forwarded submission") {
                    waiting.fail(tooLarge)
                    continue
                }
                submissions.append(waiting)
            case .forwardReply(let from, let request, let reply):
                // `receive` answers replies where they are read and never posts one; one that
                // reached the inbox anyway is answered the same way.
                answerForward(request, from: from, reply)
            }
        }

        // Submissions: batch on the leader, forward from a follower. Those forwarded to a
        // member that no longer leads go to the new leader (resubmitting is safe).
        let status = core.status
        submissions += forwarded.update { forwarded -> [Waiting] in
            var takenOver: [Waiting] = []
            for (request, entry) in forwarded where entry.leader != status.leader {
                if status.role == .leader {
                    forwarded[request] = nil
                    takenOver.append(entry.waiting)
                } else if let leader = status.leader {
                    forwarded[request] = entry.redirected(to: leader)
                    sendForward(entry.waiting, as: request, to: leader)
                }
            }
            // Forwards unanswered for a while go again to the same leader: the frame or its
            // reply may have been lost with a connection.
            if ticks > 0 {
                for request in Array(forwarded.keys) where forwarded[request]?.elapse(ticks) == true {
                    guard let entry = forwarded[request] else { continue }
                    sendForward(entry.waiting, as: request, to: entry.leader)
                }
            }
            return takenOver
        }
        var batches: [[Waiting]] = []
        if status.role == .leader {
            // Only envelopes admitted on this node are proposed; the rest are admitted off
            // this thread (Ed25519 never runs on the loop) and come back through the inbox.
            // Until it has applied its term's no-op, its state may lack what the previous
            // leader acknowledged: unverified submissions wait for that (`admits`).
            var ready: [Waiting] = [], unready: [Waiting] = []
            let admitting = Self.admits(status)
            for w in submissions {
                if !w.admitted.isEmpty { ready.append(w) } else if admitting { sendBack(w) } else { unready.append(w) }
            }
            defer { held += unready }
            if inflight.count >= options.maxInflightEntries
                && ready.reduce(0, { $0 + $1.envelopes.count }) < options.maxBatchEnvelopes {
                held = ready
                // A commit this turn may free the pipeline: then what is held goes in the
                // same transaction, not a turn (and a sync) later.
                // (`held` then also holds the unadmitted, which stay.)
                if !ready.isEmpty {
                    input.proposeOnCommit = { [self] commit in
                        let freed = inflight.keys.filter { $0 <= commit }.count
                        guard inflight.count - freed < options.maxInflightEntries else { return [] }
                        let late = cut(held.filter { !$0.admitted.isEmpty })
                        held.removeAll { !$0.admitted.isEmpty }
                        batches += late
                        return proposals(late)
                    }
                }
            } else {
                batches = cut(ready)
                input.proposals = proposals(batches)
            }
        } else if let leader = status.leader {
            for w in submissions {
                if w.forwardedBy != nil {
                    w.fail(TalonError(.notLeader, "member \(id) is no longer the leader; resubmit"))
                    continue
                }
                guard let request = forwarded.add(w, to: leader) else {
                    w.fail(TalonError(.nodeStopped))
                    continue
                }
                sendForward(w, as: request, to: leader)
            }
        } else {
            let refusal = noLeaderRefusal()
            for w in submissions { w.fail(refusal) }
        }

        // Reads: one ReadIndex context per waiting read, unique across nodes (the leader keeps
        // one pending read per context) and across restarts.
        for w in taken.reads {
            nextRequest += 1
            var context: [UInt8] = []
            context.appendBigEndian(id)
            context.appendBigEndian(nextRequest)
            reads[context] = (nil, w)
            input.reads.append(context)
        }

        input.onApplied = { [self] entry in
            guard answer(entry), let pause = condition.withLock({ hooks.afterAnswersAhead }) else { return }
            pause()
        }
        if options.appendsBeforeSave {
            input.sendBeforeSave = { [transport] messages in for message in messages { transport.send(message) } }
        }
        let out: NodeCore.Output
        do {
            let commits = ledger.environment.commits, started = DispatchTime.now().uptimeNanoseconds
            out = try core.run(input)
            if ledger.environment.commits != commits {
                meters.commitSeconds.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- started))
            }
        } catch {
            // The node stops, or waits for space: everyone this turn took in hears so (the
            // loop fails the rest).
            let reason = (error as? TalonError).flatMap(Self.noSpace) ?? TalonError(.nodeStopped)
            for batch in batches { for w in batch { w.fail(reason) } }
            throw error
        }

        for batch in batches { meters.batchEnvelopes.record(batch.reduce(0) { $0 + $1.envelopes.count }) }
        for (batch, proposed) in zip(batches, out.proposed) {
            switch proposed {
            case .success(let at):
                // An entry of an earlier term can still wait at this index: another leader's
                // entries replaced it while this node did not lead, and it leads again before
                // applying that far. Its waiters lost their entry; unanswered here, they
                // would be forgotten.
                if let replaced = inflight[at.index] { for w in replaced.waiting { w.fail(TalonError(.proposalDropped)) } }
                inflight[at.index] = (at.term, batch)
            case .failure(let error): for w in batch { w.fail(TalonError(error.code, error.message)) }
            }
        }
        for message in out.messages { transport.send(message) }
        // The turn committed: readers see what it applied, and the reads waiting for the
        // answers it gave ahead of the commit go on.
        if let last = out.applied.last { acknowledgedWrites.visible(last.index) }
        for entry in out.applied {
            applied = entry.index
            if let block = entry.block { meters.blocks.increment(); meters.envelopes.increment(by: block.block.entries.count) }
            if let rejected = entry.rejected {
                rejectedEntries += 1
                logger.error("committed entry is not a batch; recorded as rejected", metadata: [
                    "index": "\(rejected.logIndex)", "code": "\(rejected.code)", "reason": "\(rejected.message)"])
            }
            answer(entry)
        }
        for context in out.refusedReads { reads.removeValue(forKey: context)?.waiting.fail(TalonError(.noLeader)) }
        for state in out.reads where reads[state.context] != nil { reads[state.context]?.index = state.index }
        for (context, read) in reads {
            if let index = read.index, index <= applied {
                read.waiting.answer(.outcomes([]))
                reads[context] = nil
            } else if read.waiting.deadline <= now {
                read.waiting.fail(TalonError(.timeout))
                reads[context] = nil
            }
        }
        if ticks > 0 { expire(now) }

        let raft = core.status
        // Submissions that waited for this leader to apply its term's no-op go to admission
        // as soon as it has, not a turn later.
        if Self.admits(raft), held.contains(where: { $0.admitted.isEmpty }) {
            let unverified = held.filter { $0.admitted.isEmpty }
            held.removeAll { $0.admitted.isEmpty }
            for w in unverified { sendBack(w) }
        }
        // Forwards are counted when the status is read: they come and go off the loop.
        let waitingCount = inflight.values.reduce(0) { $0 + $1.waiting.count } + held.count
        if raft.leader != status.leader, raft.leader != nil { askReadsAgain() }
        if raft.role != status.role || raft.leader != status.leader {
            logger.info("raft role changed", metadata: [
                "role": "\(raft.role.rawValue)", "term": "\(raft.term)",
                "leader": "\(raft.leader.flatMap { members.member($0)?.id } ?? "none")",
                "commit": "\(raft.commit)", "applied": "\(raft.applied)"])
        }
        meters.update(raft, waiting: waitingCount + forwarded.count, rejectedEntries: rejectedEntries)
        let end = ContinuousClock.now
        condition.withLock {
            snapshot = Status(raft: raft, inflightEntries: inflight.count, waitingSubmissions: waitingCount, rejectedEntries: rejectedEntries,
                              storeFull: storeFull != nil)
            turnStarted = nil
            if raft.applied >= raft.commit {
                behindSince = nil
            } else if behindSince == nil || raft.applied > status.applied {
                behindSince = end
            }
        }
    }
}
