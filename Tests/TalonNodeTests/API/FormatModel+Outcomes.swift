import TalonTestSupport

/// Block headers and entries rebuilt from their JSON forms by docs/format.md ("Block (version
/// 2)"), never by the product's encoder.
extension FormatModel {
    /// A header's 125 bytes from its JSON form (a `Block` or an outcome's `header`).
    static func headerBytes(_ header: JSONValue) throws -> [UInt8] {
        guard let version = header["version"]?.int, let height = header["height"]?.int, let prev = header["prev"]?.string,
              let time = header["timestamp"]?.int, let count = header["count"]?.int, let digest = header["entries_digest"]?.string,
              let size = header["tree_size"]?.int, let root = header["tree_root"]?.string,
              let version8 = UInt8(exactly: version), let count32 = UInt32(exactly: count) else {
            throw TestFailure("not a block header: \(header)")
        }
        return [version8] + be(UInt64(height)) + (try unhex(prev)) + be(time) + be(count32) + (try unhex(digest))
            + be(UInt64(size)) + (try unhex(root))
    }

    /// One entry's bytes: envelope hash, result, and 00, or 01 and the decision's hash.
    static func entryBytes(envelopeHash: String, result: String, decision: JSONValue?) throws -> [UInt8] {
        try unhex(envelopeHash) + str(result) + (try decision.map { [0x01] + sha256(try decisionBytes($0)) } ?? [0x00])
    }

    /// A block's stored form from a `GET /v1/blocks/{height}/records` answer: the header,
    /// `u32 count` and the entries.
    static func storedBlock(_ answer: JSONValue) throws -> [UInt8] {
        guard let block = answer["block"], let records = answer["records"]?.array, let count = UInt32(exactly: records.count) else {
            throw TestFailure("not a block with its records: \(answer)")
        }
        var bytes = try headerBytes(block) + be(count)
        for record in records {
            guard let hash = record["hash"]?.string, let result = record["result"]?.string else { throw TestFailure("a record lacks hash or result") }
            bytes += try entryBytes(envelopeHash: hash, result: result, decision: record["decision"])
        }
        return bytes
    }
}
