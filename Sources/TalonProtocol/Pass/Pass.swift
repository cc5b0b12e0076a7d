
/// A holder's rotating pass: the node's ownership certificate and the holder's signature over
/// it and one 30-second window, so a gate can check offline both who holds the ticket and that
/// the holder's key made this pass just now.
///
/// Binary form (version 1, docs/format.md "Pass"): `u8 version, u8 len + ticket id,
/// u8 len + event id, holder[32], uvarint sequence, uvarint window, uvarint height, u8 node
/// (its index among the genesis members), certificate signature[64], holder signature[64]`.
/// Text form: `TP1:` then the Base45 of the binary form, all QR alphanumeric characters.
public struct Pass: Hashable, Sendable {
    public static let version: UInt8 = 1
    /// What every pass text starts with; the digit is the version.
    public static let textPrefix = "TP1:"
    /// Seconds per window: the pass a holder's device shows changes this often.
    public static let windowSeconds: Int64 = 30
    /// The most bytes a pass may have: two 128-byte ids and every field at its widest.
    public static let maxBytes = 1 + 2 * (1 + Limits.idBytes) + 32 + 3 * 10 + 1 + 64 + 64
    /// The prefix that separates pass signatures from everything else Talon signs.
    public static let signingDomain = Array("TALON-PASS-V1\0".utf8)

    public var certificate: OwnershipCertificate
    /// The window (Unix seconds / 30) the holder signed for.
    public var window: UInt64
    /// The holder's signature over `holderSignedBytes`.
    public var signature: Signature

    /// The window that time `ms` (milliseconds since the Unix epoch) falls in.
    public static func window(at ms: Int64) -> UInt64 { UInt64(max(0, ms) / 1000 / windowSeconds) }

    /// The bytes the holder signs: `"TALON-PASS-V1\0" · string chain_id · string ticket_id ·
    /// string event_id · holder[32] · u64 sequence · u64 window` (strings as u32 length + UTF-8).
    public static func holderSignedBytes(chainID: String, certificate c: OwnershipCertificate, window: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 160)
        w.raw(signingDomain)
        w.string(chainID)
        w.string(c.ticketID)
        w.string(c.eventID)
        w.key(c.holder)
        w.u64(c.sequence)
        w.u64(window)
        return w.bytes
    }

    /// The pass for `window`, signed with the holder's `key`.
    public init(certificate: OwnershipCertificate, window: UInt64, holder key: SigningKey, chainID: String) {
        self.certificate = certificate
        self.window = window
        signature = key.sign(Self.holderSignedBytes(chainID: chainID, certificate: certificate, window: window))
    }

    /// Assembles a pass from its parts without checking it.
    public init(certificate: OwnershipCertificate, window: UInt64, signature: Signature) {
        self.certificate = certificate; self.window = window; self.signature = signature
    }

    /// True when the certificate's holder signed this pass on chain `chainID`.
    public func isSignedByHolder(chainID: String) -> Bool {
        certificate.holder.verify(signature, for: Self.holderSignedBytes(chainID: chainID, certificate: certificate, window: window))
    }

    /// The binary form; `members` are the genesis member ids, in order.
    /// - Throws: `TalonError` `pass_unencodable` when an id is too long or the node is not a member.
    public func bytes(members: [String]) throws(TalonError) -> [UInt8] {
        guard let node = members.firstIndex(of: certificate.node), node < 256 else {
            throw TalonError(.passUnencodable, "node \(certificate.node) is not among the first 256 genesis members")
        }
        var w = ByteWriter(capacity: 256)
        w.u8(Self.version)
        for id in [certificate.ticketID, certificate.eventID] {
            let b = Array(id.utf8)
            guard (1...Limits.idBytes).contains(b.count) else { throw TalonError(.passUnencodable, "an id of \(b.count) bytes: ids are 1 to \(Limits.idBytes) bytes") }
            w.u8(UInt8(b.count)); w.raw(b)
        }
        w.key(certificate.holder)
        Varint.write(certificate.sequence, to: &w)
        Varint.write(window, to: &w)
        Varint.write(certificate.height, to: &w)
        w.u8(UInt8(node))
        w.raw(certificate.signature.bytes)
        w.raw(signature.bytes)
        return w.bytes
    }

    /// Decodes the binary form, refusing anything that is not its canonical encoding.
    /// - Throws: `PassFormatError` naming what is wrong.
    public init(bytes: [UInt8], members: [String]) throws(PassFormatError) {
        guard bytes.count <= Self.maxBytes else { throw PassFormatError("pass of \(bytes.count) bytes is over \(Self.maxBytes)") }
        do throws(TalonError) {
            var r = ByteReader(bytes)
            let version = try r.u8()
            guard version == Self.version else { throw TalonError(.unknownVersion, "pass version \(version) is not \(Self.version)") }
            func id() throws(TalonError) -> String {
                let n = Int(try r.u8())
                guard n > 0, n <= Limits.idBytes, let s = String(validating: try r.raw(n), as: UTF8.self) else {
                    throw TalonError(.invalidField, "an id of \(n) bytes that is empty, too long or not UTF-8")
                }
                return s
            }
            let ticketID = try id(), eventID = try id()
            let holder = try r.key()
            let sequence = try Varint.read(&r), window = try Varint.read(&r), height = try Varint.read(&r)
            let node = Int(try r.u8())
            guard node < members.count else { throw TalonError(.invalidField, "node index \(node) is not a genesis member") }
            guard let certSignature = Signature(bytes: try r.raw(64)), let holderSignature = Signature(bytes: try r.raw(64)) else {
                throw TalonError(.truncated)
            }
            try r.finish()
            self.init(certificate: OwnershipCertificate(ticketID: ticketID, eventID: eventID, holder: holder, sequence: sequence,
                                                        height: height, node: members[node], signature: certSignature),
                      window: window, signature: holderSignature)
        } catch {
            throw PassFormatError(error.message)
        }
    }

    /// The text form: `TP1:` and Base45.
    public func text(members: [String]) throws(TalonError) -> String { Self.textPrefix + Base45.encode(try bytes(members: members)) }

    /// Decodes the text form. Surrounding whitespace (a scanner's line ending) is ignored.
    /// - Throws: `PassFormatError` for anything else that is not a pass.
    public init(text: String, members: [String]) throws(PassFormatError) {
        let trimmed = text.utf8.count > 2 * Self.maxBytes ? Substring(text.prefix(16)) : text.trimmingWhitespace
        guard text.utf8.count <= 2 * Self.maxBytes else { throw PassFormatError("a pass text of \(text.utf8.count) bytes is far too long") }
        guard trimmed.hasPrefix(Self.textPrefix) else {
            throw PassFormatError(trimmed.hasPrefix("TP") ? "not a version-1 pass (prefix \(trimmed.prefix(4)))" : "not a Talon pass (no TP1: prefix)")
        }
        guard let bytes = Base45.decode(trimmed.dropFirst(Self.textPrefix.count)) else { throw PassFormatError("the text after TP1: is not Base45") }
        try self.init(bytes: bytes, members: members)
    }
}

/// Why some bytes or text are not a pass.
public struct PassFormatError: Error, Sendable, Equatable {
    public let message: String
    package init(_ message: String) { self.message = message }
}

/// Unsigned LEB128 with the shortest encoding only.
enum Varint {
    static func write(_ v: UInt64, to w: inout ByteWriter) {
        var v = v
        while v >= 0x80 { w.u8(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        w.u8(UInt8(v))
    }

    static func read(_ r: inout ByteReader) throws(TalonError) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<10 {
            let b = try r.u8()
            guard i < 9 || b <= 1 else { throw TalonError(.invalidField, "a varint over 64 bits") }
            v |= UInt64(b & 0x7F) << (7 * UInt64(i))
            if b & 0x80 == 0 {
                guard b != 0 || i == 0 else { throw TalonError(.nonCanonical, "a varint with a trailing zero byte") }
                return v
            }
        }
        throw TalonError(.invalidField, "a varint over 10 bytes")
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and line endings (read as UTF-8 bytes).
    var trimmingWhitespace: Substring {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
        let u = utf8
        guard let start = u.firstIndex(where: { !isSpace($0) }), let last = u.lastIndex(where: { !isSpace($0) }) else { return "" }
        return self[start...last]
    }
}
