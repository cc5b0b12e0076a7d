import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Many client connections held open at once, as an attacker holds them: opened with
/// blocking connects (so the pace is the server's), optionally sent some bytes, and all
/// closed by `closeAll()`, which the tests always call.
final class HeldSockets: Sendable {
    private let fds = Mutex<[Int32]>([])

    var count: Int { fds.withLock { $0.count } }
    var all: [Int32] { fds.withLock { $0 } }

    /// Opens up to `count` connections to `address` on `threads` threads, sending `bytes`
    /// on each; stops early at `deadline`. Returns how many were opened.
    ///
    /// With `paced`, each thread, before each `batch` of connections, waits until the
    /// server's accept queue holds fewer than `batch` connections (Linux: read from
    /// /proc/net/tcp), so that connections arrive as fast as the server accepts them but
    /// never overflow its queue.
    @discardableResult
    func open(_ count: Int, to address: String, sending bytes: [UInt8] = [], threads: Int = 1,
              paced: Bool = false, batch: Int = 50, deadline: Date = .distantFuture) async throws -> Int {
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
            throw SandboxError("bad address \(address)")
        }
        let host = String(address[..<colon])
        let share = (count + threads - 1) / threads
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for t in 0..<threads {
                let mine = max(0, min(share, count - t * share))
                group.addTask {
                    try await onOwnThread {
                        self.openBlocking(mine, host: host, port: port, bytes: bytes, batch: paced ? batch : .max, deadline: deadline)
                    }
                }
            }
            return try await group.reduce(0, +)
        }
    }

    private func openBlocking(_ count: Int, host: String, port: UInt16, bytes: [UInt8], batch: Int, deadline: Date) -> Int {
        var opened = 0
        for n in 0..<count {
            if Date() >= deadline { break }
            if n % max(1, batch) == 0 {
                while Date() < deadline, let queued = AcceptQueue.length(port: port), queued >= batch {
                    Thread.sleep(forTimeInterval: 0.005)
                }
            }
            let fd = IPv4.tcpSocket()
            guard fd >= 0 else { break }   // out of descriptors: stop here
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            guard IPv4.withAddress(host, port, { connect(fd, $0, $1) }) == 0 else {
                close(fd)
                continue
            }
            if !bytes.isEmpty { _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
            fds.withLock { $0.append(fd) }
            opened += 1
        }
        return opened
    }

    /// How many of the held connections the server has closed (a read would return end of
    /// file or a reset), found without blocking.
    func closedByServer() -> Int {
        all.filter(Self.isClosedByPeer).count
    }

    /// Closes and forgets the held connections the server has closed; returns how many.
    @discardableResult
    func dropClosedByServer() -> Int {
        let gone = fds.withLock { f in
            let gone = f.filter(Self.isClosedByPeer)
            f.removeAll { gone.contains($0) }
            return gone
        }
        for fd in gone { close(fd) }
        return gone.count
    }

    static func isClosedByPeer(_ fd: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 1)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) }
        if n == 0 { return true }
        return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK
    }

    /// Sends `bytes` on `fd`; false when the connection is gone.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Reads one HTTP response (head and a Content-Length body) from `fd` within `timeout`
    /// seconds, or what arrived before the connection closed.
    static func readResponse(_ fd: Int32, timeout: Double) -> [UInt8] {
        var tv = timeval(tv_sec: Int(timeout.rounded(.up)), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var out: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        let end = Date().addingTimeInterval(timeout)
        let separator = Array("\r\n\r\n".utf8)
        while Date() < end {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buffer[..<n]
            guard let split = (0...(max(0, out.count - 4))).first(where: { out.count >= 4 && Array(out[$0..<($0 + 4)]) == separator }) else {
                continue
            }
            let head = String(decoding: out[..<split], as: UTF8.self).lowercased()
            let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if out.count - (split + 4) >= length { break }
        }
        return out
    }

    /// Closes every held connection. Safe to call twice.
    func closeAll() {
        let all = fds.withLock { f in defer { f.removeAll() }; return f }
        for fd in all { close(fd) }
    }

    deinit { closeAll() }
}

/// A listening socket's accept queue, as the kernel reports it.
enum AcceptQueue {
    /// Connections waiting to be accepted on the IPv4 listener at `port`; nil where
    /// /proc/net/tcp is not there to say. The kernel lists listeners first, so only the
    /// head of the file is read, however many connections are open.
    static func length(port: UInt16) -> Int? {
        guard let file = FileHandle(forReadingAtPath: "/proc/net/tcp") else { return nil }
        defer { try? file.close() }
        let local = String(format: ":%04X", port)
        var pending = ""
        var header = true
        while let chunk = try? file.read(upToCount: 32 * 1024), !chunk.isEmpty {
            pending += String(decoding: chunk, as: UTF8.self)
            var lines = pending.split(separator: "\n", omittingEmptySubsequences: false)
            pending = String(lines.removeLast())
            for line in lines {
                if header { header = false; continue }
                // sl local_address rem_address st tx_queue:rx_queue …; a listener's rx_queue is
                // its accept queue.
                let fields = line.split(separator: " ")
                guard fields.count > 4 else { continue }
                guard fields[3] == "0A" else { return nil }
                if fields[1].hasSuffix(local) { return fields[4].split(separator: ":").last.flatMap { Int($0, radix: 16) } }
            }
        }
        return nil
    }
}

/// The test process's own descriptor limit.
enum TestFileLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit in force.
    static func raise() -> Int {
        var limits = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = raised.rlim_max
            if setrlimit(resource, &raised) == 0 { limits = raised }
        }
        return limits.rlim_cur > rlim_t(Int.max) ? Int.max : Int(limits.rlim_cur)
    }
}

/// A metric's value in Prometheus text, or nil when absent.
func metric(_ name: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
        if let value = line.split(separator: " ").last.flatMap({ Double($0) }) { return value }
    }
    return nil
}
