import TalonProtocol
/// Writes values in the encoding the C side decodes into Lua tables (see
/// Sources/CLuaShims/wire.c): a tag byte, little-endian integers, u32 lengths.
struct WireWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    mutating func int(_ v: Int64) {
        bytes.append(UInt8(ascii: "i"))
        var u = UInt64(bitPattern: v)
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: u))
            u >>= 8
        }
    }

    mutating func string(_ s: String) {
        bytes.append(UInt8(ascii: "s"))
        raw(s)
    }

    mutating func bool(_ b: Bool) { bytes.append(UInt8(ascii: b ? "T" : "F")) }

    /// Starts a string-keyed table of `count` entries; follow with `key` + a value, `count` times.
    mutating func table(_ count: Int) {
        bytes.append(UInt8(ascii: "m"))
        u32(count)
    }

    /// Starts an array of `count` values.
    mutating func array(_ count: Int) {
        bytes.append(UInt8(ascii: "a"))
        u32(count)
    }

    mutating func key(_ k: String) { raw(k) }

    /// A key known at compile time (the context's field names).
    mutating func key(_ k: StaticString) {
        k.withUTF8Buffer { utf8 in
            u32(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func value(_ v: ContractValue) {
        switch v {
        case .int(let i): int(i)
        case .string(let s): string(s)
        case .bool(let b): bool(b)
        case .table(let t):
            table(t.count)
            for (k, v) in t.sorted(by: { $0.key < $1.key }) {
                key(k)
                value(v)
            }
        case .array(let a):
            array(a.count)
            for e in a { value(e) }
        }
    }

    private mutating func u32(_ n: Int) {
        let v = UInt32(truncatingIfNeeded: n)
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    private mutating func raw(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            u32(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }
}
