import TalonProtocol
import TalonStore

/// A ticket's history — the leaves of every record naming it — kept beside its state in
/// `tickets`, as runs of up to `leavesPerRun` leaves under keys that sort right after the
/// state's: a transfer rewrites its ticket's state and the last run of its history on the
/// same B-tree page, one random page instead of two, and a run costs 8 bytes per leaf.
/// Runs are bounded so that a ticket moved back and forth many times never makes one write
/// larger than a run.
enum TicketHistory {
    static let leavesPerRun = 64

    /// Appends `leaf`, which is greater than every leaf in the ticket's history.
    static func append(_ txn: Transaction, _ tickets: Table, ticket: String, leaf: UInt64) throws {
        // The greatest key up to the last possible run's is the ticket's last run, if it has
        // one; otherwise a key before its runs (its state's, which sorts first).
        let lastPossible = Schema.ticketRunKey(ticket, run: .max)
        guard let last = try txn.floor(tickets, lastPossible), last.key.count == lastPossible.count,
              last.key.starts(with: lastPossible.dropLast(4)) else {
            try txn.put(tickets, Schema.ticketRunKey(ticket, run: 0), Schema.u64(leaf))
            return
        }
        guard let run = Schema.trailingRun(last.key), last.value.count % 8 == 0, !last.value.isEmpty else {
            throw TalonError(.storeCorrupt, "ticket \(ticket): a history run is damaged")
        }
        if last.value.count < 8 * leavesPerRun {
            var leaves = last.value
            leaves.appendBigEndian(leaf)
            try txn.put(tickets, last.key, leaves)
        } else {
            try txn.put(tickets, Schema.ticketRunKey(ticket, run: run &+ 1), Schema.u64(leaf))
        }
    }

    /// The first `limit` leaves of the ticket's history after `after` (from the first when
    /// nil), oldest first.
    static func leaves(_ txn: Transaction, _ tickets: Table, ticket: String, after: UInt64? = nil, limit: Int) throws -> [UInt64] {
        var out: [UInt64] = []
        guard limit > 0 else { return out }
        try txn.scan(tickets, prefix: Schema.ticketRunPrefix(ticket)) { _, v in
            guard v.count % 8 == 0 else { throw TalonError(.storeCorrupt, "ticket \(ticket): a history run is damaged") }
            for start in stride(from: 0, to: v.count, by: 8) {
                guard let leaf = Schema.u64(v[start..<start + 8]) else { continue }
                if let after, leaf <= after { continue }
                out.append(leaf)
                if out.count == limit { return false }
            }
            return true
        }
        return out
    }
}
