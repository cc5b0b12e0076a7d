import TalonProtocol

/// How many tickets of one event a key holds now and ever acquired (issue, transfer, resale).
struct Holding {
    var held: UInt32 = 0
    var acquired: UInt32 = 0

    var bytes: [UInt8] {
        var w = ByteWriter()
        w.u32(held); w.u32(acquired)
        return w.bytes
    }

    init() {}

    init(bytes: [UInt8]) throws(TalonError) {
        var r = ByteReader(bytes)
        held = try r.u32(); acquired = try r.u32()
        try r.finish()
    }
}
