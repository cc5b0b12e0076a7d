import Foundation
import TalonChaos
import Testing

@Suite struct FaultScheduleTests {
    @Test func aSeedReplaysItsSchedule() {
        for testHooks in [false, true] {
            let a = FaultSchedule(seed: 7, nodes: 3, length: 60_000, testHooks: testHooks)
            #expect(a == FaultSchedule(seed: 7, nodes: 3, length: 60_000, testHooks: testHooks))
            #expect(a != FaultSchedule(seed: 8, nodes: 3, length: 60_000, testHooks: testHooks))
        }
    }

    @Test func faultsDoNotOverlapEndInTimeAndPausesOutlastAnElection() {
        for seed in UInt64(1)...200 {
            let s = FaultSchedule(seed: seed, nodes: 5, length: 30_000, testHooks: true)
            var end = 0
            for f in s.faults {
                #expect(f.at >= end + 1_000 && f.at + f.duration <= 30_000, "seed \(seed): \(f)")
                end = f.at + f.duration
                for part in f.fault.parts {
                    switch part {
                    case .pause: #expect(f.duration > 2_000, "seed \(seed): a pause within the election timeout")
                    case .partition(let isolated): #expect(!isolated.isEmpty && isolated.count <= 2 && isolated.allSatisfy { (0..<5).contains($0) })
                    case .oneWay(let from, let to): #expect(from != to)
                    case .flap(let isolated, let ms):
                        #expect(!isolated.isEmpty && isolated.count <= 2 && (100...500).contains(ms), "seed \(seed): \(part)")
                    case .clockOffset(_, let ms): #expect((300_000...7_200_000).contains(abs(ms)), "seed \(seed): \(part)")
                    case .slowSync(_, let ms): #expect(ms > 0, "seed \(seed): \(part)")
                    default: break
                    }
                }
            }
        }
    }

    /// Two faults at once hit two different members, and the second is one the majority
    /// outlives (a delay or a one-way drop), so a majority can commit after the heal.
    @Test func twoFaultsAtOnceHitTwoMembers() {
        var seen = 0
        for seed in UInt64(1)...300 {
            for f in FaultSchedule(seed: seed, nodes: 3, length: 60_000, testHooks: true).faults {
                guard case .both(let a, let b) = f.fault else { continue }
                seen += 1
                let first: Int? = switch a {
                case .pause(let n), .kill(let n), .diskFull(let n), .slowSync(let n, _), .clockOffset(let n, _): n
                default: nil
                }
                let second: Int? = switch b {
                case .delay(let n, _): n
                case .oneWay(let from, let to): from == to ? nil : from
                default: nil
                }
                #expect(first != nil && second != nil && first != second, "seed \(seed): \(f.fault)")
                #expect(f.fault.kind == "both" && f.fault.parts == [a, b])
            }
        }
        #expect(seen > 10)
    }

    @Test func everyKindIsDrawn() {
        func kinds(testHooks: Bool) -> Set<String> {
            Set((UInt64(1)...80).flatMap { seed in
                FaultSchedule(seed: seed, nodes: 3, length: 60_000, testHooks: testHooks).faults.flatMap { [$0.fault.kind] + $0.fault.parts.map(\.kind) }
            })
        }
        let always: Set = ["partition", "isolate_leader", "one_way", "delay", "pause", "kill", "flap", "disk_full", "both"]
        #expect(kinds(testHooks: false) == always, "a release build's members take no test options")
        #expect(kinds(testHooks: true) == always.union(["clock_offset", "slow_sync"]))
    }

    /// A schedule prints and reads back as JSON (`talon chaos --schedule`), the pairs too.
    @Test func aScheduleRoundTripsThroughJSON() throws {
        let s = FaultSchedule(seed: 11, nodes: 5, length: 120_000, testHooks: true)
        let bytes = try JSONEncoder().encode(s)
        #expect(try JSONDecoder().decode(FaultSchedule.self, from: bytes) == s)
    }
}
