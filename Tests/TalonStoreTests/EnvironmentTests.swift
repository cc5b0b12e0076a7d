import Foundation
import Testing
import TalonStore
import TalonProtocol

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TempDir: ~Copyable {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "talon-store-" + UUID().uuidString
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

private func be(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

@Suite struct EnvironmentTests {
    @Test func putGetDeleteRoundTrip() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["a", "b"])
        let a = env.table("a"), b = env.table("b")
        try env.write { (txn) throws in
            try txn.put(a, [1], [10, 11])
            try txn.put(b, [1], [20])
            #expect(try txn.get(a, [1]) == [10, 11], "a write transaction sees its own writes")
        }
        try env.read { (txn) throws in
            #expect(try txn.get(a, [1]) == [10, 11])
            #expect(try txn.get(b, [1]) == [20], "tables are separate key spaces")
            #expect(try txn.get(a, [2]) == nil)
        }
        try env.write { (txn) throws in
            #expect(try txn.delete(a, [1]))
            #expect(try txn.delete(a, [1]) == false)
        }
        try env.read { (txn) throws in #expect(try txn.get(a, [1]) == nil) }
    }

    @Test func throwingWriteLeavesNothing() throws {
        struct Boom: Error {}
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        #expect(throws: Boom.self) {
            try env.write { (txn) throws in
                try txn.put(t, [1], [1])
                throw Boom()
            }
        }
        try env.read { (txn) throws in #expect(try txn.count(t) == 0) }
    }

    @Test func readOnlyTransactionRefusesWrites() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        #expect(throws: TalonError(.storeError)) { try env.read { (txn) throws in try txn.put(t, [1], [1]) } }
    }

    @Test func dataSurvivesReopen() throws {
        let dir = TempDir()
        do {
            let env = try Environment(path: dir.path, tables: ["t"])
            try env.write { (txn) throws in try txn.put(env.table("t"), Array("k".utf8), Array("v".utf8)) }
        }
        let env = try Environment(path: dir.path, tables: ["t"])
        try env.read { (txn) throws in #expect(try txn.get(env.table("t"), Array("k".utf8)) == Array("v".utf8)) }
    }

    @Test func rangeScansAreOrderedAndBounded() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        // Insert in shuffled order; scans must come back sorted.
        try env.write { (txn) throws in
            for i in [5, 1, 9, 3, 7, 2, 8, 0, 6, 4] as [UInt64] { try txn.put(t, be(i), be(i * 10)) }
        }
        try env.read { (txn) throws in
            var keys: [UInt64] = []
            try txn.scan(t, from: be(3), to: be(7)) { k, _ in
                keys.append(k.reduce(0) { $0 << 8 | UInt64($1) })
                return true
            }
            #expect(keys == [3, 4, 5, 6])
            keys = []
            try txn.scan(t, from: be(6), to: be(2), reverse: true) { k, _ in
                keys.append(k.reduce(0) { $0 << 8 | UInt64($1) })
                return true
            }
            #expect(keys == [6, 5, 4, 3, 2])
            keys = []
            try txn.scan(t) { k, _ in
                keys.append(k.reduce(0) { $0 << 8 | UInt64($1) })
                return keys.count < 3
            }
            #expect(keys == [0, 1, 2], "returning false stops the scan")
            #expect(try txn.last(t)?.key == be(9))
        }
    }

    @Test func prefixScans() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        try env.write { (txn) throws in
            for k in ["a/1", "a/2", "a/3", "ab/1", "b/1", "a"] { try txn.put(t, Array(k.utf8), []) }
        }
        try env.read { (txn) throws in
            var seen: [String] = []
            try txn.scan(t, prefix: Array("a/".utf8)) { k, _ in seen.append(String(decoding: k, as: UTF8.self)); return true }
            #expect(seen == ["a/1", "a/2", "a/3"])
            seen = []
            try txn.scan(t, prefix: Array("a/".utf8), reverse: true) { k, _ in seen.append(String(decoding: k, as: UTF8.self)); return true }
            #expect(seen == ["a/3", "a/2", "a/1"])
        }
    }

    @Test func appendRequiresIncreasingKeys() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        try env.write { (txn) throws in
            try txn.put(t, be(1), [1], append: true)
            try txn.put(t, be(2), [2], append: true)
        }
        #expect(throws: TalonError(.storeNotAppending)) {
            try env.write { (txn) throws in try txn.put(t, be(1), [9], append: true) }
        }
        try env.read { (txn) throws in #expect(try txn.get(t, be(1)) == [1]) }
    }

    @Test func insertWritesOnlyAnAbsentKey() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        try env.write { (txn) throws in
            #expect(try txn.insert(t, [1], [10]))
            #expect(try txn.insert(t, [1], [11]) == false, "a present key is reported, not overwritten")
            #expect(try txn.get(t, [1]) == [10])
        }
        try env.read { (txn) throws in #expect(try txn.get(t, [1]) == [10] && txn.count(t) == 1) }
        // Inserts that fill a small map grow it like puts do.
        let small = try Environment(path: dir.path + "-small", tables: ["t"], options: .init(initialMapSize: 128 << 10))
        defer { try? FileManager.default.removeItem(atPath: dir.path + "-small") }
        let s = small.table("t")
        var inserted = 0
        try small.write { (txn) throws in
            inserted = 0  // the closure runs again after the map grows
            for i in 0..<500 as Range<UInt64> where try txn.insert(s, be(i), [UInt8](repeating: 7, count: 2000)) { inserted += 1 }
        }
        #expect(inserted == 500 && small.mapSize > 128 << 10)
        try small.read { (txn) throws in #expect(try txn.count(s) == 500) }
    }

    @Test func mapGrowsInsteadOfFailing() throws {
        let dir = TempDir()
        // A 256 KiB map: the writes below need several megabytes.
        let env = try Environment(path: dir.path, tables: ["t"], options: .init(initialMapSize: 256 << 10))
        let t = env.table("t")
        let start = env.mapSize
        let value = [UInt8](repeating: 0xAB, count: 4000)
        for batch in 0..<20 as Range<UInt64> {
            try env.write { (txn) throws in
                for i in 0..<100 as Range<UInt64> { try txn.put(t, be(batch * 100 + i), value) }
            }
        }
        // A single transaction larger than the whole initial map also succeeds.
        try env.write { (txn) throws in
            for i in 0..<1000 as Range<UInt64> { try txn.put(t, be(10_000 + i), value) }
        }
        #expect(env.mapSize > start)
        try env.read { (txn) throws in
            #expect(try txn.count(t) == 3000)
            #expect(try txn.get(t, be(1999)) == value)
        }
    }

    @Test func mapFullIsRetriedEvenWhenTheClosureSwallowsIt() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"], options: .init(initialMapSize: 128 << 10))
        let t = env.table("t")
        let value = [UInt8](repeating: 1, count: 2000)
        var attempts = 0
        try env.write { (txn) throws in
            attempts += 1
            for i in 0..<500 as Range<UInt64> { try? txn.put(t, be(i), value) }
        }
        #expect(attempts > 1)
        try env.read { (txn) throws in #expect(try txn.count(t) == 500) }
    }

    @Test func readersSeeASnapshotWhileTheWriterCommits() async throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        let t = env.table("t")
        try env.write { (txn) throws in try txn.put(t, [0], be(0)) }
        // Writers bump a counter; concurrent readers must always see a value stored whole.
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for i in 1...200 as ClosedRange<UInt64> {
                    try env.write { (txn) throws in
                        try txn.put(t, [0], be(i))
                        try txn.put(t, [1], be(i))
                    }
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    for _ in 0..<500 {
                        try env.read { (txn) throws in
                            let a = try txn.get(t, [0])
                            let b = try txn.get(t, [1])
                            if let b { #expect(a == b, "both keys come from one commit") }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func unopenableDirectoryIsAClearError() {
        #expect(throws: TalonError(.storeOpenFailed)) {
            _ = try Environment(path: "/proc/talon-cannot-be-here/x", tables: ["t"])
        }
    }
}

private struct Point: StoreValue, Equatable {
    var x: UInt64, y: UInt64
    var storeBytes: [UInt8] { x.storeBytes + y.storeBytes }
    init(x: UInt64, y: UInt64) { self.x = x; self.y = y }
    init(storeBytes b: [UInt8]) throws {
        guard b.count == 16 else { throw TalonError(.storeCorrupt) }
        x = try UInt64(storeBytes: Array(b[0..<8])); y = try UInt64(storeBytes: Array(b[8..<16]))
    }
}

@Suite struct TypedTableTests {
    @Test func typedRoundTripAndOrder() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["points", "names"])
        let points = TypedTable<UInt64, Point>(env.table("points"))
        let names = TypedTable<String, [UInt8]>(env.table("names"))
        try env.write { (txn) throws in
            for i in [300, 2, 70_000, 1] as [UInt64] { try points.put(txn, i, Point(x: i, y: i * 2)) }
            try names.put(txn, "b", [2])
            try names.put(txn, "a", [1])
        }
        try env.read { (txn) throws in
            #expect(try points.get(txn, 300) == Point(x: 300, y: 600))
            var keys: [UInt64] = []
            try points.scan(txn) { k, _ in keys.append(k); return true }
            #expect(keys == [1, 2, 300, 70_000], "big-endian keys sort numerically")
            #expect(try points.last(txn)?.key == 70_000)
            #expect(try names.get(txn, "a") == [1])
        }
        try env.write { (txn) throws in #expect(try points.delete(txn, 2)) }
        try env.read { (txn) throws in #expect(try points.get(txn, 2) == nil) }
    }

    @Test func undecodableStoredValueIsAnError() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["points"])
        let points = TypedTable<UInt64, Point>(env.table("points"))
        try env.write { (txn) throws in try txn.put(env.table("points"), UInt64(1).storeBytes, [1, 2, 3]) }
        #expect(throws: TalonError(.storeCorrupt)) { try env.read { (txn) throws in try points.get(txn, 1) } }
    }

    @Test func aTransactionCannotBeUsedAfterItsClosure() throws {
        let dir = TempDir()
        let env = try Environment(path: dir.path, tables: ["t"])
        var kept: Transaction?
        try env.read { txn in kept = txn }
        #expect(throws: TalonError(.storeTransactionClosed, "")) { try kept?.get(env.table("t"), [1]) }
    }
}
