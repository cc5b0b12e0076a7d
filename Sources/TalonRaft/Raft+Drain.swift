extension Raft {
    /// What one `drain` did.
    public struct Drained: Sendable {
        /// Messages to send; what they depend on is already saved.
        public var messages: [Message] = []
        /// Reads released, in order.
        public var reads: [ReadState] = []
        /// Calls to `RaftStorage.save` (one transaction each).
        public var saves = 0
    }

    /// Runs the `Ready` protocol until nothing is ready: each batch is saved to `storage`
    /// (skipped when it has nothing to save), its committed entries are passed to `apply` in
    /// order, and it is advanced. The one place a driver's order of steps is written down.
    /// - Throws: what `storage.save`, `apply` or `ready()` throw; the batch is then not
    ///   advanced, and the node should stop.
    public func drain(saving storage: any RaftStorage, apply: (Entry) throws -> Void = { _ in }) throws -> Drained {
        var out = Drained()
        while hasReady {
            let ready = try ready()
            if ready.hardState != nil || !ready.entries.isEmpty {
                try storage.save(hardState: ready.hardState, entries: ready.entries)
                out.saves += 1
            }
            out.messages += ready.messages
            out.reads += ready.readStates
            for entry in ready.committed { try apply(entry) }
            advance(ready)
        }
        return out
    }
}

extension Raft {
    /// Takes the appends and heartbeats this leader has queued, to send before the entries
    /// they carry are saved here (Raft thesis §10.2.1: a leader may write its log in parallel
    /// with replicating it, since its own copy counts toward a commit only once saved, in
    /// `advance`). Empty on any other role, or while the term or vote is not yet saved.
    /// Call it between drains, never between a `ready()` and its `advance`.
    public func takeMessagesSendableBeforeSave() -> [Message] {
        guard role == .leader, savedHardState.term == term, savedHardState.vote == vote,
              messages.contains(where: \.sendableBeforeSave) else { return [] }
        let early = messages.filter(\.sendableBeforeSave)
        messages.removeAll(where: \.sendableBeforeSave)
        return early
    }
}

extension Message {
    /// A leader's append or heartbeat: what it claims does not depend on its own disk.
    fileprivate var sendableBeforeSave: Bool { kind == .append || kind == .heartbeat }
}
