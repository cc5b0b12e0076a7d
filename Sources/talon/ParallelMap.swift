import Dispatch
import Foundation

/// `f` over `range` on all cores, results in order. Work is split into a few chunks per core
/// so one slow item does not hold a whole core's share; an empty range returns at once.
func parallelMap<T: Sendable>(_ range: Range<Int>, _ f: @Sendable (Int) -> T) -> [T] {
    guard !range.isEmpty else { return [] }
    let results = ParallelResults<T>(count: range.count)
    let chunks = min(range.count, max(1, ProcessInfo.processInfo.activeProcessorCount * 4))
    let per = (range.count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let lo = c * per, hi = min(range.count, lo + per)
        guard lo < hi else { return }
        for i in lo..<hi { results.set(i, f(range.lowerBound + i)) }
    }
    return results.values
}

/// Slots written by disjoint indexes from many threads, read after they all finish.
private final class ParallelResults<T>: @unchecked Sendable {
    // @unchecked: each slot is written by exactly one iteration of concurrentPerform through a
    // raw pointer (no shared array buffer), and `values` is read only after it returns.
    private let slots: UnsafeMutablePointer<T?>
    private let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func set(_ i: Int, _ v: T) { slots[i] = v }
    var values: [T] { (0..<count).compactMap { slots[$0] } }
}
