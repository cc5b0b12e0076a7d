public import TalonProtocol
/// The binary form of a `Message` between nodes (the payload of a peer frame), big-endian:
///
///     version u8 = 1 · kind u8 · from u64 · to u64 · term u64 · log_term u64 · index u64
///     commit u64 · reject u8 (0/1) · reject_hint u64 · context: len u32 + bytes
///     entries: count u32, each term u64 · index u64 · kind u8 · data: len u32 + bytes
///
/// Decoding accepts exactly what encoding writes: no unknown version or kind, no flag other
/// than 0 or 1, no length past the end, no trailing byte. Lengths are checked against the
/// bytes present before anything is allocated, so a forged count cannot exhaust memory.
extension Message {
    /// The wire format version this build writes and reads.
    public static let wireVersion: UInt8 = 1
    /// The longest `context` accepted on the wire.
    public static let maxContextBytes = 64 << 10
    /// Bytes of a message with no entries and no context.
    static let fixedWireBytes = 1 + 1 + 8 * 6 + 1 + 8 + 4 + 4
    /// Bytes of an entry besides its data.
    static let entryWireBytes = 8 + 8 + 1 + 4

    /// The message's wire bytes.
    public var wireBytes: [UInt8] {
        var w = WireWriter(capacity: Self.fixedWireBytes + context.count + entries.reduce(0) { $0 + Self.entryWireBytes + $1.data.count })
        w.u8(Self.wireVersion)
        w.u8(kind.rawValue)
        for v in [from, to, term, logTerm, index, commit] { w.u64(v) }
        w.u8(reject ? 1 : 0)
        w.u64(rejectHint)
        w.bytes(context)
        w.u32(UInt32(entries.count))
        for e in entries {
            w.u64(e.term)
            w.u64(e.index)
            w.u8(e.kind.rawValue)
            w.bytes(e.data)
        }
        return w.out
    }

    /// Decodes wire bytes.
    /// - Throws: `TalonError(.raftMalformed)` naming the first thing wrong.
    public init(wireBytes bytes: some Collection<UInt8>) throws(TalonError) {
        var r = WireReader(Array(bytes))
        let version = try r.u8("version")
        guard version == Self.wireVersion else { throw TalonError(.raftMalformed, "unknown message version \(version)") }
        let rawKind = try r.u8("kind")
        guard let kind = Kind(rawValue: rawKind) else { throw TalonError(.raftMalformed, "unknown message kind \(rawKind)") }
        let from = try r.u64("from"), to = try r.u64("to"), term = try r.u64("term")
        let logTerm = try r.u64("log_term"), index = try r.u64("index"), commit = try r.u64("commit")
        let flag = try r.u8("reject")
        guard flag <= 1 else { throw TalonError(.raftMalformed, "reject flag \(flag) is not 0 or 1") }
        let hint = try r.u64("reject_hint")
        let context = try r.bytes("context", max: Self.maxContextBytes)
        let count = try r.u32("entry count")
        guard UInt64(count) * UInt64(Self.entryWireBytes) <= UInt64(r.remaining) else {
            throw TalonError(.raftMalformed, "\(count) entries cannot fit in \(r.remaining) bytes")
        }
        var entries: [Entry] = []
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            let eTerm = try r.u64("entry term"), eIndex = try r.u64("entry index")
            let rawEntryKind = try r.u8("entry kind")
            guard let entryKind = Entry.Kind(rawValue: rawEntryKind) else {
                throw TalonError(.raftMalformed, "unknown entry kind \(rawEntryKind)")
            }
            entries.append(Entry(term: eTerm, index: eIndex, kind: entryKind, data: try r.bytes("entry data", max: Int(UInt32.max))))
        }
        guard r.remaining == 0 else { throw TalonError(.raftMalformed, "\(r.remaining) bytes after the message") }
        self.init(kind: kind, from: from, to: to, term: term, logTerm: logTerm, index: index, entries: entries,
                  commit: commit, reject: flag == 1, rejectHint: hint, context: context)
    }
}

/// Appends big-endian integers and length-prefixed byte strings.
struct WireWriter {
    private(set) var out: [UInt8] = []

    init(capacity: Int) { out.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { out.append(v) }
    mutating func u32(_ v: UInt32) { out.appendBigEndian(v) }
    mutating func u64(_ v: UInt64) { out.appendBigEndian(v) }
    mutating func bytes(_ b: [UInt8]) {
        u32(UInt32(b.count))
        out.append(contentsOf: b)
    }
}

/// Reads what `WireWriter` writes, refusing to read past the end.
struct WireReader {
    private let bytes: [UInt8]
    private var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - at }

    private mutating func take(_ n: Int, _ field: String) throws(TalonError) -> ArraySlice<UInt8> {
        guard n <= remaining else {
            throw TalonError(.raftMalformed, "\(field) needs \(n) bytes, \(remaining) left")
        }
        defer { at += n }
        return bytes[at..<at + n]
    }

    mutating func u8(_ field: String) throws(TalonError) -> UInt8 { try take(1, field).first ?? 0 }
    mutating func u32(_ field: String) throws(TalonError) -> UInt32 {
        try take(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }
    mutating func u64(_ field: String) throws(TalonError) -> UInt64 {
        try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }
    mutating func bytes(_ field: String, max: Int) throws(TalonError) -> [UInt8] {
        let n = Int(try u32("\(field) length"))
        guard n <= max else { throw TalonError(.raftMalformed, "\(field) of \(n) bytes exceeds \(max)") }
        return Array(try take(n, field))
    }
}
