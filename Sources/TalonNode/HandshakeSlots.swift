import NIOCore
import Synchronization

/// The inbound peer connections still in their handshake, bounded so that a crowd of silent
/// or slow sockets cannot keep a member out:
/// - from one address at most `perAddress`: a newcomer from an address at its limit closes
///   that address's oldest pending connection (an address can only crowd out itself);
/// - in all at most `limit` (member addresses as the genesis writes them, e.g. `10.0.0.2`): past it, the oldest pending connection from an address that no
///   genesis member uses makes way; when there is none, a newcomer from a member's address
///   closes the oldest pending one, and a newcomer from elsewhere is refused.
/// A member completes its handshake in a few round trips, so it always gets through a flood
/// of connections that do not.
final class HandshakeSlots: Sendable {
    private struct Pending {
        let host: String
        let channel: any Channel
    }

    private let limit: Int
    private let perAddress: Int
    private let memberHosts: Set<String>
    // Keys increase with arrival, so the smallest key of a group is its oldest.
    private let state = Mutex<(next: UInt64, pending: [UInt64: Pending])>((0, [:]))

    init(limit: Int, perAddress: Int, memberHosts: Set<String>) {
        self.limit = max(1, limit)
        self.perAddress = max(1, perAddress)
        self.memberHosts = memberHosts
    }

    /// Takes a slot for `channel`, closing the connection that makes way if any; nil when
    /// `channel` is refused.
    func admit(_ channel: any Channel) -> UInt64? {
        let host = channel.remoteAddress?.ipAddress ?? "?"
        let isMember = memberHosts.contains(host)
        var evicted: [any Channel] = []
        let slot = state.withLock { s -> UInt64? in
            let fromHost = s.pending.filter { $0.value.host == host }
            if fromHost.count >= perAddress, let oldest = fromHost.keys.min(), let gone = s.pending.removeValue(forKey: oldest) {
                evicted.append(gone.channel)
            }
            if s.pending.count >= limit {
                let outsiders = s.pending.filter { !memberHosts.contains($0.value.host) }
                if let oldest = outsiders.keys.min() ?? (isMember ? s.pending.keys.min() : nil),
                   let gone = s.pending.removeValue(forKey: oldest) {
                    evicted.append(gone.channel)
                } else {
                    return nil
                }
            }
            s.next += 1
            s.pending[s.next] = Pending(host: host, channel: channel)
            return s.next
        }
        for channel in evicted { channel.close(promise: nil) }
        return slot
    }

    /// Gives the slot back (the handshake finished or the connection closed).
    func release(_ slot: UInt64) {
        _ = state.withLock { $0.pending.removeValue(forKey: slot) }
    }

    /// Connections in their handshake now.
    var count: Int { state.withLock { $0.pending.count } }
}
