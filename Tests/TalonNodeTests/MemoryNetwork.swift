import Synchronization
@testable import TalonNode
import TalonRaft

/// Peer links between `Node`s of one process, in place of `PeerTransport`. Every frame goes
/// through its wire form (`PeerFrame.bytes`, `PeerFrame(bytes:)`) and `PeerEvent(_:from:to:)`,
/// as it would over TCP, and the test decides its fate: delivered, dropped on a cut link, or
/// held until released. Nothing depends on a clock: deliveries on one link keep their order,
/// and a held frame moves only when the test releases it.
final class MemoryNetwork: Sendable {
    /// One frame on its way from member `from` to member `to`.
    struct Delivery: Sendable, CustomStringConvertible {
        let from: NodeID
        let to: NodeID
        let frame: PeerFrame

        /// The Raft message it carries, if any.
        var message: Message? {
            if case .raft(let m) = frame { m } else { nil }
        }

        /// The request id of a forward or a forward reply.
        var request: UInt64? {
            switch frame {
            case .forward(let request, _), .forwardReply(let request, _): request
            default: nil
            }
        }

        var isForward: Bool { if case .forward = frame { true } else { false } }
        var isForwardReply: Bool { if case .forwardReply = frame { true } else { false } }

        var description: String {
            switch frame {
            case .raft(let m): "\(m)"
            case .forward(let r, let e): "forward \(from)→\(to) #\(r) \(e.count) envelopes"
            case .forwardReply(let r, let reply): "forward reply \(from)→\(to) #\(r) \(reply)"
            case .auth: "auth \(from)→\(to)"
            }
        }
    }

    private struct State {
        var inboxes: [NodeID: AsyncStream<PeerEvent>.Continuation] = [:]
        /// Directed links that drop everything.
        var cut: Set<[NodeID]> = []
        var holding: (@Sendable (Delivery) -> Bool)?
        var held: [Delivery] = []
        /// Every frame sent, whatever became of it.
        var sent: [Delivery] = []
        /// Frames a node sent that its peer would refuse: a bug, reported by `problems`.
        var problems: [String] = []

        /// Through the wire form and the transport's checks, into the addressee's stream.
        mutating func deliver(_ d: Delivery) {
            guard let inbox = inboxes[d.to] else { return }
            do {
                let frame = try PeerFrame(bytes: d.frame.bytes)
                guard frame == d.frame else {
                    problems.append("a frame changed on the wire: \(d)")
                    return
                }
                inbox.yield(try PeerEvent(frame, from: d.from, to: d.to))
            } catch {
                problems.append("a frame its peer refuses: \(d): \(error)")
            }
        }
    }

    /// The members' Raft ids.
    let members: [NodeID]
    private let state = Mutex(State())

    init(members: [NodeID]) { self.members = members }

    /// A fresh link for member `id`; a link attached earlier (a crashed run) gets nothing more.
    func attach(_ id: NodeID) -> MemoryLink {
        let (stream, sink) = AsyncStream.makeStream(of: PeerEvent.self)
        let old = state.withLock { s in
            defer { s.inboxes[id] = sink }
            return s.inboxes[id]
        }
        old?.finish()
        return MemoryLink(me: id, network: self, incoming: stream)
    }

    /// Stops delivering to member `id` (it crashed); what it sends still goes out.
    func detach(_ id: NodeID) {
        state.withLock { $0.inboxes.removeValue(forKey: id) }?.finish()
    }

    // MARK: - Faults

    /// Drops everything sent from `from` to `to` (one direction) until `heal()`.
    func cut(from: NodeID, to: NodeID) {
        _ = state.withLock { $0.cut.insert([from, to]) }
    }

    /// Drops everything to and from member `id` until `heal()`.
    func isolate(_ id: NodeID) {
        for other in members where other != id {
            cut(from: id, to: other)
            cut(from: other, to: id)
        }
    }

    /// Mends every cut link (held frames stay held).
    func heal() {
        state.withLock { $0.cut = [] }
    }

    /// From now on, frames that `predicate` picks wait until `release()`; replaces an earlier hold.
    func hold(where predicate: @escaping @Sendable (Delivery) -> Bool) {
        state.withLock { $0.holding = predicate }
    }

    /// Ends the hold and delivers what it kept, in the order sent (to links not cut).
    func release() {
        state.withLock { $0.holding = nil }
        release(where: { _ in true })
    }

    /// Delivers the held frames that `predicate` picks, in the order sent (to links not cut);
    /// the hold goes on.
    func release(where predicate: (Delivery) -> Bool) {
        state.withLock { s in
            let held = s.held
            s.held = []
            for d in held {
                if !predicate(d) {
                    s.held.append(d)
                } else if !s.cut.contains([d.from, d.to]) {
                    s.deliver(d)
                }
            }
        }
    }

    /// What nodes sent that a peer would refuse (empty unless a node has a bug).
    var problems: [String] { state.withLock { $0.problems } }

    /// Frames held now.
    var held: [Delivery] { state.withLock { $0.held } }

    /// Frames sent so far that `predicate` picks, delivered or not.
    func sent(where predicate: (Delivery) -> Bool = { _ in true }) -> [Delivery] {
        state.withLock { $0.sent.filter(predicate) }
    }

    /// Hands `event` to member `id` as if a member sent it, past cuts and holds: the test
    /// plays that member.
    func inject(_ event: PeerEvent, into id: NodeID) {
        _ = state.withLock { $0.inboxes[id]?.yield(event) }
    }

    // MARK: - Delivery

    fileprivate func send(_ delivery: Delivery) {
        state.withLock { s in
            s.sent.append(delivery)
            if s.cut.contains([delivery.from, delivery.to]) { return }
            if let holding = s.holding, holding(delivery) {
                s.held.append(delivery)
                return
            }
            s.deliver(delivery)
        }
    }
}

/// One member's end of a `MemoryNetwork`.
final class MemoryLink: PeerLink {
    let me: NodeID
    let network: MemoryNetwork
    let incoming: AsyncStream<PeerEvent>

    init(me: NodeID, network: MemoryNetwork, incoming: AsyncStream<PeerEvent>) {
        self.me = me
        self.network = network
        self.incoming = incoming
    }

    func send(_ message: Message) {
        network.send(.init(from: me, to: message.to, frame: .raft(message)))
    }

    func send(_ frame: PeerFrame, to peer: NodeID) {
        network.send(.init(from: me, to: peer, frame: frame))
    }
}
