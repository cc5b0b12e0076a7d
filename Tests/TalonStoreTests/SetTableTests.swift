import Foundation
import Testing
import TalonStore
import TalonProtocol

/// Set tables hold, per key, an ordered set of 64-bit members: the histories and spent
/// nonces of the ledger.
@Suite struct SetTableTests {
    @Test func membersAreKeptInOrderOncePerKey() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["plain"], sets: ["s"])
        let s = env.set("s")
        try env.write { (txn) throws in
            #expect(try txn.insert(s, [1], 30))
            #expect(try txn.insert(s, [1], 10))
            #expect(try txn.insert(s, [1], 30) == false, "a member is in a set once")
            #expect(try txn.insert(s, [2], 10), "keys are separate sets")
            #expect(try txn.insert(s, [1], .max))
            #expect(try txn.insert(s, [1], 0))
        }
        try env.read { (txn) throws in
            #expect(try txn.members(s, [1]) == [0, 10, 30, .max])
            #expect(try txn.members(s, [1], after: 10) == [30, .max])
            #expect(try txn.members(s, [1], after: 0, limit: 2) == [10, 30])
            #expect(try txn.members(s, [1], after: .max) == [])
            #expect(try txn.members(s, [1], limit: 0) == [])
            #expect(try txn.members(s, [3]) == [], "an absent key is an empty set")
            #expect(try txn.contains(s, [1], 30))
            #expect(try txn.contains(s, [1], 31) == false)
            #expect(try txn.contains(s, [3], 30) == false)
            var pairs: [([UInt8], UInt64)] = []
            try txn.scan(s) { k, m in pairs.append((k, m)); return true }
            #expect(pairs.map(\.0) == [[1], [1], [1], [1], [2]])
            #expect(pairs.map(\.1) == [0, 10, 30, .max, 10])
        }
    }

    /// An append that is not the greatest member is refused and changes nothing, whether the
    /// key holds one member, a few (kept inside its B-tree node) or many (a tree of its own);
    /// the transaction stays usable and commits.
    @Test(arguments: [1, 5, 2000]) func anAppendOutOfOrderIsRefusedAndChangesNothing(count: Int) throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: [], sets: ["s"])
        let s = env.set("s")
        let members = (1...count).map { UInt64($0) * 2 }
        try env.write { (txn) throws in
            for m in members { try txn.append(s, [7], m) }
            #expect(throws: TalonError(.storeNotAppending)) { try txn.append(s, [7], 1) }
            #expect(throws: TalonError(.storeNotAppending)) { try txn.append(s, [7], members.last ?? 0) }
            try txn.append(s, [8], 1)
        }
        try env.read { (txn) throws in
            #expect(try txn.members(s, [7]) == members)
            #expect(try txn.members(s, [8]) == [1])
            #expect(try txn.members(s, [7], after: UInt64(count), limit: 3) == Array(members.drop { $0 <= UInt64(count) }.prefix(3)))
        }
    }

    /// Appending many through one cursor stores what appending them one by one stores: into
    /// a table already holding keys before, between and after them, keys with one member and
    /// with thousands (a tree of their own), across page splits.
    @Test func appendingManyStoresWhatAppendingOneByOneStores() throws {
        var rng = SystemRandomNumberGenerator()
        var entries: [(key: [UInt8], member: UInt64)] = []
        for k in stride(from: UInt8(1), through: 250, by: 3) {
            let count = k % 50 == 1 ? 3000 : Int(k % 4)
            var member = UInt64.random(in: 300..<1000, using: &rng)  // above every member already there
            for _ in 0..<count {
                member += UInt64.random(in: 1...5, using: &rng)
                entries.append(([k, k &* 7], member))
            }
        }
        var stores: [[([UInt8], UInt64)]] = []
        for bulk in [false, true] {
            let dir = TempDir()
            let env = try Environment(path: dir.path, tables: [], sets: ["s"])
            let s = env.set("s")
            try env.write { (txn) throws in
                // Keys already there: some the entries add members to, some in between.
                for k in stride(from: UInt8(0), through: 252, by: 2) { try txn.append(s, [k, k &* 7], UInt64(k)) }
            }
            try env.write { (txn) throws in
                if bulk { try txn.append(s, members: entries) } else { for e in entries { try txn.append(s, e.key, e.member) } }
            }
            var pairs: [([UInt8], UInt64)] = []
            try env.read { (txn) throws in try txn.scan(s) { k, m in pairs.append((k, m)); return true } }
            stores.append(pairs)
        }
        #expect(stores[1].count == stores[0].count)
        #expect(stores[1].map(\.0) == stores[0].map(\.0) && stores[1].map(\.1) == stores[0].map(\.1))
        #expect(stores[0].count == entries.count + 127)
    }

    /// An entry that is not its key's greatest member stops a bulk append with
    /// `store_not_appending`: those before it are written, it and those after are not.
    @Test func aBulkAppendStopsAtTheFirstEntryOutOfOrder() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: [], sets: ["s"])
        let s = env.set("s")
        try env.write { (txn) throws in
            try txn.append(s, [5], 10)
            #expect(throws: TalonError(.storeNotAppending)) {
                try txn.append(s, members: [([4], 1), ([5], 11), ([5], 11), ([6], 1)])
            }
        }
        try env.read { (txn) throws in
            #expect(try txn.members(s, [4]) == [1])
            #expect(try txn.members(s, [5]) == [10, 11])
            #expect(try txn.members(s, [6]) == [])
        }
    }

    @Test func removeAllEmptiesAndDropTableDeletesAnUnopenedTable() throws {
        let dir = TempDir()
        do {
            let old = try Environment(path: dir.path, tables: ["retired"])
            try old.write { txn in try txn.put(old.table("retired"), [1], [2]) }
        }
        let env = try Environment(path: dir.path, tables: [], sets: ["s"])
        let s = env.set("s")
        try env.write { (txn) throws in
            _ = try txn.insert(s, [1], 1)
            try txn.removeAll(s)
            #expect(try txn.members(s, [1]) == [])
            #expect(try txn.dropTable(named: "retired"))
            #expect(try txn.dropTable(named: "retired") == false)
            #expect(try txn.dropTable(named: "never") == false)
        }
        let reopened = try Environment(path: dir.path, tables: ["retired"])
        try reopened.read { (txn) throws in #expect(try txn.get(reopened.table("retired"), [1]) == nil, "dropped with its contents") }
    }
}
