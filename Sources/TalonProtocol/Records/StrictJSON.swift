/// The JSON profile Talon accepts, checked on the raw bytes before decoding: RFC 8259 syntax,
/// numbers only as integers (`-?(0|[1-9][0-9]*)`, no `-0`, no fraction, no exponent), object
/// keys without escapes and never repeated. Every record type is strings, integers, arrays
/// and objects, so anything else is a second spelling of some value and would make the JSON
/// form ambiguous.
enum StrictJSON {
    /// Throws `TalonError(.invalidJSON)` naming the byte offset of the first violation.
    static func check(_ bytes: some Collection<UInt8>) throws(TalonError) {
        var scanner = Scanner(bytes: Array(bytes))
        try scanner.skipSpace()
        try scanner.value(depth: 0)
        try scanner.skipSpace()
        guard scanner.atEnd else { throw scanner.fail("trailing characters after the JSON value") }
    }

    private struct Scanner {
        let bytes: [UInt8]
        var at = 0
        /// Deeper nesting than any record has; bounds the recursion.
        static let maxDepth = 32

        var atEnd: Bool { at == bytes.count }

        static func isHexDigit(_ c: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(c | 0x20)
        }

        func fail(_ what: String) -> TalonError {
            TalonError(.invalidJSON, "\(what) at byte \(at)")
        }

        func peek() throws(TalonError) -> UInt8 {
            guard at < bytes.count else { throw fail("unexpected end of JSON") }
            return bytes[at]
        }

        mutating func expect(_ c: UInt8) throws(TalonError) {
            guard try peek() == c else { throw fail("expected '\(Character(Unicode.Scalar(c)))'") }
            at += 1
        }

        mutating func skipSpace() throws(TalonError) {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        mutating func value(depth: Int) throws(TalonError) {
            guard depth < Self.maxDepth else { throw fail("nesting deeper than \(Self.maxDepth)") }
            switch try peek() {
            case UInt8(ascii: "{"): try object(depth: depth)
            case UInt8(ascii: "["): try array(depth: depth)
            case UInt8(ascii: "\""): _ = try string(key: false)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try integer()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            default: throw fail("unexpected character")
            }
        }

        mutating func literal(_ word: StaticString) throws(TalonError) {
            let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            guard bytes.count - at >= w.count, bytes[at..<at + w.count].elementsEqual(w) else { throw fail("invalid literal") }
            at += w.count
        }

        mutating func object(depth: Int) throws(TalonError) {
            at += 1
            try skipSpace()
            if try peek() == UInt8(ascii: "}") { at += 1; return }
            var keys = Set<ArraySlice<UInt8>>()
            while true {
                try skipSpace()
                let start = at
                let key = try string(key: true)
                guard keys.insert(key).inserted else {
                    at = start
                    throw fail("repeated key '\(String(decoding: key, as: UTF8.self))'")
                }
                try skipSpace()
                try expect(UInt8(ascii: ":"))
                try skipSpace()
                try value(depth: depth + 1)
                try skipSpace()
                if try peek() == UInt8(ascii: ",") { at += 1; continue }
                try expect(UInt8(ascii: "}"))
                return
            }
        }

        mutating func array(depth: Int) throws(TalonError) {
            at += 1
            try skipSpace()
            if try peek() == UInt8(ascii: "]") { at += 1; return }
            while true {
                try skipSpace()
                try value(depth: depth + 1)
                try skipSpace()
                if try peek() == UInt8(ascii: ",") { at += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        }

        /// Scans a string and returns its raw content; keys may not use escapes, so their raw
        /// bytes are their value and repeats are found by comparing bytes.
        mutating func string(key: Bool) throws(TalonError) -> ArraySlice<UInt8> {
            try expect(UInt8(ascii: "\""))
            let start = at
            while true {
                let c = try peek()
                switch c {
                case UInt8(ascii: "\""):
                    at += 1
                    return bytes[start..<at - 1]
                case UInt8(ascii: "\\"):
                    if key { throw fail("escape in an object key") }
                    at += 1
                    let e = try peek()
                    if e == UInt8(ascii: "u") {
                        at += 1
                        for _ in 0..<4 {
                            guard Self.isHexDigit(try peek()) else { throw fail("invalid \\u escape") }
                            at += 1
                        }
                    } else if Array("\"\\/bfnrt".utf8).contains(e) {
                        at += 1
                    } else {
                        throw fail("invalid escape")
                    }
                case 0x00..<0x20:
                    throw fail("control character in a string")
                default:
                    at += 1
                }
            }
        }

        mutating func integer() throws(TalonError) {
            let start = at
            if bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard let first = try? peek(), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
                throw fail("invalid number")
            }
            at += 1
            if first != UInt8(ascii: "0") {
                while at < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[at]) { at += 1 }
            }
            if bytes[start] == UInt8(ascii: "-"), first == UInt8(ascii: "0") {
                at = start
                throw fail("negative zero")
            }
            let digit = UInt8(ascii: "0")...UInt8(ascii: "9")
            if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] | 0x20 == UInt8(ascii: "e") || digit.contains(bytes[at]) {
                at = start
                throw fail("numbers must be integers without fraction, exponent or leading zero")
            }
        }
    }
}
