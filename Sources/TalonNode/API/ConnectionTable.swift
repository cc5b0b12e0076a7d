/// The bookkeeping behind `ConnectionLimit`, with no locks and no I/O so that it can be
/// tested alone: which connections are open, which of them are idle (no request in flight),
/// in the order they became idle, and whom a newcomer displaces when the table is full.
///
/// Every operation is O(1): the idle connections form a doubly linked list threaded
/// through the entries, oldest first.
struct ConnectionTable<Handle> {
    /// A connection's place in the table, valid until it is removed or evicted.
    struct ID: Hashable, Sendable {
        fileprivate let raw: UInt64
    }

    /// What `admit` decided.
    enum Admission {
        /// The connection is in the table; `evicting`, when set, was the connection idle the
        /// longest, removed to make room, and is the caller's to close.
        case admitted(ID, evicting: Handle?)
        /// The table is full and every connection in it has a request in flight.
        case refused
    }

    fileprivate struct Entry {
        let handle: Handle
        var busy = false
        /// Neighbours in the idle list; meaningful only while `busy` is false.
        var older: UInt64?
        var newer: UInt64?
    }

    /// The most connections the table holds.
    let limit: Int
    private var entries: [UInt64: Entry] = [:]
    private var oldestIdle: UInt64?
    private var newestIdle: UInt64?
    private var next: UInt64 = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Connections in the table.
    var count: Int { entries.count }

    /// Takes a new connection, idle until `began` says otherwise. When the table is full it
    /// evicts the connection idle the longest, or refuses the newcomer if none is idle.
    mutating func admit(_ handle: Handle) -> Admission {
        var evicted: Handle?
        if entries.count >= limit {
            guard let oldest = oldestIdle else { return .refused }
            evicted = remove(ID(raw: oldest))
        }
        let id = next
        next &+= 1
        entries[id] = Entry(handle: handle)
        appendIdle(id)
        return .admitted(ID(raw: id), evicting: evicted)
    }

    /// A request is in flight on `id`: it cannot be evicted until `ended`. Returns false when
    /// `id` is no longer in the table (it was evicted meanwhile and is being closed).
    mutating func began(_ id: ID) -> Bool {
        guard let entry = entries[id.raw] else { return false }
        if !entry.busy {
            unlinkIdle(id.raw)
            entries[id.raw]?.busy = true
        }
        return true
    }

    /// No request is in flight on `id` any more: it becomes the newest idle connection.
    mutating func ended(_ id: ID) {
        guard let entry = entries[id.raw], entry.busy else { return }
        entries[id.raw]?.busy = false
        appendIdle(id.raw)
    }

    /// Forgets `id` (closed); returns its handle if it was still in the table.
    @discardableResult
    mutating func remove(_ id: ID) -> Handle? {
        guard let entry = entries[id.raw] else { return nil }
        if !entry.busy { unlinkIdle(id.raw) }
        entries[id.raw] = nil
        return entry.handle
    }

    /// Whether `id` is in the table and has a request in flight.
    func isBusy(_ id: ID) -> Bool { entries[id.raw]?.busy ?? false }

    /// Idle connections, oldest first (for tests).
    var idleOldestFirst: [Handle] {
        var out: [Handle] = []
        var cursor = oldestIdle
        while let id = cursor, let entry = entries[id] {
            out.append(entry.handle)
            cursor = entry.newer
        }
        return out
    }

    private mutating func appendIdle(_ id: UInt64) {
        entries[id]?.older = newestIdle
        entries[id]?.newer = nil
        if let newest = newestIdle { entries[newest]?.newer = id } else { oldestIdle = id }
        newestIdle = id
    }

    private mutating func unlinkIdle(_ id: UInt64) {
        guard let entry = entries[id] else { return }
        if let older = entry.older { entries[older]?.newer = entry.newer } else { oldestIdle = entry.newer }
        if let newer = entry.newer { entries[newer]?.older = entry.older } else { newestIdle = entry.older }
        entries[id]?.older = nil
        entries[id]?.newer = nil
    }
}

extension ConnectionTable: Sendable where Handle: Sendable {}
extension ConnectionTable.Entry: Sendable where Handle: Sendable {}
