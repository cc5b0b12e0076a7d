import Foundation
public import Logging
import Metrics
import Synchronization
public import TalonLedger
public import TalonRaft

/// A running cluster member: one thread owns the `NodeCore` (LMDB write transactions are
/// bound to their thread, and the Raft core is not shared), and everything else talks to it
/// through an inbox. Each turn of the loop takes all that arrived — ticks, peers' messages,
/// submissions, reads — and hands it to the core in one `run`, so a burst of submissions
/// costs one batch, one log entry and one fsync (group commit).
///
/// Submissions wait until their entry is applied and get their receipts. On a follower they
/// are forwarded to the leader over the peer link; a submission whose entry is lost with its
/// leader fails with `proposal_dropped`, and one that outlives `submitTimeout` with
/// `timeout`: resubmitting is always safe, since the ledger never appends an envelope twice.
public final class Node: @unchecked Sendable {
    // @unchecked: `core` and the fields marked "loop" are used only on the loop thread;
    // `inbox`, `snapshot` and `stopping` only under `condition`.

    /// Timings and batch limits.
    public struct Options: Sendable {
        /// One Raft tick (election timeouts are 10–20 ticks, heartbeats every tick).
        public var tick: Duration = .milliseconds(100)
        /// How long the leader waits for more submissions before proposing a batch that is
        /// not full.
        public var linger: Duration = .microseconds(500)
        /// Most envelopes in one entry (one block).
        public var maxBatchEnvelopes = 8192
        /// Most envelope bytes in one entry.
        public var maxBatchBytes = 8 << 20
        /// Entries the leader keeps proposed but not yet applied; while that many are in
        /// flight, new submissions wait and join the next batch, so batches grow with load
        /// instead of each costing a round of syncs and messages.
        public var maxInflightEntries = 2
        /// How long a submission or a linearizable read may wait.
        public var requestTimeout: Duration = .seconds(10)
        /// Envelopes submitted to this node and not yet answered; more are refused with
        /// `overloaded` (503) rather than queued without bound.
        public var maxWaitingEnvelopes = 200_000
        public init() {}
    }

    /// What `status` reports.
    public struct Status: Sendable {
        public var raft: RaftStatus
        /// Entries proposed and not yet applied, submissions waiting.
        public var inflightEntries: Int
        public var waitingSubmissions: Int
    }

    /// This member's Raft id.
    public let id: NodeID
    /// The ledger; safe to read from any thread (reads run concurrently with the loop).
    public let ledger: Ledger
    public let members: ClusterMembers
    public let options: Options
    private let core: NodeCore
    private let transport: PeerTransport
    private let logger: Logger
    private let meters = Meters()
    private let waitingEnvelopes = Atomic<Int>(0)
    private let condition = NSCondition()
    private var inbox = Inbox()
    private var snapshot: Status
    private var stopping = false
    private var failure: (any Error)?

    // loop
    private var inflight: [UInt64: (term: UInt64, waiting: [Waiting])] = [:]
    private var forwarded: [UInt64: (leader: NodeID, waiting: Waiting)] = [:]
    private var reads: [[UInt8]: (index: UInt64?, waiting: Waiting)] = [:]
    private var held: [(waiting: Waiting, forwardedBy: (NodeID, UInt64)?)] = []
    /// Request ids and ReadIndex contexts start at a random point on every start, so a
    /// reply or read state meant for an earlier run of this node never matches a new one.
    private var nextRequest = UInt64.random(in: 0...(UInt64.max >> 1))
    private var applied: UInt64 = 0

    /// Drives `core`, talking to peers through `transport`.
    public init(core: NodeCore, members: ClusterMembers, transport: PeerTransport, options: Options = Options(),
                logger: Logger = Logger(label: "talon.node")) throws {
        self.core = core
        self.logger = logger
        self.id = core.id
        self.ledger = core.ledger
        self.members = members
        self.transport = transport
        self.options = options
        applied = try core.ledger.appliedLogIndex()
        snapshot = Status(raft: core.status, inflightEntries: 0, waitingSubmissions: 0)
    }

    /// Role, term, leader and indexes as of the loop's last turn.
    public var status: Status { condition.withLock { snapshot } }

    /// Runs the loop and the peer pump until the task is cancelled or the store fails.
    /// - Throws: the store or apply failure that stopped the node.
    public func run() async throws {
        let pump = Task {
            for await event in transport.incoming { self.post { $0.peer.append(event) } }
        }
        defer { pump.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                let thread = Thread { [self] in
                    loop()
                    let error = condition.withLock { failure }
                    if let error { done.resume(throwing: error) } else { done.resume() }
                }
                thread.name = "talon-node-\(id)"
                thread.start()
            }
        } onCancel: {
            self.stop()
        }
        try core.sync()
    }

    /// Proposes admitted envelopes and waits until they are in the ledger: one receipt per
    /// envelope, in order (the first receipt for an envelope that was already there).
    /// - Throws: `NodeError` with code `no_leader`, `proposal_dropped`, `timeout`,
    ///   `batch_too_large`, `overloaded` or `node_stopped`.
    public func submit(_ envelopes: [Envelope]) async throws(NodeError) -> [Receipt] {
        guard !envelopes.isEmpty else { return [] }
        let bytes = envelopes.reduce(0) { $0 + $1.bytes.count }
        guard envelopes.count <= options.maxBatchEnvelopes, bytes <= options.maxBatchBytes else {
            throw NodeError.batchTooLarge.with(
                "a submission holds at most \(options.maxBatchEnvelopes) envelopes and \(options.maxBatchBytes) bytes")
        }
        let waiting = waitingEnvelopes.add(envelopes.count, ordering: .relaxed).newValue
        defer { waitingEnvelopes.subtract(envelopes.count, ordering: .relaxed) }
        guard waiting <= options.maxWaitingEnvelopes else {
            throw NodeError.overloaded.with("\(waiting - envelopes.count) envelopes are waiting already; retry shortly")
        }
        let reply = await withCheckedContinuation { (done: CheckedContinuation<ForwardReply, Never>) in
            let waiting = Waiting(envelopes: envelopes, timeout: options.requestTimeout) { done.resume(returning: $0) }
            post { $0.submissions.append(waiting) }
        }
        switch reply {
        case .receipts(let receipts): return receipts
        case .failed(let error): throw error
        }
    }

    /// Waits until this node has applied everything committed when the call began, as
    /// confirmed by a quorum (Raft's ReadIndex); reads made afterwards are linearizable.
    /// Returns the applied log index.
    /// - Throws: `NodeError` with code `no_leader`, `timeout` or `node_stopped`.
    public func linearizableBarrier() async throws(NodeError) {
        let reply = await withCheckedContinuation { (done: CheckedContinuation<ForwardReply, Never>) in
            let waiting = Waiting(envelopes: [], timeout: options.requestTimeout) { done.resume(returning: $0) }
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

    // MARK: - The inbox

    private struct Inbox {
        var peer: [PeerEvent] = []
        var submissions: [Waiting] = []
        var reads: [Waiting] = []
        var isEmpty: Bool { peer.isEmpty && submissions.isEmpty && reads.isEmpty }
    }

    /// A submission or read waiting for its answer; `reply` is called exactly once.
    private final class Waiting: @unchecked Sendable {
        // @unchecked: created by one thread and then owned by the loop thread alone.
        let envelopes: [Envelope]
        let arrived: ContinuousClock.Instant
        let deadline: ContinuousClock.Instant
        private var reply: ((ForwardReply) -> Void)?
        init(envelopes: [Envelope], timeout: Duration, reply: @escaping (ForwardReply) -> Void) {
            self.envelopes = envelopes
            arrived = .now
            deadline = arrived + timeout
            self.reply = reply
        }
        func answer(_ result: ForwardReply) {
            reply?(result)
            reply = nil
        }
        func fail(_ error: NodeError) { answer(.failed(error)) }
    }

    private func post(_ change: (inout Inbox) -> Void) {
        condition.withLock {
            if stopping || failure != nil {
                var refused = Inbox()
                change(&refused)
                for w in refused.submissions + refused.reads { w.fail(.stopped) }
                return
            }
            change(&inbox)
            condition.signal()
        }
    }

    // MARK: - The loop

    private func loop() {
        let clock = ContinuousClock()
        var nextTick = clock.now + options.tick
        while true {
            var taken = Inbox()
            var ticks = 0
            var stop = false
            condition.withLock {
                while !stopping {
                    let now = clock.now
                    if now >= nextTick { break }
                    if !inbox.peer.isEmpty || !inbox.reads.isEmpty { break }
                    let pipelineFull = inflight.count >= options.maxInflightEntries
                    if !held.isEmpty && !pipelineFull { break }
                    if !inbox.submissions.isEmpty {
                        // Linger for a fuller batch, unless this node is not the leader; while
                        // the pipeline is full, wait for an entry to apply (a peer's answer).
                        let first = inbox.submissions[0].arrived
                        let count = inbox.submissions.reduce(0) { $0 + $1.envelopes.count }
                        if snapshot.raft.role != .leader || count >= options.maxBatchEnvelopes { break }
                        if !pipelineFull {
                            if now >= first + options.linger { break }
                            _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(min(first + options.linger, nextTick) - now)))
                            continue
                        }
                    }
                    _ = condition.wait(until: Date(timeIntervalSinceNow: Self.seconds(nextTick - now)))
                }
                stop = stopping
                swap(&taken, &inbox)
            }
            if stop {
                for w in taken.submissions + taken.reads { w.fail(.stopped) }
                break
            }
            let now = clock.now
            while now >= nextTick {
                ticks += 1
                nextTick += options.tick
            }
            // After a stall (a long fsync or apply) count at most two ticks: replaying a
            // second of ticks before the peers' queued answers would make a healthy leader
            // think it lost its quorum. Time runs a little slow then, which only delays.
            ticks = min(ticks, 2)
            do {
                try turn(taken, ticks: ticks, now: now)
            } catch {
                condition.withLock {
                    failure = error
                    stopping = true
                }
                break
            }
        }
        // Stopped: everyone still waiting hears so.
        let left = condition.withLock { () -> Inbox in
            var rest = Inbox()
            swap(&rest, &inbox)
            return rest
        }
        for w in left.submissions + left.reads { w.fail(.stopped) }
        for (_, entry) in inflight { for w in entry.waiting { w.fail(.stopped) } }
        for (_, entry) in forwarded { entry.waiting.fail(.stopped) }
        for entry in held { entry.waiting.fail(.stopped) }
        for (_, read) in reads { read.waiting.fail(.stopped) }
        inflight = [:]; forwarded = [:]; reads = [:]; held = []
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// One turn: everything taken from the inbox goes to the core in one `run`.
    private func turn(_ taken: Inbox, ticks: Int, now: ContinuousClock.Instant) throws {
        var input = NodeCore.Input(ticks: ticks)
        var submissions = held + taken.submissions.map { (waiting: $0, forwardedBy: nil) }
        held = []
        for event in taken.peer {
            switch event {
            case .raft(let message):
                input.messages.append(message)
            case .forward(let from, let request, let envelopes):
                let waiting = Waiting(envelopes: envelopes, timeout: options.requestTimeout) { [transport] reply in
                    transport.send(.forwardReply(request: request, reply), to: from)
                }
                let bytes = envelopes.reduce(0) { $0 + $1.bytes.count }
                guard envelopes.count <= options.maxBatchEnvelopes, bytes <= options.maxBatchBytes else {
                    waiting.fail(NodeError.batchTooLarge.with("a forwarded submission over the batch limits"))
                    continue
                }
                submissions.append((waiting, (from, request)))
            case .forwardReply(let from, let request, let reply):
                // Only the member it was forwarded to answers, with one receipt per envelope.
                guard let entry = forwarded[request], entry.leader == from else { continue }
                forwarded[request] = nil
                if case .receipts(let receipts) = reply, receipts.count != entry.waiting.envelopes.count {
                    entry.waiting.fail(.dropped)
                } else {
                    entry.waiting.answer(reply)
                }
            }
        }

        // Submissions: batch on the leader, forward from a follower. Those forwarded to a
        // member that no longer leads go to the new leader (resubmitting is safe).
        let status = core.status
        for (request, entry) in forwarded where entry.leader != status.leader {
            if status.role == .leader {
                forwarded[request] = nil
                submissions.append((entry.waiting, nil))
            } else if let leader = status.leader {
                forwarded[request] = (leader, entry.waiting)
                transport.send(.forward(request: request, envelopes: entry.waiting.envelopes), to: leader)
            }
        }
        var batches: [[Waiting]] = []
        if status.role == .leader && inflight.count >= options.maxInflightEntries
            && submissions.reduce(0, { $0 + $1.waiting.envelopes.count }) < options.maxBatchEnvelopes {
            held = submissions
        } else if status.role == .leader {
            var current: [Waiting] = [], count = 0, bytes = 0
            for (w, _) in submissions {
                let size = w.envelopes.reduce(0) { $0 + $1.bytes.count }
                if !current.isEmpty && (count + w.envelopes.count > options.maxBatchEnvelopes || bytes + size > options.maxBatchBytes) {
                    batches.append(current)
                    current = []; count = 0; bytes = 0
                }
                current.append(w); count += w.envelopes.count; bytes += size
            }
            if !current.isEmpty { batches.append(current) }
            let timestamp = Int64((Date().timeIntervalSince1970 * 1000).rounded())
            input.proposals = batches.map { EntryBatch(timestamp: timestamp, envelopes: $0.flatMap(\.envelopes)) }
        } else if let leader = status.leader {
            for (w, origin) in submissions {
                if origin != nil {
                    w.fail(.notLeader.with("member \(id) is no longer the leader; resubmit"))
                    continue
                }
                nextRequest += 1
                forwarded[nextRequest] = (leader, w)
                transport.send(.forward(request: nextRequest, envelopes: w.envelopes), to: leader)
            }
        } else {
            for (w, _) in submissions { w.fail(.noLeader) }
        }

        // Reads: one ReadIndex context per waiting read, unique across nodes (the leader keeps
        // one pending read per context) and across restarts.
        for w in taken.reads {
            nextRequest += 1
            var context: [UInt8] = []
            withUnsafeBytes(of: id.bigEndian) { context.append(contentsOf: $0) }
            withUnsafeBytes(of: nextRequest.bigEndian) { context.append(contentsOf: $0) }
            reads[context] = (nil, w)
            input.reads.append(context)
        }

        let out: NodeCore.Output
        do {
            out = try core.run(input)
        } catch {
            // The node stops: everyone this turn took in hears so (the loop fails the rest).
            for batch in batches { for w in batch { w.fail(.stopped) } }
            throw error
        }

        for batch in input.proposals { meters.batchEnvelopes.record(batch.envelopes.count) }
        for (batch, proposed) in zip(batches, out.proposed) {
            switch proposed {
            case .success(let at): inflight[at.index] = (at.term, batch)
            case .failure(let error): for w in batch { w.fail(NodeError(error.code, error.message)) }
            }
        }
        for message in out.messages { transport.send(message) }
        for entry in out.applied {
            applied = entry.index
            if let block = entry.block { meters.blocks.increment(); meters.envelopes.increment(by: block.block.entries.count) }
            guard let (term, waiting) = inflight.removeValue(forKey: entry.index) else { continue }
            guard term == entry.term, entry.receipts.count == waiting.reduce(0, { $0 + $1.envelopes.count }) else {
                for w in waiting { w.fail(.dropped) }
                continue
            }
            var at = 0
            for w in waiting {
                w.answer(.receipts(Array(entry.receipts[at..<at + w.envelopes.count])))
                at += w.envelopes.count
            }
        }
        for context in out.refusedReads { reads.removeValue(forKey: context)?.waiting.fail(.noLeader) }
        for state in out.reads where reads[state.context] != nil { reads[state.context]?.index = state.index }
        for (context, read) in reads {
            if let index = read.index, index <= applied {
                read.waiting.answer(.receipts([]))
                reads[context] = nil
            } else if read.waiting.deadline <= now {
                read.waiting.fail(.timeout)
                reads[context] = nil
            }
        }
        if ticks > 0 { expire(now) }

        let waitingCount = inflight.values.reduce(0) { $0 + $1.waiting.count } + forwarded.count + held.count
        let raft = core.status
        if raft.role != status.role || raft.leader != status.leader {
            logger.info("raft role changed", metadata: [
                "role": "\(raft.role.rawValue)", "term": "\(raft.term)",
                "leader": "\(raft.leader.flatMap { members.member($0)?.id } ?? "none")",
                "commit": "\(raft.commit)", "applied": "\(raft.applied)"])
        }
        meters.update(raft, waiting: waitingCount)
        condition.withLock { snapshot = Status(raft: raft, inflightEntries: inflight.count, waitingSubmissions: waitingCount) }
    }

    /// Fails waiters past their deadline; entries lost with an old leader (an index at or
    /// below the applied one that never came back) fail as dropped.
    private func expire(_ now: ContinuousClock.Instant) {
        for (index, entry) in inflight where index <= applied || entry.waiting.allSatisfy({ $0.deadline <= now }) {
            for w in entry.waiting { index <= applied ? w.fail(.dropped) : w.fail(.timeout) }
            inflight[index] = nil
        }
        held.removeAll { entry in
            guard entry.waiting.deadline <= now else { return false }
            entry.waiting.fail(.timeout)
            return true
        }
        for (request, entry) in forwarded where entry.waiting.deadline <= now {
            entry.waiting.fail(.timeout)
            forwarded[request] = nil
        }
    }
}
