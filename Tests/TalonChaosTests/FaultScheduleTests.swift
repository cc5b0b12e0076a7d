import TalonChaos
import Testing

@Suite struct FaultScheduleTests {
    @Test func aSeedReplaysItsSchedule() {
        let a = FaultSchedule(seed: 7, nodes: 3, length: 60_000)
        #expect(a == FaultSchedule(seed: 7, nodes: 3, length: 60_000))
        #expect(a != FaultSchedule(seed: 8, nodes: 3, length: 60_000))
    }

    @Test func faultsDoNotOverlapEndInTimeAndPausesOutlastAnElection() {
        for seed in UInt64(1)...200 {
            let s = FaultSchedule(seed: seed, nodes: 5, length: 30_000)
            var end = 0
            for f in s.faults {
                #expect(f.at >= end + 1_000 && f.at + f.duration <= 30_000, "seed \(seed): \(f)")
                end = f.at + f.duration
                switch f.fault {
                case .pause: #expect(f.duration > 2_000, "seed \(seed): a pause within the election timeout")
                case .partition(let isolated): #expect(!isolated.isEmpty && isolated.count <= 2 && isolated.allSatisfy { (0..<5).contains($0) })
                case .oneWay(let from, let to): #expect(from != to)
                default: break
                }
            }
        }
    }

    @Test func everyKindIsDrawn() {
        let kinds = Set((UInt64(1)...50).flatMap { FaultSchedule(seed: $0, nodes: 3, length: 60_000).faults.map(\.fault.kind) })
        #expect(kinds == ["partition", "isolate_leader", "one_way", "delay", "pause", "kill"])
    }
}
