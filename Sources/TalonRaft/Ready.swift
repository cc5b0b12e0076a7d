/// Everything the core wants done since the last `advance()`, in the order it must be done:
/// 1. persist `hardState` (when set) and `entries` together, synced;
/// 2. send `messages` (they may depend on step 1: a vote, an acknowledgement);
/// 3. apply `committed` in order, and serve `readStates` once applied through their index;
/// 4. call `advance(ready)`.
public struct Ready: Sendable, Hashable {
    /// The hard state to persist, when it changed.
    public var hardState: HardState?
    /// Entries to append to the stored log. Stored entries at `entries.first.index` and after
    /// are replaced.
    public var entries: [Entry]
    /// Messages to send after the above is on disk.
    public var messages: [Message]
    /// Entries known committed (and already persisted here), to apply in order.
    public var committed: [Entry]
    /// Reads released by ReadIndex.
    public var readStates: [ReadState]
    /// Role and leader as of this batch (informational; never persisted).
    public var role: Role
    public var leader: NodeID?

    /// True when there is nothing to persist, send, apply or release.
    public var isEmpty: Bool {
        hardState == nil && entries.isEmpty && messages.isEmpty && committed.isEmpty && readStates.isEmpty
    }
}
