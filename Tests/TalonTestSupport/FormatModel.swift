import Foundation
import TalonProtocol

/// An independent model of docs/format.md, written from the spec rather than from the
/// encoder: the binary form of an envelope rebuilt from its JSON, RFC 6962 Merkle roots and
/// block header hashes. Only SHA-256 comes from TalonProtocol.
public enum FormatModel {
    /// `v` big-endian.
    public static func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }
    /// A `string`: u32 length, then the UTF-8 bytes.
    public static func str(_ s: String) -> [UInt8] { be(UInt32(s.utf8.count)) + Array(s.utf8) }
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes).bytes }

    /// Lowercase hex, written out here rather than by the product's Hex.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of lowercase hex text.
    /// - Throws: `TestFailure` for anything else.
    public static func unhex(_ text: some StringProtocol) throws -> [UInt8] {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { throw TestFailure("odd-length hex \(text)") }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            default: throw TestFailure("not lowercase hex: \(text)")
            }
        }
        return try stride(from: 0, to: chars.count, by: 2).map { try nibble(chars[$0]) << 4 | nibble(chars[$0 + 1]) }
    }

    /// The 32 bytes of an `ed25519:<64 hex>` key.
    public static func key(_ text: String) throws -> [UInt8] {
        guard text.hasPrefix("ed25519:") else { throw TestFailure("not a key: \(text)") }
        let bytes = try unhex(text.dropFirst(8))
        guard bytes.count == 32 else { throw TestFailure("not a 32-byte key: \(text)") }
        return bytes
    }

    private static func need<T>(_ v: T?, _ field: String) throws -> T {
        guard let v else { throw TestFailure("envelope JSON lacks \(field)") }
        return v
    }

    /// The canonical binary envelope for a JSON envelope (docs/format.md, "Envelope").
    public static func envelopeBytes(_ e: EnvelopeJSON) throws -> [UInt8] {
        var b: [UInt8] = [e.version]
        b += str(e.chainId) + (try key(e.signer)) + be(e.nonce)
        let o = e.op
        switch o.type {
        case "register_issuer":
            b += be(UInt16(1)) + (try key(need(o.issuer, "issuer"))) + str(try need(o.name, "name"))
        case "create_event":
            b += be(UInt16(2)) + str(try need(o.eventId, "event_id")) + str(try need(o.name, "name")) + str(try need(o.venue, "venue"))
            b += be(try need(o.startsAt, "starts_at")) + be(try need(o.doorsOpenAt, "doors_open_at"))
            b += be(try need(o.capacity, "capacity")) + str(try need(o.currency, "currency"))
        case "register_gate":
            let sections = try need(o.sections, "sections")
            b += be(UInt16(3)) + str(try need(o.eventId, "event_id")) + (try key(need(o.gate, "gate"))) + str(try need(o.name, "name"))
            b += be(UInt32(sections.count)) + sections.flatMap(str)
        case "issue":
            let tickets = try need(o.tickets, "tickets")
            b += be(UInt16(4)) + str(try need(o.eventId, "event_id")) + be(UInt32(tickets.count))
            for t in tickets { b += str(t.ticketId) + str(t.section) + str(t.seat) + be(t.faceValue) + (try key(t.holder)) }
        case "transfer":
            b += be(UInt16(5)) + str(try need(o.ticketId, "ticket_id")) + (try key(need(o.to, "to")))
        case "redeem":
            b += be(UInt16(6)) + str(try need(o.ticketId, "ticket_id")) + be(try need(o.sequence, "sequence")) + be(try need(o.scannedAt, "scanned_at"))
        case "void":
            b += be(UInt16(7)) + str(try need(o.ticketId, "ticket_id")) + str(try need(o.reason, "reason"))
        case "deploy_contract":
            b += be(UInt16(8)) + str(try need(o.source, "source"))
        case "bind_contract":
            b += be(UInt16(9)) + str(try need(o.eventId, "event_id")) + (try unhex(need(o.contract, "contract"))) + str(try need(o.params, "params"))
        case "list_resale", "buy_resale":
            b += be(UInt16(o.type == "list_resale" ? 10 : 12)) + str(try need(o.ticketId, "ticket_id"))
            b += be(try need(o.price, "price")) + be(try need(o.fees, "fees"))
        case "cancel_listing", "request_refund":
            b += be(UInt16(o.type == "cancel_listing" ? 11 : 13)) + str(try need(o.ticketId, "ticket_id"))
        case "cancel_event":
            b += be(UInt16(14)) + str(try need(o.eventId, "event_id")) + str(try need(o.reason, "reason"))
        default:
            throw TestFailure("unknown op type \(o.type)")
        }
        let signature = try unhex(e.signature)
        guard signature.count == 64 else { throw TestFailure("signature is not 64 bytes") }
        return b + signature
    }

    /// The binary envelope for one line of `talon op` output.
    public static func envelopeBytes(line: String) throws -> [UInt8] {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try envelopeBytes(decoder.decode(EnvelopeJSON.self, from: Data(line.utf8))) } catch let failure as TestFailure {
            throw failure
        } catch {
            throw TestFailure("not an envelope in the JSON form: \(line.prefix(300).debugDescription): \(error)")
        }
    }

    /// The envelope hash (hex) of one line of `talon op` output.
    public static func envelopeHash(line: String) throws -> String { hex(sha256(try envelopeBytes(line: line))) }

    /// RFC 6962 MTH over the leaves' data.
    public static func merkleRoot(_ leaves: [[UInt8]]) -> [UInt8] {
        switch leaves.count {
        case 0: return sha256([])
        case 1: return sha256([0x00] + leaves[0])
        default:
            var k = 1
            while k * 2 < leaves.count { k *= 2 }
            return sha256([0x01] + merkleRoot(Array(leaves[..<k])) + merkleRoot(Array(leaves[k...])))
        }
    }

    /// A block as the spec says it must be.
    public struct ExpectedBlock: Sendable {
        public let height: UInt64
        public let prev: [UInt8]
        public let timestamp: Int64
        public let treeSize: UInt64
        public let treeRoot: [UInt8]
        public let hash: [UInt8]
    }

    /// One batch: its envelopes' bytes, their results, the time the batch was given, and the
    /// SHA-256 of each envelope's contract decision record (nil: no contract consulted).
    public struct Batch: Sendable {
        public var envelopes: [[UInt8]]
        public var results: [String]
        public var time: Int64
        public var decisions: [[UInt8]?] = []

        public init(envelopes: [[UInt8]], results: [String], time: Int64, decisions: [[UInt8]?] = []) {
            self.envelopes = envelopes; self.results = results; self.time = time; self.decisions = decisions
        }
    }

    /// The chain of blocks the batches must give, from the genesis file's bytes.
    public static func chain(genesis: [UInt8], _ batches: [Batch]) -> [ExpectedBlock] {
        var out: [ExpectedBlock] = []
        var prev = sha256(genesis)
        var prevTime = Int64.min
        var leaves: [[UInt8]] = []
        for (i, batch) in batches.enumerated() {
            leaves += batch.envelopes
            let time = max(batch.time, prevTime)
            let root = merkleRoot(leaves)
            // Block version 2: entries_digest is the Merkle root over the entries, each
            // envelope_hash · string result · 00, or · 01 · decision hash.
            var entries: [[UInt8]] = []
            for (n, (e, r)) in zip(batch.envelopes, batch.results).enumerated() {
                let decision = n < batch.decisions.count ? batch.decisions[n] : nil
                entries.append(sha256(e) + str(r) + (decision.map { [0x01] + $0 } ?? [0x00]))
            }
            let height = UInt64(i + 1)
            let header: [UInt8] = [0x02] + be(height) + prev + be(time) + be(UInt32(batch.envelopes.count))
                + merkleRoot(entries) + be(UInt64(leaves.count)) + root
            let hash = sha256(header)
            out.append(ExpectedBlock(height: height, prev: prev, timestamp: time, treeSize: UInt64(leaves.count), treeRoot: root, hash: hash))
            prev = hash
            prevTime = time
        }
        return out
    }

    /// Splits envelopes and results into batches of `size`, all given `time`.
    public static func batches(_ envelopes: [[UInt8]], _ results: [String], size: Int, time: Int64) -> [Batch] {
        stride(from: 0, to: envelopes.count, by: size).map {
            let end = min(envelopes.count, $0 + size)
            return Batch(envelopes: Array(envelopes[$0..<end]), results: Array(results[$0..<end]), time: time)
        }
    }

    /// Every offset at which `needle` occurs in `haystack`.
    public static func offsets(of needle: [UInt8], in haystack: [UInt8]) -> [Int] {
        guard !needle.isEmpty, haystack.count >= needle.count else { return [] }
        var found: [Int] = []
        let first = needle[0]
        var i = 0
        while i <= haystack.count - needle.count {
            if haystack[i] == first, haystack[i..<i + needle.count].elementsEqual(needle) { found.append(i) }
            i += 1
        }
        return found
    }
}

/// The JSON form of an envelope (docs/format.md, "JSON form"), decoded by the tests.
public struct EnvelopeJSON: Decodable, Sendable {
    public struct Ticket: Decodable, Sendable {
        public let ticketId: String
        public let section: String
        public let seat: String
        public let faceValue: UInt64
        public let holder: String
    }
    public struct Op: Decodable, Sendable {
        public let type: String
        public let eventId: String?
        public let name: String?
        public let venue: String?
        public let startsAt: Int64?
        public let doorsOpenAt: Int64?
        public let capacity: UInt32?
        public let currency: String?
        public let gate: String?
        public let sections: [String]?
        public let tickets: [Ticket]?
        public let ticketId: String?
        public let to: String?
        public let sequence: UInt64?
        public let scannedAt: Int64?
        public let reason: String?
        public let issuer: String?
        public let price: UInt64?
        public let fees: UInt64?
        public let source: String?
        public let contract: String?
        public let params: String?
    }
    public let chainId: String
    public let nonce: UInt64
    public let op: Op
    public let signature: String
    public let signer: String
    public let version: UInt8
}

/// A chain verifier written from docs/format.md alone ("Block", "Contract decisions",
/// "Verifying a chain"), over the answers of `GET /v1/blocks/{height}/records`.
extension FormatModel {
    public struct ChainFailure: Error, CustomStringConvertible { public let description: String }

    /// The canonical bytes of a decision, rebuilt from its JSON form.
    public static func decisionBytes(_ d: JSONValue) throws -> [UInt8] {
        func need<T>(_ v: T?, _ key: String) throws -> T {
            guard let v else { throw ChainFailure(description: "decision lacks \(key)") }
            return v
        }
        func flag(_ key: String) throws -> [UInt8] {
            guard case .bool(let b)? = d[key] else { throw ChainFailure(description: "decision's \(key) is not a boolean") }
            return [b ? 1 : 0]
        }
        return [0x02] + (try unhex(try need(d["contract"]?.string, "contract"))) + str(try need(d["hook"]?.string, "hook"))
            + (try flag("allowed")) + (try flag("hook_defined"))
            + be(try need(d["royalty"]?.int, "royalty")) + be(try need(d["refund"]?.int, "refund"))
            + be(try need(d["instructions"]?.int, "instructions")) + str(try need(d["reason"]?.string, "reason"))
    }

    /// Checks one block answer against the previous block's hash and the tree so far (the
    /// leaves are appended); returns the block's hash and how many decisions it checked.
    public static func checkBlock(_ answer: JSONValue, prev: [UInt8], leaves: inout [[UInt8]]) throws -> (hash: [UInt8], decisions: Int) {
        func fail(_ why: String) -> ChainFailure { ChainFailure(description: "block \(answer["block"]?["height"]?.int ?? -1): \(why)") }
        let block = try answer["block"].map { $0 } ?? { throw fail("no block") }()
        guard let height = block["height"]?.int, let time = block["timestamp"]?.int, let records = answer["records"]?.array,
              block["prev"]?.string == hex(prev) else { throw fail("header fields or prev do not check out") }
        var entries: [[UInt8]] = [], decisions = 0
        for record in records {
            guard let text = record["bytes"]?.string, let result = record["result"]?.string else { throw fail("a record lacks bytes or result") }
            let bytes = try unhex(text)
            guard record["hash"]?.string == hex(sha256(bytes)) else { throw fail("a record's bytes do not hash to its hash") }
            leaves.append(bytes)
            var entry = sha256(bytes) + str(result)
            if let d = record["decision"] {
                entry += [0x01] + sha256(try decisionBytes(d))
                decisions += 1
            } else {
                entry += [0x00]
            }
            entries.append(entry)
        }
        let header: [UInt8] = [0x02] + be(UInt64(height)) + prev + be(time) + be(UInt32(records.count))
            + merkleRoot(entries) + be(UInt64(leaves.count)) + merkleRoot(leaves)
        guard block["entries_digest"]?.string == hex(merkleRoot(entries)) else { throw fail("entries_digest is not the root of the entries") }
        guard block["tree_root"]?.string == hex(merkleRoot(leaves)) else { throw fail("tree_root is not the root of the envelopes so far") }
        guard block["hash"]?.string == hex(sha256(header)) else { throw fail("the header does not hash to the block hash") }
        return (sha256(header), decisions)
    }
}
