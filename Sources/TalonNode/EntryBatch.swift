public import TalonLedger

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

    /// A batch of unverified envelopes, for the wire form of a forward frame only
    /// (`PeerFrame.forward`); it can never be proposed.
    init(timestamp: Int64, envelopes: [Envelope]) {
        self.timestamp = timestamp
        self.envelopes = envelopes
        isAdmitted = false
    }

    public static func == (a: EntryBatch, b: EntryBatch) -> Bool { a.timestamp == b.timestamp && a.envelopes == b.envelopes }
    public func hash(into h: inout Hasher) { h.combine(timestamp); h.combine(envelopes) }

    /// The entry data.
    public var bytes: [UInt8] {
        var out: [UInt8] = [Self.version]
        out.reserveCapacity(13 + envelopes.reduce(0) { $0 + 4 + $1.bytes.count })
        withUnsafeBytes(of: timestamp.bigEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(envelopes.count).bigEndian) { out.append(contentsOf: $0) }
        for e in envelopes {
            withUnsafeBytes(of: UInt32(e.bytes.count).bigEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: e.bytes)
        }
        return out
    }

    /// Decodes entry data; every envelope must decode canonically. The batch is not
    /// admitted: its envelopes are for apply (or, in a forward frame, for the leader to admit).
    /// - Throws: `NodeError.corruptEntry`.
    public init(bytes: [UInt8]) throws(NodeError) {
        func fail(_ why: String) -> NodeError { NodeError.corruptEntry.with(why) }
        guard bytes.count >= 13 else { throw fail("entry of \(bytes.count) bytes has no batch header") }
        guard bytes[0] == Self.version else { throw fail("unknown batch version \(bytes[0])") }
        func u64(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        func u32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        let timestamp = Int64(bitPattern: u64(1))
        let count = u32(9)
        guard count * 4 <= bytes.count - 13 else { throw fail("\(count) envelopes cannot fit in \(bytes.count) bytes") }
        var at = 13
        var envelopes: [Envelope] = []
        envelopes.reserveCapacity(count)
        for i in 0..<count {
            guard bytes.count - at >= 4 else { throw fail("envelope \(i) has no length") }
            let length = u32(at)
            at += 4
            guard bytes.count - at >= length else { throw fail("envelope \(i) runs past the entry") }
            do {
                envelopes.append(try Envelope(bytes: Array(bytes[at..<at + length])))
            } catch {
                throw fail("envelope \(i) does not decode: \(error)")
            }
            at += length
        }
        guard at == bytes.count else { throw fail("\(bytes.count - at) bytes after the last envelope") }
        self.init(timestamp: timestamp, envelopes: envelopes)
    }
}
