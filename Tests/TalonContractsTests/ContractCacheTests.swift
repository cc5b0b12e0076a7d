import Foundation
import Testing
import TalonContracts
import TalonProtocol

/// The engine's cache of loaded contracts is bounded (issue 16: 300 bound contracts grew a
/// node by about 70 MB, released only by a restart).
@Suite(.serialized) struct ContractCacheTests {
    /// The process's resident set, in bytes, from /proc/self/status (nil where there is none).
    static func residentBytes() -> Int64? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kb = line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }
            return kb.map { $0 * 1024 }
        }
        return nil
    }

    /// Distinct contracts (a shipped one with a different comment each, and a hook that
    /// leaves about 300 KB of garbage), as bound contracts would be.
    static func sources(_ count: Int) throws -> [String] {
        let base = try shipped("markup-cap-royalty")
        let garbage = "\nfunction on_list() local t = {} for i = 1, 5000 do t[i] = {i} end return true end\n"
        return (0..<count).map { "-- contract \($0)\n" + base + garbage }
    }

    static let params: [String: ContractValue] = ["max_price_pct": 110, "royalty_pct": 5]

    func loadAll(_ engine: ContractEngine, _ sources: [String]) throws -> [ContractDecision] {
        try sources.enumerated().map { n, source in
            try engine.load(id: "c\(n)", source: source)
            #expect(try engine.evaluate(contractID: "c\(n)", hook: .onList, context: resale(price: 5200)).allowed)
            return try engine.evaluate(contractID: "c\(n)", hook: .onBuy, context: resale(price: 5200), parameters: Self.params)
        }
    }

    @Test func threeHundredContractsStayWithinTheCapacity() throws {
        let sources = try Self.sources(300)
        let capacity = ContractEngine.Capacity(count: 16, bytes: 4 << 20)
        let before = Self.residentBytes()
        let bounded = ContractEngine(capacity: capacity)
        let decisions = try loadAll(bounded, sources)
        let after = Self.residentBytes()
        #expect(bounded.loadedIDs.count == 16)
        #expect(bounded.loadedBytes <= capacity.bytes)
        #expect(bounded.evictions == 284)

        let unbounded = ContractEngine(capacity: .init(count: 1000, bytes: 1 << 40))
        _ = try loadAll(unbounded, sources)
        let unboundedAfter = Self.residentBytes()
        let perContract = unbounded.loadedBytes / 300
        #expect(perContract > 10_000 && perContract < 200_000, "\(perContract) bytes per loaded contract")
        if let before, let after, let unboundedAfter {
            print("contract cache: 300 contracts, RSS +\((after - before) >> 10) KiB with 16 kept (\(bounded.loadedBytes >> 10) KiB in Lua), "
                  + "+\((unboundedAfter - after) >> 10) KiB more with all 300 kept (\(unbounded.loadedBytes >> 10) KiB in Lua, "
                  + "\(perContract >> 10) KiB each)")
        }
        // Reloading an evicted contract decides the same.
        for (n, source) in sources.enumerated().prefix(20) {
            try bounded.load(id: "c\(n)", source: source)
            let again = try bounded.evaluate(contractID: "c\(n)", hook: .onBuy, context: resale(price: 5200), parameters: Self.params)
            #expect(again == decisions[n])
            #expect(again.instructions == decisions[n].instructions)
        }
    }

    @Test func theLeastRecentlyUsedGoesFirstAndBytesBoundToo() throws {
        let sources = try Self.sources(4)
        let engine = ContractEngine(capacity: .init(count: 3, bytes: 1 << 30))
        for n in 0..<3 { try engine.load(id: "c\(n)", source: sources[n]) }
        _ = engine.contract(id: "c0")                 // c1 is now the least recently used
        try engine.load(id: "c3", source: sources[3])
        #expect(engine.loadedIDs == ["c0", "c2", "c3"])
        let one = try #require(engine.contract(id: "c0")).memoryBytes
        let small = ContractEngine(capacity: .init(count: 100, bytes: one * 2 + one / 2))
        for n in 0..<4 { try small.load(id: "c\(n)", source: sources[n]) }
        #expect(small.loadedIDs == ["c2", "c3"])
        let tiny = ContractEngine(capacity: .init(count: 0, bytes: 0))
        try tiny.load(id: "c0", source: sources[0])
        #expect(tiny.loadedIDs == ["c0"], "the newest is always kept")
    }
}
