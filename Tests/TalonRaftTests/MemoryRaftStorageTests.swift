import Testing
import TalonRaft
import TalonProtocol

@Suite struct MemoryRaftStorageTests {
    @Test func saveReplacesTheSuffixAndKeepsHardState() throws {
        let s = MemoryRaftStorage()
        try s.save(hardState: HardState(term: 1, vote: 2, commit: 0), entries: (1...3).map { Entry(term: 1, index: $0) })
        try s.save(hardState: nil, entries: [Entry(term: 2, index: 2)])
        #expect(s.lastIndex() == 2)
        #expect(try s.term(2) == 2 && s.term(1) == 1 && s.term(0) == 0)
        #expect(s.hardState() == HardState(term: 1, vote: 2, commit: 0))
        #expect(throws: TalonError(.raftStorage)) { try s.save(hardState: nil, entries: [Entry(term: 2, index: 5)]) }
        #expect(throws: TalonError(.raftStorage)) { try s.term(3) }
    }
}
