import Testing
import TalonRaft
@testable import TalonNode

/// The API connection limit's bookkeeping: who is idle, in which order, who gives way.
struct ConnectionTableTests {
    @Test func belowTheLimitEveryoneIsAdmittedAndNoneEvicted() {
        var table = ConnectionTable<Int>(limit: 3)
        for n in 0..<3 {
            guard case .admitted(_, let evicted) = table.admit(n) else { Issue.record("refused \(n)"); return }
            #expect(evicted == nil)
        }
        #expect(table.count == 3)
        #expect(table.idleOldestFirst == [0, 1, 2])
    }

    @Test func aNewcomerEvictsTheConnectionIdleTheLongest() {
        var table = ConnectionTable<Int>(limit: 3)
        let ids = (0..<3).compactMap { n -> ConnectionTable<Int>.ID? in
            if case .admitted(let id, _) = table.admit(n) { return id }
            return nil
        }
        // 0 serves a request and finishes last: 1 is now idle the longest.
        let began = table.began(ids[0])
        #expect(began)
        table.ended(ids[0])
        #expect(table.idleOldestFirst == [1, 2, 0])
        guard case .admitted(_, let evicted) = table.admit(3) else { Issue.record("refused"); return }
        #expect(evicted == 1)
        #expect(table.count == 3)
        #expect(table.idleOldestFirst == [2, 0, 3])
        // The evicted connection's late request is not started.
        let late = table.began(ids[1])
        #expect(!late)
    }

    @Test func busyConnectionsAreNeverEvictedAndAFullBusyTableRefuses() {
        var table = ConnectionTable<Int>(limit: 2)
        var ids: [ConnectionTable<Int>.ID] = []
        for n in 0..<2 { if case .admitted(let id, _) = table.admit(n) { ids.append(id) } }
        for id in ids {
            let began = table.began(id)
            #expect(began)
        }
        guard case .refused = table.admit(9) else { Issue.record("admitted past a busy table"); return }
        #expect(table.count == 2)
        // One finishes: the next newcomer evicts it, not the busy one.
        table.ended(ids[1])
        guard case .admitted(_, let evicted) = table.admit(10) else { Issue.record("refused"); return }
        #expect(evicted == 1)
        #expect(table.isBusy(ids[0]))
        // A closed connection frees its place without an eviction.
        table.remove(ids[0])
        guard case .admitted(_, let none) = table.admit(11) else { Issue.record("refused"); return }
        #expect(none == nil)
    }

    /// A closed or evicted connection's slot goes to a newcomer: the old ID must not reach it.
    @Test func anOldIdDoesNotReachTheNewcomerInItsSlot() {
        var table = ConnectionTable<Int>(limit: 1)
        guard case .admitted(let old, _) = table.admit(1) else { Issue.record("refused"); return }
        table.remove(old)
        guard case .admitted(let new, _) = table.admit(2) else { Issue.record("refused"); return }
        let lateBegin = table.began(old)
        #expect(!lateBegin)
        table.ended(old)
        let lateRemove = table.remove(old)
        #expect(lateRemove == nil)
        #expect(!table.isBusy(old))
        #expect(table.count == 1)
        #expect(table.idleOldestFirst == [2])
        // The newcomer's own ID still works, and an eviction ends that one in turn.
        let began = table.began(new)
        #expect(began)
        #expect(table.isBusy(new))
        table.ended(new)
        guard case .admitted(_, let evicted) = table.admit(3) else { Issue.record("refused"); return }
        #expect(evicted == 2)
        let evictedBegin = table.began(new)
        #expect(!evictedBegin)
        #expect(table.idleOldestFirst == [3])
    }

    @Test func repeatedBeginsAndEndsAndUnknownIdsKeepTheTableConsistent() {
        var table = ConnectionTable<Int>(limit: 4)
        var ids: [ConnectionTable<Int>.ID] = []
        for n in 0..<4 { if case .admitted(let id, _) = table.admit(n) { ids.append(id) } }
        let first = table.began(ids[2]), again = table.began(ids[2])
        #expect(first && again)
        table.ended(ids[2])
        table.ended(ids[2])
        table.remove(ids[3])
        table.remove(ids[3])
        table.ended(ids[3])
        #expect(table.idleOldestFirst == [0, 1, 2])
        #expect(table.count == 3)
    }

    /// Random admissions, requests and closes against a plain model: the table never holds
    /// more than its limit, evicts exactly the model's longest-idle connection, and refuses
    /// only when every connection is busy.
    @Test(arguments: 0..<20 as Range<UInt64>) func randomOperationsMatchASimpleModel(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let limit = Int(rng.next() % 6) + 1
        var table = ConnectionTable<Int>(limit: limit)
        // Model: open connections in idle order (busy ones kept aside).
        var idle: [Int] = [], busy: Set<Int> = [], ids: [Int: ConnectionTable<Int>.ID] = [:]
        var nextHandle = 0
        for step in 0..<500 {
            let open = idle + busy.sorted()
            switch rng.next() % 4 {
            case 0:
                let handle = nextHandle
                nextHandle += 1
                switch table.admit(handle) {
                case .admitted(let id, let evicted):
                    ids[handle] = id
                    if open.count >= limit {
                        #expect(evicted == idle.first, "seed \(seed) step \(step)")
                        if !idle.isEmpty { ids[idle.removeFirst()] = nil }
                    } else {
                        #expect(evicted == nil, "seed \(seed) step \(step)")
                    }
                    idle.append(handle)
                case .refused:
                    #expect(open.count >= limit && idle.isEmpty, "seed \(seed) step \(step)")
                }
            case 1:
                guard let handle = idle.randomElement(using: &rng), let id = ids[handle] else { continue }
                let began = table.began(id)
                #expect(began)
                idle.removeAll { $0 == handle }
                busy.insert(handle)
            case 2:
                guard let handle = busy.sorted().randomElement(using: &rng), let id = ids[handle] else { continue }
                table.ended(id)
                busy.remove(handle)
                idle.append(handle)
            default:
                guard let handle = open.randomElement(using: &rng), let id = ids[handle] else { continue }
                let removed = table.remove(id)
                #expect(removed == handle)
                idle.removeAll { $0 == handle }
                busy.remove(handle)
                ids[handle] = nil
            }
            #expect(table.count == idle.count + busy.count, "seed \(seed) step \(step)")
            #expect(table.count <= limit)
            #expect(table.idleOldestFirst == idle, "seed \(seed) step \(step)")
        }
    }
}
