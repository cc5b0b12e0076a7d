import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client over a blocking socket, written for the tests so that they
/// talk to a node the way any client would (and can also send it bytes no client would).
/// Each call opens one connection, sends `Connection: close` and reads to the end.
enum RawHTTP {
    struct Reply: Sendable, CustomStringConvertible {
        let status: Int
        let headers: [String: String]
        let body: String
        var description: String { "HTTP \(status) \(body.prefix(600))" }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// `method path` on `address` (host:port) with `headers` and an optional body; fails on a
    /// refused or reset connection and after `timeout` seconds without an answer.
    static func request(_ method: String, _ address: String, _ path: String, headers: [String: String] = [:], body: String? = nil,
                        timeout: Double = 15) async throws -> Reply {
        try await request(method, address, path, headers: headers, bytes: body.map { Array($0.utf8) }, timeout: timeout)
    }

    /// `request` with a body of any bytes; `Content-Type: application/json` unless `headers`
    /// name another.
    static func request(_ method: String, _ address: String, _ path: String, headers: [String: String] = [:], bytes body: [UInt8]?,
                        timeout: Double = 15) async throws -> Reply {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(address)\r\nConnection: close\r\n"
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        if let body {
            if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) { head += "Content-Type: application/json\r\n" }
            head += "Content-Length: \(body.count)\r\n"
        }
        let bytes = Array((head + "\r\n").utf8) + (body ?? [])
        let raw = try await exchange(address, bytes, timeout: timeout)
        return try parse(raw, bodyless: method == "HEAD")
    }

    /// Sends `bytes` to `address`, then reads until the peer closes, `timeout` passes or
    /// `readLimit` bytes have arrived; returns what was read. Refused connections throw.
    static func exchange(_ address: String, _ bytes: [UInt8], timeout: Double = 5, readLimit: Int = 1 << 22) async throws -> [UInt8] {
        try await onOwnThread { try blockingExchange(address, bytes, timeout: timeout, readLimit: readLimit) }
    }

    private static func blockingExchange(_ address: String, _ bytes: [UInt8], timeout: Double, readLimit: Int) throws -> [UInt8] {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw Failure(description: "bad address \(address)")
        }
        let fd = IPv4.tcpSocket()
        guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: .init((timeout - timeout.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let connected = IPv4.withAddress(String(address[..<colon]), port) { connect(fd, $0, $1) }
        guard connected == 0 else { throw Failure(description: "connect \(address): errno \(errno)") }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the peer may close early on garbage; read what it said
            sent += n
        }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < readLimit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[..<n]
        }
        return out
    }

    /// Parses a complete response with a Content-Length or chunked body; one whose body is
    /// shorter than its Content-Length throws, unless it answers a HEAD (`bodyless`).
    static func parse(_ raw: [UInt8], bodyless: Bool = false) throws -> Reply {
        let text = String(decoding: raw, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no complete response: \(text.prefix(200).debugDescription)") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw Failure(description: "bad status line \(lines.first ?? "")") }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let c = line.firstIndex(of: ":") else { continue }
            headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        // A body cut short (the node was killed while it answered) is no answer: callers that
        // retry unanswered requests must see it fail, not read an empty 200.
        if !bodyless, let length = headers["content-length"].flatMap({ Int($0) }), body.utf8.count < length {
            throw Failure(description: "incomplete response: \(body.utf8.count) of \(length) body bytes after \(lines.first ?? "")")
        }
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Reply(status: status, headers: headers, body: body)
    }

    private static func dechunk(_ text: String) -> String {
        var rest = Substring(text), out = ""
        while let lineEnd = rest.range(of: "\r\n"), let size = Int(rest[..<lineEnd.lowerBound], radix: 16), size > 0 {
            let start = lineEnd.upperBound
            let bytes = Array(rest[start...].utf8)
            out += String(decoding: bytes.prefix(size), as: UTF8.self)
            rest = Substring(String(decoding: bytes.dropFirst(size), as: UTF8.self)).dropFirst(2)
        }
        return out
    }
}

/// Runs blocking work on a thread of its own. Not on GCD's global queue: its width is the
/// core count, and other tests park blocking waits there (a `talon` process running), which
/// would starve a test's HTTP calls on a busy machine.
func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
        let thread = Thread { c.resume(with: Result { try body() }) }
        thread.start()
    }
}

/// Blocking IPv4 TCP sockets for the tests' own clients and port probes.
enum IPv4 {
    /// A new TCP socket, or -1.
    static func tcpSocket() -> Int32 {
        #if canImport(Glibc)
        socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket(AF_INET, SOCK_STREAM, 0)
        #endif
    }

    /// Calls `body` with the address `host:port` (host in dotted form) as `bind` and `connect` take it.
    static func withAddress<R>(_ host: String, _ port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &addr.sin_addr)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
