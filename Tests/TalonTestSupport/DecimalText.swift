/// Decimal integers as text, however long: the edges of an integer parameter's range.
public enum DecimalText {
    /// A decimal one greater than `digits` (ASCII digits only).
    public static func plusOne(_ digits: String) -> String {
        var out = Array(digits.utf8)
        var i = out.count - 1
        while i >= 0 {
            if out[i] == UInt8(ascii: "9") { out[i] = UInt8(ascii: "0"); i -= 1 } else { out[i] += 1; return String(decoding: out, as: UTF8.self) }
        }
        return "1" + String(decoding: out, as: UTF8.self)
    }
}
