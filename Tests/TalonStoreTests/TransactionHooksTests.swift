import Synchronization
import Testing
import TalonStore
import TalonProtocol

/// `Transaction.afterCommit` runs only for what reached a commit; `floor` finds the greatest key up to one.
@Suite struct TransactionHooksTests {
    private final class Log: Sendable {
        let entries = Mutex<[String]>([])
        func add(_ s: String) { entries.withLock { $0.append(s) } }
        var all: [String] { entries.withLock { $0 } }
    }

    @Test func afterCommitRunsOnceCommittedAndNeverForADiscardedOrReadTransaction() throws {
        struct Boom: Error {}
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        let log = Log()
        try env.write { (txn) throws in
            try txn.put(t, [1], [1])
            txn.afterCommit { log.add("write") }
            #expect(log.all.isEmpty, "not before the commit")
        }
        #expect(log.all == ["write"])
        #expect(throws: Boom.self) {
            try env.write { (txn) throws in
                try txn.put(t, [2], [2])
                txn.afterCommit { log.add("discarded") }
                throw Boom()
            }
        }
        try env.read { (txn) throws in txn.afterCommit { log.add("read") } }
        #expect(log.all == ["write"])

        // In a group: after the group's one commit; a group discarded by a joined write runs none.
        try env.group {
            try env.write { (txn) throws in
                try txn.put(t, [3], [3])
                txn.afterCommit { log.add("group") }
            }
            #expect(log.all == ["write"])
        }
        #expect(log.all == ["write", "group"])
        #expect(throws: Boom.self) {
            try env.group {
                try env.write { (txn) throws in txn.afterCommit { log.add("group discarded") } }
                try env.write { (_) throws in throw Boom() }
            }
        }
        #expect(log.all == ["write", "group"])
    }

    @Test func afterCommitOfAWriteRetriedForAFullMapRunsOnce() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"], options: .init(initialMapSize: 1 << 20))
        let t = env.table("t")
        let log = Log()
        var attempts = 0
        try env.write { (txn) throws in
            attempts += 1
            txn.afterCommit { log.add("attempt \(attempts)") }
            // About 4 MiB: more than the first map holds, so the map grows and the body runs again.
            for i in 0..<1024 as Range<UInt32> {
                try txn.put(t, withUnsafeBytes(of: i.bigEndian) { Array($0) }, [UInt8](repeating: 7, count: 4000))
            }
        }
        #expect(attempts > 1)
        #expect(log.all == ["attempt \(attempts)"])
    }

    @Test func floorIsTheGreatestKeyAtMostTheOneGiven() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t", "empty"])
        let t = env.table("t")
        try env.write { (txn) throws in
            for key: [UInt8] in [[2], [4, 0], [4, 0, 9], [6]] { try txn.put(t, key, key + [0xAA]) }
        }
        try env.read { (txn) throws in
            #expect(try txn.floor(env.table("empty"), [5]) == nil)
            #expect(try txn.floor(t, [1]) == nil, "every key is greater")
            #expect(try txn.floor(t, [2])?.key == [2], "an equal key is its own floor")
            #expect(try txn.floor(t, [3])?.key == [2])
            #expect(try txn.floor(t, [4, 0, 5])?.key == [4, 0], "a shorter key sorts first")
            #expect(try txn.floor(t, [4, 0, 9, 1])?.key == [4, 0, 9])
            #expect(try txn.floor(t, [5]).map { [$0.key, $0.value] } == [[4, 0, 9], [4, 0, 9, 0xAA]])
            #expect(try txn.floor(t, [0xFF, 0xFF])?.key == [6], "past the last key: the last")
        }
    }
}
