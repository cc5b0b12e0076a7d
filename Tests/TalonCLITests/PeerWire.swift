import Foundation
import Synchronization
import TalonProtocol
import TalonLedger
import TalonNode
import TalonRaft
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A blocking TCP connection to a node's peer port, for tests that speak the peer protocol
/// byte by byte as an attacker (or a recording of a member) would. Use it on a thread of its
/// own (`onOwnThread`).
final class PeerWire: @unchecked Sendable {
    // @unchecked: used by one thread at a time.
    let fd: Int32
    private var decoder = FrameDecoder()

    init(port: Int) throws {
        fd = IPv4.tcpSocket()
        guard fd >= 0, let port = UInt16(exactly: port) else { throw SandboxError("socket: errno \(errno)") }
        guard IPv4.withAddress("127.0.0.1", port, { connect(fd, $0, $1) }) == 0 else {
            Glibc.close(fd)
            throw SandboxError("connect to peer port \(port): errno \(errno)")
        }
    }

    deinit { Glibc.close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw SandboxError("send: errno \(errno)") }
            sent += n
        }
    }

    /// The next frame's bytes after its length; nil when the node closed the connection.
    /// - Throws: when nothing complete arrives within `timeout` seconds.
    func frame(timeout: Double = 5) throws -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let frame = try decoder.next() { return frame }
            guard let chunk = try read(until: deadline) else { return nil }
            decoder.append(chunk)
        }
    }

    /// True when the node closes the connection within `timeout` seconds (whatever it sends first is dropped).
    func closes(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                guard try read(until: deadline) != nil else { return true }
            } catch {
                return false
            }
        }
    }

    /// Bytes that arrive before `deadline`, or nil at the end of the stream (or a reset).
    private func read(until deadline: Date) throws -> [UInt8]? {
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else { throw SandboxError("nothing from the node in time") }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(left * 1000) + 1) > 0 else { throw SandboxError("nothing from the node in time") }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n > 0 ? Array(buffer[..<n]) : nil
    }
}

/// A TCP proxy in front of a member's peer port, as an attacker on the path: it passes
/// bytes both ways and can add a frame of its own to the first connection it carries.
final class PeerProxy: @unchecked Sendable {
    // @unchecked: `listener` is set once; the rest is under `state`'s lock.
    let port: Int
    private let target: Int
    private let listener: Int32
    private let state = Mutex<(injected: Bool, sockets: [Int32], stopped: Bool, closedAfterInjection: Bool)>((false, [], false, false))

    /// Listens on `port` and forwards to `target`; with `injectReplay`, the first connection
    /// that carries a transport frame after the initiator's auth gets that frame a second time.
    init(port: Int, target: Int, injectReplay: Bool) throws {
        self.port = port
        self.target = target
        listener = IPv4.tcpSocket()
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard let p = UInt16(exactly: port), IPv4.withAddress("127.0.0.1", p, { bind(listener, $0, $1) }) == 0,
              listen(listener, 64) == 0 else {
            Glibc.close(listener)
            throw SandboxError("proxy cannot listen on \(port): errno \(errno)")
        }
        if !injectReplay { state.withLock { $0.injected = true } }
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// True once the member closed the connection the replayed frame went into.
    var memberClosedTheTamperedConnection: Bool { state.withLock { $0.closedAfterInjection } }
    var injected: Bool { state.withLock { $0.injected } }

    func stop() {
        let sockets = state.withLock { s -> [Int32] in
            s.stopped = true
            return s.sockets
        }
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
        for fd in sockets { shutdown(fd, Int32(SHUT_RDWR)) }
        Thread.sleep(forTimeInterval: 0.1)  // the pumps see the shutdown and return
        for fd in sockets { Glibc.close(fd) }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = IPv4.tcpSocket()
            guard let p = UInt16(exactly: target), IPv4.withAddress("127.0.0.1", p, { connect(server, $0, $1) }) == 0 else {
                Glibc.close(client)
                Glibc.close(server)
                continue
            }
            let stopped = state.withLock { s -> Bool in
                s.sockets += [client, server]
                return s.stopped
            }
            if stopped { Glibc.close(client); Glibc.close(server); return }
            let link = Link()
            Thread { [self] in pumpFromInitiator(client, server, link) }.start()
            Thread { [self] in pumpFromMember(server, client, link) }.start()
        }
    }

    /// One proxied connection: whether a frame was added to it, and whether the proxy itself
    /// is closing it (so a close seen afterwards is not the member's).
    private final class Link: Sendable {
        let tampered = Atomic(false)
        let closingFromInitiator = Atomic(false)
    }

    /// Member to initiator: bytes as they come. When the member closes, so does the proxy.
    private func pumpFromMember(_ from: Int32, _ to: Int32, _ link: Link) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                if link.tampered.load(ordering: .sequentiallyConsistent) && !link.closingFromInitiator.load(ordering: .sequentiallyConsistent) {
                    state.withLock { $0.closedAfterInjection = true }
                }
                break
            }
            if buffer[..<n].withUnsafeBytes({ Glibc.send(to, $0.baseAddress, n, Int32(MSG_NOSIGNAL)) }) != n { break }
        }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
    }

    /// Initiator to responder, cut into frames: hello, auth, then transport frames; the first
    /// transport frame of the chosen connection is sent twice.
    private func pumpFromInitiator(_ from: Int32, _ to: Int32, _ link: Link) {
        var decoder = FrameDecoder()
        var frames = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        outer: while true {
            let n = buffer.withUnsafeMutableBytes { recv(from, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            decoder.append(buffer[..<n])
            do {
                while let body = try decoder.next() {
                    frames += 1
                    var out = FrameDecoder.framed(body)
                    if frames == 3, state.withLock({ s in defer { s.injected = true }; return !s.injected }) {
                        out += out
                        link.tampered.store(true, ordering: .sequentiallyConsistent)
                    }
                    if out.withUnsafeBytes({ Glibc.send(to, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) != out.count { break outer }
                }
            } catch {
                break
            }
        }
        if !link.tampered.load(ordering: .sequentiallyConsistent) { link.closingFromInitiator.store(true, ordering: .sequentiallyConsistent) }
        shutdown(from, Int32(SHUT_RDWR))
        shutdown(to, Int32(SHUT_RDWR))
    }
}

extension LocalCluster {
    /// The genesis members, as the nodes derive them.
    func members() throws -> ClusterMembers { ClusterMembers(try GenesisFile(path: chain.genesis)) }

    /// Member `i`'s real peer transport, run in this process with `i`'s key on `i`'s peer
    /// port (its node process must not be running), linked to every other member; the task
    /// runs it until cancelled.
    func memberTransport(_ i: Int) async throws -> (transport: PeerTransport, running: Task<Void, Never>) {
        var addresses: [NodeID: (host: String, port: Int)] = [:]
        for other in nodes where other != i { addresses[NodeID(other)] = ("127.0.0.1", peerBase + other - 1) }
        let transport = PeerTransport(members: try members(), me: NodeID(i), key: try SigningKey.load(from: sandbox.path("net/keys/n\(i).key")),
                                      addresses: addresses)
        let listener = try await PeerTransport.bind(host: "127.0.0.1", port: peerBase + i - 1)
        return (transport, Task { await transport.run(listener) })
    }
}
