/// The bookkeeping behind `ConnectionLimit`, with no locks and no I/O so that it can be
/// tested alone: which connections are open, which of them are idle (no request in flight),
/// in the order they became idle, and whom a newcomer displaces when the table is full.
///
/// Every operation is O(1) and, once the table has grown to its peak, allocates nothing:
/// entries live in an array of slots (a closed connection's slot is reused, its ID told
/// apart by a generation), and the idle connections form a doubly linked list threaded
/// through the slots, oldest first. (A dictionary of entries cost a heap allocation per
/// field written through it: two requests' worth of bookkeeping made about eight.)
struct ConnectionTable<Handle> {
    /// A connection's place in the table, valid until it is removed or evicted.
    struct ID: Hashable, Sendable {
        fileprivate let slot: Int
        fileprivate let generation: UInt64
    }

    /// What `admit` decided.
    enum Admission {
        /// The connection is in the table; `evicting`, when set, was the connection idle the
        /// longest, removed to make room, and is the caller's to close.
        case admitted(ID, evicting: Handle?)
        /// The table is full and every connection in it has a request in flight.
        case refused
    }

    fileprivate struct Slot {
        /// The connection, nil while the slot is free.
        var handle: Handle?
        /// Which of the slot's successive connections holds it.
        var generation: UInt64
        var busy = false
        /// Neighbours in the idle list; meaningful only while `busy` is false.
        var older: Int?
        var newer: Int?
    }

    /// The most connections the table holds.
    let limit: Int
    private var slots: [Slot] = []
    private var freeSlots: [Int] = []
    private var oldestIdle: Int?
    private var newestIdle: Int?
    private var generations: UInt64 = 0

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Connections in the table: every slot but the free ones.
    var count: Int { slots.count - freeSlots.count }

    /// Takes a new connection, idle until `began` says otherwise. When the table is full it
    /// evicts the connection idle the longest, or refuses the newcomer if none is idle.
    mutating func admit(_ handle: Handle) -> Admission {
        var evicted: Handle?
        if count >= limit {
            guard let oldest = oldestIdle else { return .refused }
            evicted = remove(slot: oldest)
        }
        generations &+= 1
        let slot: Int
        if let reused = freeSlots.popLast() {
            slot = reused
            slots[slot] = Slot(handle: handle, generation: generations)
        } else {
            slot = slots.count
            slots.append(Slot(handle: handle, generation: generations))
        }
        appendIdle(slot)
        return .admitted(ID(slot: slot, generation: generations), evicting: evicted)
    }

    /// A request is in flight on `id`: it cannot be evicted until `ended`. Returns false when
    /// `id` is no longer in the table (it was evicted meanwhile and is being closed).
    mutating func began(_ id: ID) -> Bool {
        guard holds(id) else { return false }
        if !slots[id.slot].busy {
            unlinkIdle(id.slot)
            slots[id.slot].busy = true
        }
        return true
    }

    /// No request is in flight on `id` any more: it becomes the newest idle connection.
    mutating func ended(_ id: ID) {
        guard holds(id), slots[id.slot].busy else { return }
        slots[id.slot].busy = false
        appendIdle(id.slot)
    }

    /// Forgets `id` (closed); returns its handle if it was still in the table.
    @discardableResult
    mutating func remove(_ id: ID) -> Handle? {
        guard holds(id) else { return nil }
        return remove(slot: id.slot)
    }

    /// Whether `id` is in the table and has a request in flight.
    func isBusy(_ id: ID) -> Bool { holds(id) && slots[id.slot].busy }

    /// Idle connections, oldest first (for tests).
    var idleOldestFirst: [Handle] {
        var out: [Handle] = []
        var cursor = oldestIdle
        while let slot = cursor, let handle = slots[slot].handle {
            out.append(handle)
            cursor = slots[slot].newer
        }
        return out
    }

    /// Whether `id`'s connection still holds its slot (not removed, evicted or replaced).
    private func holds(_ id: ID) -> Bool {
        id.slot < slots.count && slots[id.slot].generation == id.generation && slots[id.slot].handle != nil
    }

    private mutating func remove(slot: Int) -> Handle? {
        let handle = slots[slot].handle
        if !slots[slot].busy { unlinkIdle(slot) }
        slots[slot] = Slot(handle: nil, generation: slots[slot].generation)
        freeSlots.append(slot)
        return handle
    }

    private mutating func appendIdle(_ slot: Int) {
        slots[slot].older = newestIdle
        slots[slot].newer = nil
        if let newest = newestIdle { slots[newest].newer = slot } else { oldestIdle = slot }
        newestIdle = slot
    }

    private mutating func unlinkIdle(_ slot: Int) {
        let older = slots[slot].older, newer = slots[slot].newer
        if let older { slots[older].newer = newer } else { oldestIdle = newer }
        if let newer { slots[newer].older = older } else { newestIdle = older }
        slots[slot].older = nil
        slots[slot].newer = nil
    }
}

extension ConnectionTable: Sendable where Handle: Sendable {}
extension ConnectionTable.Slot: Sendable where Handle: Sendable {}
