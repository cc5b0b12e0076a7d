/// Checks the reads of a history against the order in which the ledger applied each ticket's
/// changes: every read returned a state the ticket really had (`invented_value`), no read
/// returned a state before the write that made it was even sent (`future_read`), and every
/// linearizable read returned a state that was current at some instant between its
/// invocation and its completion (`stale_read`); writes themselves were applied in an order
/// real time allows (`write_order`).
///
/// ## The model
/// Each ticket is a register whose value is a `ReadValue` (holder, ownership sequence,
/// status), read with `GET /v1/tickets/{id}` and written by its issue, transfers, resales and
/// redeem. The ledger's record order is the order in which these writes took effect, and it
/// is known: the longest member's chain (the checker flags any other chain that is not a
/// prefix of it). Version 0 of a ticket is "not issued" (a read answered 404); version k is
/// the state after its k-th applied change (`LedgerSnapshot.versions`). Every value is a
/// distinct version (the sequence grows on each change of holder, and the redeem is last), so
/// a read's value names its version.
///
/// Write k takes effect at an instant p(k) with p(1) < p(2) < …, no sooner than the first
/// time its envelope was sent and no later than the first time a node acknowledged it with
/// a receipt. A write with no receipt (unknown outcome) may take effect any time after it was
/// sent, or never: those that never did are not in the ledger and change no version; writes
/// the ledger rejected (a receipt with another result than `ok`) change none either. A
/// linearizable read R that returned version k needs an instant t in [invoked(R),
/// completed(R)] with p(k) ≤ t < p(k+1), which holds iff p(k) ≤ completed(R) and
/// p(k+1) > invoked(R). Increasing instants p within those bounds exist iff no lower bound
/// of a version exceeds an upper bound of the same or a later version; each such pair is a
/// pair of operations, so the check is pairwise, and exact: the Wing & Gong search of
/// Porcupine or Knossos, with the write order fixed by the ledger, reduces to it.
///
/// - `stale_read`: a linearizable read returned version k although version j > k was known to
///   be in effect before the read began: write j was acknowledged, or a read (of any
///   consistency: a member serves only committed state) returned version j, before it.
/// - `future_read`: a read returned version k before write k (or an earlier one) was sent.
/// - `write_order`: write j was acknowledged before an earlier write in the ledger was sent.
/// - `invented_value`: a read returned a state that is no version of the ticket.
/// - `backward_read`: a member answered a read with an older version than one it had
///   answered before that read was sent (local reads may be stale, never going back).
/// Reads without an answer (timeouts, 5xx) constrain nothing. Local (non-linearizable) reads
/// are only checked for `invented_value` and `future_read`: they may be stale.
struct ReadCheck {
    /// An instant an operation fixes, and which operation.
    private struct Bound {
        var at: Int
        var op: Int
        var what: String
    }

    let history: [Operation]
    /// The longest ledger's versions, in ledger order.
    let versions: [LedgerSnapshot.Version]

    func anomalies() -> [Anomaly] {
        var sent: [String: Bound] = [:], acknowledged: [String: Bound] = [:]
        for op in history where !op.isRead && !op.envelope.isEmpty {
            if sent[op.envelope].map({ op.invoked < $0.at }) ?? true {
                sent[op.envelope] = Bound(at: op.invoked, op: op.id, what: "\(op.kind) op \(op.id) (sent at \(op.invoked))")
            }
            if op.receipt != nil, let done = op.completed, acknowledged[op.envelope].map({ done < $0.at }) ?? true {
                acknowledged[op.envelope] = Bound(at: done, op: op.id, what: "\(op.kind) op \(op.id) (acknowledged at \(done))")
            }
        }
        var byTicket: [String: [LedgerSnapshot.Version]] = [:]
        for v in versions { byTicket[v.ticket, default: []].append(v) }
        var reads: [String: [Operation]] = [:]
        for op in history where op.isRead { reads[op.ticket, default: []].append(op) }

        var found: [Anomaly] = []
        for ticket in Set(byTicket.keys).union(reads.keys).sorted() {
            found += check(ticket, versions: byTicket[ticket] ?? [], reads: reads[ticket] ?? [], sent: sent, acknowledged: acknowledged)
        }
        return found
    }

    private func check(_ ticket: String, versions: [LedgerSnapshot.Version], reads: [Operation], sent: [String: Bound],
                       acknowledged: [String: Bound]) -> [Anomaly] {
        var found: [Anomaly] = []
        let n = versions.count
        // Each answered read with the version it returned.
        var answered: [(op: Operation, version: Int, done: Int)] = []
        for op in reads {
            guard let value = op.readValue, let done = op.completed else { continue }
            guard let version = value.map({ v in versions.firstIndex { $0.value == v }.map { $0 + 1 } }) ?? 0 else {
                found.append(Anomaly("invented_value", "ticket \(ticket): read op \(op.id) (\(op.node), \(op.consistency ?? "?")) returned "
                                     + "\(value.map(\.description) ?? "no ticket"), which no ledger version of it holds"))
                continue
            }
            answered.append((op, version, done))
        }
        // latest[j]: the earliest instant by which version j, or a later one, was known to be in
        // effect (an acknowledgement or a read's answer); firstSent[k]: the latest instant at
        // which write 1…k was sent.
        var latest = [Bound?](repeating: nil, count: n + 2)
        func earlier(_ a: Bound?, _ b: Bound?) -> Bound? {
            guard let a else { return b }
            guard let b else { return a }
            return b.at < a.at ? b : a
        }
        for (j, v) in versions.enumerated() { latest[j + 1] = acknowledged[v.envelope] }
        for r in answered where r.version > 0 {
            let value = r.op.readValue.flatMap { $0 }.map(\.description) ?? ""
            latest[r.version] = earlier(latest[r.version], Bound(at: r.done, op: r.op.id,
                                                                   what: "read op \(r.op.id) (\(r.op.node), \(r.op.consistency ?? "?"), answered at \(r.done): \(value))"))
        }
        if n > 0 { for j in stride(from: n - 1, through: 1, by: -1) { latest[j] = earlier(latest[j], latest[j + 1]) } }
        var sentBy = [Bound?](repeating: nil, count: n + 1)
        for (j, v) in versions.enumerated() {
            let s = sent[v.envelope]
            sentBy[j + 1] = [sentBy[j], s].compactMap { $0 }.max { $0.at < $1.at }
        }

        for r in answered {
            if r.op.consistency == "linearizable", r.version < n, let newer = latest[r.version + 1], newer.at < r.op.invoked {
                found.append(Anomaly("stale_read", "ticket \(ticket): linearizable read op \(r.op.id) (\(r.op.node), invoked at "
                                     + "\(r.op.invoked)) returned version \(r.version) of \(n), but a later one was in effect before: \(newer.what)"))
            } else if r.version > 0, let write = sentBy[r.version], write.at > r.done {
                found.append(Anomaly("future_read", "ticket \(ticket): read op \(r.op.id) (\(r.op.node), answered at \(r.done)) "
                                     + "returned version \(r.version), written by an envelope sent later: \(write.what)"))
            }
        }
        found += backwardReads(ticket, answered)
        for (j, v) in versions.enumerated() {
            if let ack = acknowledged[v.envelope], let write = sentBy[j + 1], write.at > ack.at {
                found.append(Anomaly("write_order", "ticket \(ticket): version \(j + 1) (\(v.kind)) was acknowledged by \(ack.what), "
                                     + "before an earlier version's envelope was sent: \(write.what)"))
            }
        }
        return found
    }

    /// `backward_read`: a read (of either consistency) that a member answered with an older
    /// version than a read it had answered before this one was sent. A member serves its
    /// applied state, which only grows, through restarts too (every apply is synced).
    private func backwardReads(_ ticket: String, _ answered: [(op: Operation, version: Int, done: Int)]) -> [Anomaly] {
        var found: [Anomaly] = []
        for node in Set(answered.map(\.op.node)).sorted() {
            let reads = answered.filter { $0.op.node == node }
            let byInvocation = reads.sorted { $0.op.invoked < $1.op.invoked }
            let byCompletion = reads.sorted { $0.done < $1.done }
            var next = 0
            var newest: (op: Operation, version: Int, done: Int)?
            for r in byInvocation {
                while next < byCompletion.count, byCompletion[next].done < r.op.invoked {
                    if byCompletion[next].version > newest?.version ?? -1 { newest = byCompletion[next] }
                    next += 1
                }
                if let newest, newest.version > r.version {
                    found.append(Anomaly("backward_read", "ticket \(ticket): \(node) answered read op \(r.op.id) (invoked at \(r.op.invoked)) "
                                         + "with version \(r.version) after answering read op \(newest.op.id) with version \(newest.version) at \(newest.done)"))
                }
            }
        }
        return found
    }
}
