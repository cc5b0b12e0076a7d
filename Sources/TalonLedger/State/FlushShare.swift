/// Which member of a cluster a ledger belongs to, so that the members write their bulk
/// indexes (`RecentLeafKeys`) at different blocks: each flush stalls its member for tens of
/// milliseconds, and members that flushed in the same block, on the same cores, would stall
/// the cluster together. Only where a flush falls depends on it; what the ledger holds and
/// answers does not.
public struct FlushShare: Sendable, Hashable {
    /// The member's place among `count`, from 0.
    public let position: Int
    /// How many members the cluster has.
    public let count: Int

    /// A ledger with no peers: it flushes at multiples of the flush size.
    public static let alone = FlushShare(position: 0, of: 1)

    /// Member `position` (from 0) of `count`; out-of-range values are brought into range.
    public init(position: Int, of count: Int) {
        self.count = max(1, count)
        self.position = min(max(0, position), self.count - 1)
    }

    /// Where in each run of `run` leaves this member flushes: `position / count` of the way.
    func offset(in run: UInt64) -> UInt64 { run * UInt64(position) / UInt64(count) }
}
