/// What a hook decided. Every node evaluating the same contract on the same context and
/// parameters gets the same decision, byte for byte in `canonicalBytes`.
public struct ContractDecision: Hashable, Sendable {
    /// Whether the operation may go ahead.
    public var allowed: Bool
    /// Why (empty if the contract gave no reason). At most 256 bytes of UTF-8.
    public var reason: String
    /// The organizer's share of a resale, minor units; 0 when denied.
    public var royalty: Int64
    /// The amount refunded, minor units; 0 when denied.
    public var refund: Int64
    /// Instructions the evaluation used (0 when the hook is not defined).
    public var instructions: Int64
    /// False when the contract does not define the hook (which allows).
    public var hookDefined: Bool

    /// A decision.
    public init(allowed: Bool, reason: String = "", royalty: Int64 = 0, refund: Int64 = 0,
                instructions: Int64 = 0, hookDefined: Bool = true) {
        self.allowed = allowed
        self.reason = reason
        self.royalty = royalty
        self.refund = refund
        self.instructions = instructions
        self.hookDefined = hookDefined
    }

    /// The decision for a hook the contract does not define: allow, nothing charged.
    public static let undefinedHook = ContractDecision(allowed: true, hookDefined: false)

    /// The canonical encoding (the decision part of a recorded decision, docs/format.md):
    /// allowed (1 byte), hook defined (1 byte), royalty, refund and instructions (8 bytes
    /// big-endian two's complement each), reason length (4 bytes big-endian) and its UTF-8.
    public var canonicalBytes: [UInt8] {
        let utf8 = Array(reason.utf8)
        var out: [UInt8] = [allowed ? 1 : 0, hookDefined ? 1 : 0]
        out.reserveCapacity(30 + utf8.count)
        for v in [royalty, refund, instructions] {
            out.appendBigEndian(UInt64(bitPattern: v))
        }
        out.appendBigEndian(UInt32(truncatingIfNeeded: utf8.count))
        out.append(contentsOf: utf8)
        return out
    }

    /// One line of JSON with sorted keys and no spaces, e.g.
    /// `{"allowed":true,"hook_defined":true,"instructions":41,"reason":"","refund":0,"royalty":250}`.
    public var canonicalJSON: String {
        "{\"allowed\":\(allowed),\"hook_defined\":\(hookDefined),\"instructions\":\(instructions),"
            + "\"reason\":\(jsonString(reason)),\"refund\":\(refund),\"royalty\":\(royalty)}"
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped, nothing else.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            let hex = String(u.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}
