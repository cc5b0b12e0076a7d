/// RFC 9285 Base45: bytes as characters of QR alphanumeric mode, two bytes to three
/// characters, so a QR code holds them at about 5.5 bits per character.
public enum Base45 {
    /// The 45 characters, in value order.
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".utf8)
    private static let values: [Int8] = {
        var v = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { v[Int(c)] = Int8(i) }
        return v
    }()

    /// The Base45 text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2 * 3 + 2)
        var it = bytes.makeIterator()
        while let a = it.next() {
            if let b = it.next() {
                var n = Int(a) << 8 | Int(b)
                for _ in 0..<3 { out.append(alphabet[n % 45]); n /= 45 }
            } else {
                let n = Int(a)
                out.append(alphabet[n % 45]); out.append(alphabet[n / 45])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes of Base45 `text`, or nil when it is not Base45 (a character outside the
    /// alphabet, a dangling single character, or a group above its byte range).
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 3 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 3 * 2 + 1)
        var i = 0
        while i < chars.count {
            let group = min(3, chars.count - i)
            var n = 0, scale = 1
            for j in 0..<group {
                let v = values[Int(chars[i + j])]
                guard v >= 0 else { return nil }
                n += Int(v) * scale
                scale *= 45
            }
            if group == 3 {
                guard n <= 0xFFFF else { return nil }
                out.append(UInt8(n >> 8)); out.append(UInt8(n & 0xFF))
            } else {
                guard n <= 0xFF else { return nil }
                out.append(UInt8(n))
            }
            i += group
        }
        return out
    }
}
