public import TalonLedger
public import TalonProtocol

/// What one Raft log entry carries: the leader's timestamp and a batch of envelopes, which
/// every node applies as one block. Bytes: `version u8 = 1 · timestamp i64 · count u32 ·
/// per envelope: length u32 + envelope bytes`, big-endian.
///
/// The proposer builds a batch only from envelopes it admitted itself
/// (`init(timestamp:envelopes:)` takes `AdmittedEnvelope`s), and `NodeCore` proposes only
/// such batches (`isAdmitted`). A batch decoded from bytes holds plain envelopes: apply
/// takes them as they are, without re-verifying signatures (docs/format.md, "Admission and
/// apply").
public struct EntryBatch: Sendable, Hashable {
    /// Milliseconds since the epoch, from the leader's clock when it built the batch.
    public let timestamp: Int64
    public let envelopes: [Envelope]
    /// True when this process built the batch from admitted envelopes: only such a batch
    /// may be proposed. False for one decoded from bytes. Not part of equality.
    public let isAdmitted: Bool

    public static let version: UInt8 = 1

    /// The batch a leader proposes, from envelopes it admitted.
    public init(timestamp: Int64, envelopes: [AdmittedEnvelope]) {
        self.timestamp = timestamp
        self.envelopes = envelopes.map(\.envelope)
        isAdmitted = true
    }

    /// A batch decoded from bytes: never admitted.
    private init(decoded timestamp: Int64, envelopes: [Envelope]) {
        self.timestamp = timestamp
        self.envelopes = envelopes
        isAdmitted = false
    }

    public static func == (a: EntryBatch, b: EntryBatch) -> Bool { a.timestamp == b.timestamp && a.envelopes == b.envelopes }
    public func hash(into h: inout Hasher) { h.combine(timestamp); h.combine(envelopes) }

    /// The entry data.
    public var bytes: [UInt8] {
        var out: [UInt8] = [Self.version]
        out.reserveCapacity(9 + EnvelopeList.size(envelopes))
        out.appendBigEndian(timestamp)
        EnvelopeList.append(envelopes, to: &out)
        return out
    }

    /// Decodes entry data; every envelope must decode canonically. The batch is not
    /// admitted: its envelopes are for apply.
    /// - Throws: `TalonError(.corruptEntry)`.
    public init(bytes: [UInt8]) throws(TalonError) {
        guard bytes.count >= 13 else { throw TalonError(.corruptEntry, "entry of \(bytes.count) bytes has no batch header") }
        guard bytes[0] == Self.version else { throw TalonError(.corruptEntry, "unknown batch version \(bytes[0])") }
        let timestamp = Int64(bitPattern: bytes[1..<9].reduce(0) { $0 << 8 | UInt64($1) })
        self.init(decoded: timestamp, envelopes: try EnvelopeList.decode(bytes[9...], as: TalonError(.corruptEntry)))
    }
}

/// A counted list of envelopes, as entry batches and forward frames carry them:
/// `count u32 · per envelope: length u32 + envelope bytes`, big-endian.
enum EnvelopeList {
    /// Bytes the list takes.
    static func size(_ envelopes: [Envelope]) -> Int { 4 + envelopes.reduce(0) { $0 + 4 + $1.bytes.count } }

    static func append(_ envelopes: [Envelope], to out: inout [UInt8]) {
        out.appendBigEndian(UInt32(envelopes.count))
        for e in envelopes {
            out.appendBigEndian(UInt32(e.bytes.count))
            out.append(contentsOf: e.bytes)
        }
    }

    /// The envelopes of a list that fills `bytes` exactly, each decoded canonically.
    /// - Throws: `error` with what is wrong.
    static func decode(_ bytes: ArraySlice<UInt8>, as failure: TalonError) throws(TalonError) -> [Envelope] {
        let error = failure
        func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        guard bytes.count >= 4 else { throw error.with("an envelope list of \(bytes.count) bytes has no count") }
        let count = u32(bytes.startIndex)
        guard count <= (bytes.count - 4) / 4 else { throw error.with("\(count) envelopes cannot fit in \(bytes.count) bytes") }
        var at = bytes.startIndex + 4
        var envelopes: [Envelope] = []
        envelopes.reserveCapacity(count)
        for i in 0..<count {
            guard bytes.endIndex - at >= 4 else { throw error.with("envelope \(i) has no length") }
            let length = u32(at)
            at += 4
            guard bytes.endIndex - at >= length else { throw error.with("envelope \(i) runs past the end") }
            do {
                envelopes.append(try Envelope(bytes: Array(bytes[at..<at + length])))
            } catch let why {
                throw failure.with("envelope \(i) does not decode: \(why)")
            }
            at += length
        }
        guard at == bytes.endIndex else { throw error.with("\(bytes.endIndex - at) bytes after the last envelope") }
        return envelopes
    }
}
