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
