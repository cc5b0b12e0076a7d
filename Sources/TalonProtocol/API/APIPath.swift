/// Paths of the node's HTTP API as a client writes them (docs/openapi.yaml).
public enum APIPath {
    /// An id as one path segment or query value: every byte of its UTF-8 but the unreserved
    /// characters (`A–Z a–z 0–9 - . _ ~`) percent-encoded, `/` too (the API decodes `%2F`
    /// back; a raw `/` would split the path).
    public static func segment(_ id: String) -> String {
        var out = ""
        for byte in id.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(hexDigits[Int(byte >> 4)]) + String(hexDigits[Int(byte & 0x0F)])
            }
        }
        return out
    }

    /// `GET /v1/events/{id}`.
    public static func event(_ id: String) -> String { "/v1/events/\(segment(id))" }

    /// `GET /v1/events/{id}/gates`.
    public static func eventGates(_ id: String) -> String { "/v1/events/\(segment(id))/gates" }

    /// `GET /v1/events/{id}/tickets`: a page of at most `limit` tickets after ticket `after`.
    public static func eventTickets(_ id: String, limit: Int, after: String?) -> String {
        "/v1/events/\(segment(id))/tickets?limit=\(limit)" + (after.map { "&after=\(segment($0))" } ?? "")
    }

    /// `POST /v1/envelopes`.
    public static let envelopes = "/v1/envelopes"

    private static let hexDigits = Array("0123456789ABCDEF")

    private static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
