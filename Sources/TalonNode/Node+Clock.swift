import Foundation

extension Node.Options {
    /// Milliseconds since the epoch by this node's wall clock, shifted by `clockOffset`: the
    /// one wall-clock reading in the node, the time the leader stamps a batch with. The
    /// ledger raises a block's time to its predecessor's (`Ledger.apply`), so a leader whose
    /// clock is behind the last leader's never makes time go back.
    public func wallClock() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded()) + Int64(clockOffset / .milliseconds(1))
    }
}
