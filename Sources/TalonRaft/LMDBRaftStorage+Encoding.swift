import TalonProtocol
// The byte forms LMDBRaftStorage keeps in its two tables. Every decoder refuses bytes that
// are not exactly what the encoder writes, with a `TalonError(.raftStorage)` naming what is wrong.

extension LMDBRaftStorage {
    /// The version byte leading every stored value; a new layout gets a new version.
    static let formatVersion: UInt8 = 1

    /// The key of the hard state in `raft_state`.
    static let hardStateKey: [UInt8] = Array("hard_state".utf8)

    /// Bytes before an entry's data: version, term, kind.
    static let entryHeaderSize = 1 + 8 + 1

    /// The `raft_log` key of `index`: 8 bytes big-endian, so byte order is index order.
    static func key(_ index: UInt64) -> [UInt8] { [UInt8](bigEndian: index) }

    /// The index named by a `raft_log` key.
    static func index(ofKey key: [UInt8]) throws(TalonError) -> UInt64 {
        guard key.count == 8 else {
            throw TalonError(.raftStorage, "raft_log key has \(key.count) bytes, expected 8")
        }
        return u64(key[...])
    }

    /// version u8 = 1, term u64 BE, kind u8, then the data to the end of the value.
    static func encode(_ entry: Entry) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entryHeaderSize + entry.data.count)
        out.append(formatVersion)
        out.append(contentsOf: key(entry.term))
        out.append(entry.kind.rawValue)
        out.append(contentsOf: entry.data)
        return out
    }

    /// The entry stored at `index`.
    static func decodeEntry(_ bytes: [UInt8], index: UInt64) throws(TalonError) -> Entry {
        guard bytes.count >= entryHeaderSize else {
            throw TalonError(.raftStorage, "raft_log entry \(index) is damaged: \(bytes.count) bytes, shorter than its \(entryHeaderSize)-byte header")
        }
        guard bytes[0] == formatVersion else {
            throw TalonError(.raftStorage, "raft_log entry \(index) has unknown format version \(bytes[0])")
        }
        guard let kind = Entry.Kind(rawValue: bytes[9]) else {
            throw TalonError(.raftStorage, "raft_log entry \(index) has unknown kind \(bytes[9])")
        }
        return Entry(term: u64(bytes[1..<9]), index: index, kind: kind, data: Array(bytes[entryHeaderSize...]))
    }

    /// version u8 = 1, term u64 BE, has-vote u8 (0 or 1), vote u64 BE (0 without a vote),
    /// commit u64 BE. The presence byte keeps "no vote" apart from any NodeID, 0 included.
    static func encode(_ state: HardState) -> [UInt8] {
        var out: [UInt8] = [formatVersion]
        out.append(contentsOf: key(state.term))
        out.append(state.vote == nil ? 0 : 1)
        out.append(contentsOf: key(state.vote ?? 0))
        out.append(contentsOf: key(state.commit))
        return out
    }

    /// The stored hard state.
    static func decodeHardState(_ bytes: [UInt8]) throws(TalonError) -> HardState {
        guard bytes.count == 26 else {
            throw TalonError(.raftStorage, "raft_state hard state is damaged: \(bytes.count) bytes, expected 26")
        }
        guard bytes[0] == formatVersion else {
            throw TalonError(.raftStorage, "raft_state hard state has unknown format version \(bytes[0])")
        }
        let vote = u64(bytes[10..<18])
        switch bytes[9] {
        case 0 where vote == 0: return HardState(term: u64(bytes[1..<9]), vote: nil, commit: u64(bytes[18..<26]))
        case 1: return HardState(term: u64(bytes[1..<9]), vote: vote, commit: u64(bytes[18..<26]))
        default:
            throw TalonError(.raftStorage, "raft_state hard state is damaged: vote flag \(bytes[9]) with vote \(vote)")
        }
    }

    /// 8 bytes big-endian; the caller guarantees the count.
    private static func u64(_ b: ArraySlice<UInt8>) -> UInt64 { b.reduce(0) { $0 << 8 | UInt64($1) } }
}
