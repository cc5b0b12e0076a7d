import Foundation
import Testing
import TalonStore
import TalonProtocol

private func be(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

/// Runs `body` on a new thread and waits for what it returned (nil when it threw).
private final class OnOtherThread<T>: @unchecked Sendable {
    // @unchecked: `result` and `done` are touched only under `condition`.
    private let condition = NSCondition()
    private var result: T?
    private var done = false

    init(_ body: @escaping @Sendable () throws -> T) {
        let thread = Thread { [self] in
            let value = try? body()
            condition.withLock {
                result = value
                done = true
                condition.signal()
            }
        }
        thread.start()
    }

    var value: T? {
        condition.withLock {
            while !done { condition.wait() }
            return result
        }
    }
}

/// `Environment.group`: the node's one transaction per loop turn.
@Suite struct EnvironmentGroupTests {
    @Test func writesInAGroupCommitTogetherAndOtherThreadsSeeThemOnlyAfter() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        let commitsBefore = env.commits
        try env.group {
            try env.write { (txn) throws in try txn.put(t, [1], [10]) }
            try env.write { (txn) throws in try txn.put(t, [2], [20]) }
            // This thread's reads join the group and see its writes …
            #expect(try env.read { (txn) throws in try txn.get(t, [1]) } == [10])
            // … another thread's reads see the last commit only.
            let seen = OnOtherThread { try env.read { (txn) throws in try txn.get(t, [1]) != nil } }
            #expect(seen.value == false, "an uncommitted group is invisible to other threads")
        }
        #expect(env.commits == commitsBefore + 1, "the group is one commit")
        // A group in which nothing wrote commits nothing.
        try env.group { _ = try env.read { (txn) throws in try txn.get(t, [1]) } }
        #expect(env.commits == commitsBefore + 1)
        try env.read { (txn) throws in #expect(try txn.get(t, [1]) == [10] && txn.get(t, [2]) == [20]) }
    }

    @Test func aJoinedWriteThatThrowsDiscardsTheWholeGroupEvenWhenCaught() throws {
        struct Boom: Error {}
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        #expect(throws: Boom.self) {
            try env.group {
                try env.write { (txn) throws in try txn.put(t, [1], [10]) }
                // A caller that swallows the failure of a half-done write cannot commit it.
                try? env.write { (txn) throws in
                    try txn.put(t, [2], [20])
                    throw Boom()
                }
                try env.write { (txn) throws in try txn.put(t, [3], [30]) }
            }
        }
        try env.read { (txn) throws in #expect(try txn.count(t) == 0, "nothing of a failed group is stored") }
        // A read that throws changes nothing, so it does not fail its group.
        try env.group {
            try env.write { (txn) throws in try txn.put(t, [4], [40]) }
            _ = try? env.read { (_) throws -> Int in throw Boom() }
        }
        try env.read { (txn) throws in #expect(try txn.get(t, [4]) == [40]) }
    }

    @Test func theBodyThrowingDiscardsTheGroup() throws {
        struct Boom: Error {}
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        #expect(throws: Boom.self) {
            try env.group {
                try env.write { (txn) throws in try txn.put(t, [1], [10]) }
                throw Boom()
            }
        }
        try env.read { (txn) throws in #expect(try txn.count(t) == 0) }
        // Writes outside any group work as before afterwards, from this thread too.
        try env.write { (txn) throws in try txn.put(t, [1], [11]) }
        try env.read { (txn) throws in #expect(try txn.get(t, [1]) == [11]) }
    }

    @Test func aGroupMakesRoomBeforeItBeginsAndIsNeverRunTwice() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"], options: .init(initialMapSize: 256 << 10))
        let t = env.table("t")
        let value = [UInt8](repeating: 0xAB, count: 4000)
        // 4 MiB of values fit in a map grown to leave 8 MiB free before the group began.
        var runs = 0
        try env.group(headroom: 8 << 20) {
            runs += 1
            for i in 0..<1000 as Range<UInt64> { try env.write { (txn) throws in try txn.put(t, be(i), value) } }
        }
        #expect(runs == 1 && env.mapSize >= 8 << 20)
        try env.read { (txn) throws in #expect(try txn.count(t) == 1000) }

        // A group that outgrows its headroom fails whole, with the map grown, and is not run
        // again: the caller decides (the node reopens its core from disk).
        runs = 0
        let before = env.mapSize
        let error = #expect(throws: TalonError.self) {
            try env.group(headroom: 1 << 20) {
                runs += 1
                for i in 0..<8000 as Range<UInt64> { try? env.write { (txn) throws in try txn.put(t, be(10_000 + i), value) } }
            }
        }
        #expect(error?.code == .storeMapFull)
        #expect(runs == 1 && env.mapSize > before)
        try env.read { (txn) throws in #expect(try txn.count(t) == 1000, "nothing of the overfull group is stored") }
        // With room made for it, the same work fits.
        try env.group(headroom: 64 << 20) {
            for i in 0..<8000 as Range<UInt64> { try env.write { (txn) throws in try txn.put(t, be(10_000 + i), value) } }
        }
        try env.read { (txn) throws in #expect(try txn.count(t) == 9000) }
    }
}
