import Foundation
import Synchronization
import TalonProtocol
import TalonRaft

/// What the chaos clients do: writers that issue, transfer, list, buy and redeem tickets, and
/// readers that read tickets linearizably and locally, each through member after member
/// (partitioned and paused ones too), recording every operation in the `History`.
///
/// Bootstrap: one event (`CHAOS`) with room for every ticket the run can issue, two gates
/// registered for it, and one ticket per writer (`T-1`…). Writer `c` then works on one ticket
/// at a time, held by one of its three keys, choosing with a generator seeded from the run's
/// seed and `c`: transfer it to another of its keys, list it for resale, buy its listing with
/// another key, or redeem it, with both gates at once through two members (at most one of
/// the two may succeed; the other is recorded `already_redeemed`). A redeemed ticket is done:
/// the issuer issues the writer a new one. After any answer that is not `ok`, the writer
/// learns the ticket's state with a linearizable read (retrying through the next members)
/// before going on. The choices are the seed's; what the cluster answers, and so the history,
/// depends on timing.
struct Workload: Sendable {
    static let eventID = "CHAOS"
    /// Holder keys per writer.
    static let keysPerWriter = 3

    let chainID: String
    let issuer: SigningKey
    let gates: [SigningKey]
    /// `keys[c]`: writer c's holder keys.
    let keys: [[SigningKey]]
    let seed: UInt64
    let startsAt: Int64
    let board: TicketBoard

    init(chainID: String, issuer: SigningKey, writers: Int, seed: UInt64) {
        self.chainID = chainID
        self.issuer = issuer
        self.seed = seed
        gates = [SigningKey.generate(), SigningKey.generate()]
        keys = (0..<writers).map { _ in (0..<Self.keysPerWriter).map { _ in SigningKey.generate() } }
        startsAt = Int64(Date().timeIntervalSince1970 * 1000) + 30 * 86_400_000
        board = TicketBoard(first: (0..<writers).map { "T-\($0 + 1)" })
    }

    /// The writes before the clients start, in order, each with its kind: the event, its gates
    /// and one ticket per writer, held by the writer's first key.
    var bootstrap: [(kind: String, envelope: Envelope)] {
        let event = Envelope(chainID: chainID, nonce: 1, operation: .createEvent(CreateEvent(
            eventID: Self.eventID, name: "Chaos", venue: "Loopback", startsAt: startsAt, doorsOpenAt: startsAt - 3_600_000,
            capacity: UInt32.max, currency: "EUR")), signedBy: issuer)
        let registrations = gates.enumerated().map { g, gate in
            Envelope(chainID: chainID, nonce: 2 + UInt64(g), operation: .registerGate(RegisterGate(
                eventID: Self.eventID, gate: gate.publicKey, name: "Gate \(g + 1)", sections: [])), signedBy: issuer)
        }
        let issue = Envelope(chainID: chainID, nonce: 10, operation: .issue(IssueTickets(eventID: Self.eventID, tickets: keys.indices.map {
            TicketSpec(ticketID: "T-\($0 + 1)", section: "A", seat: "\($0 + 1)", faceValue: 1000, holder: keys[$0][0].publicKey)
        })), signedBy: issuer)
        return [("setup", event)] + registrations.map { ("setup", $0) } + [("issue", issue)]
    }

    /// A write after the faults, to see the cluster serve again: a new event.
    var probe: Envelope {
        Envelope(chainID: chainID, nonce: 11, operation: .createEvent(CreateEvent(
            eventID: "CHAOS-PROBE", name: "Probe", venue: "Loopback", startsAt: startsAt, doorsOpenAt: startsAt, capacity: 1,
            currency: "EUR")), signedBy: issuer)
    }

    // MARK: - Writers

    /// What writer `c` believes of its ticket.
    private struct Held {
        var ticket: String
        var holder: Int
        var sequence: UInt64 = 0
        /// The price it is listed at by its holder, when known to be.
        var listed: UInt64?
        var redeemed = false
    }

    /// Writer `c` until `stopped()`.
    func writer(_ c: Int, _ api: ChaosClient, _ history: History, stopped: @Sendable () -> Bool) async {
        var rng = SplitMix64(seed: seed ^ (0xC0FF_EE00 &+ UInt64(c) &* 0x9E37_79B9_7F4A_7C15))
        let keys = self.keys[c]
        var held: Held? = Held(ticket: "T-\(c + 1)", holder: 0)
        var turn = c, nonce: UInt64 = 0, issued = 0
        // Nonces of the shared issuer and gate keys: a range per writer.
        var sharedNonce = UInt64(c + 1) << 32
        func next() -> Int { defer { turn += 1 }; return turn % api.apiPorts.count }

        while !stopped() {
            nonce += 1
            guard var t = held, !t.redeemed else {
                // A new ticket for this writer, from the issuer.
                issued += 1
                sharedNonce += 1
                let id = "C\(c + 1)-\(issued)"
                let holder = Int.random(in: 0..<keys.count, using: &rng)
                let envelope = Envelope(chainID: chainID, nonce: sharedNonce, operation: .issue(IssueTickets(eventID: Self.eventID, tickets: [
                    TicketSpec(ticketID: id, section: "A", seat: id, faceValue: 1000, holder: keys[holder].publicKey)])), signedBy: issuer)
                board.add(id, writer: c)
                if await submit("issue", id, envelope, to: next(), c, api, history) == "ok" {
                    held = Held(ticket: id, holder: holder)
                } else {
                    held = await learn(id, c, keys, api, history, turn: &turn, stopped: stopped)
                }
                continue
            }
            let other = (t.holder + 1 + Int.random(in: 0..<(keys.count - 1), using: &rng)) % keys.count
            let roll = Int.random(in: 0..<100, using: &rng)
            let result: String?
            if let price = t.listed, roll < 50 {
                let envelope = Envelope(chainID: chainID, nonce: nonce, operation: .buyResale(BuyResale(
                    ticketID: t.ticket, price: price, fees: 0)), signedBy: keys[other])
                result = await submit("buy", t.ticket, envelope, to: next(), c, api, history)
                if result == "ok" { t.holder = other; t.sequence += 1; t.listed = nil }
            } else if roll < 55 {
                let price = UInt64(Int.random(in: 500...2000, using: &rng))
                let envelope = Envelope(chainID: chainID, nonce: nonce, operation: .listResale(ListResale(
                    ticketID: t.ticket, price: price, fees: 0)), signedBy: keys[t.holder])
                result = await submit("list", t.ticket, envelope, to: next(), c, api, history)
                if result == "ok" { t.listed = price }
            } else if roll < 88 {
                let envelope = Envelope(chainID: chainID, nonce: nonce, operation: .transfer(Transfer(
                    ticketID: t.ticket, to: keys[other].publicKey)), signedBy: keys[t.holder])
                result = await submit("transfer", t.ticket, envelope, to: next(), c, api, history)
                if result == "ok" { t.holder = other; t.sequence += 1; t.listed = nil }
            } else {
                // Both gates scan the same pass at once, through two members.
                sharedNonce += 1
                let scannedAt = Int64(Date().timeIntervalSince1970 * 1000)
                let redeems = gates.map { gate in
                    Envelope(chainID: chainID, nonce: sharedNonce, operation: .redeem(Redeem(
                        ticketID: t.ticket, sequence: t.sequence, scannedAt: scannedAt)), signedBy: gate)
                }
                let (a, b) = (next(), next())
                let ticket = t.ticket
                async let first = submit("redeem", ticket, redeems[0], to: a, c, api, history)
                async let second = submit("redeem", ticket, redeems[1], to: b, c, api, history)
                let results = await [first, second]
                result = results.contains("ok") ? "ok" : results.compactMap { $0 }.first
                if result == "ok" { t.redeemed = true }
            }
            if result == "ok" {
                held = t
            } else {
                // Not known to have happened, or rejected on a state the writer did not know.
                try? await Task.sleep(for: .milliseconds(50))
                held = await learn(t.ticket, c, keys, api, history, turn: &turn, stopped: stopped)
            }
        }
    }

    /// Submits and records one write; returns the receipt's result, nil without a receipt.
    private func submit(_ kind: String, _ ticket: String, _ envelope: Envelope, to node: Int, _ c: Int, _ api: ChaosClient,
                        _ history: History) async -> String? {
        let id = history.invoke(client: c, node: "n\(node + 1)", kind: kind, ticket: ticket, envelope: envelope.hash.hex)
        let outcome = await api.submit(envelope, to: node)
        history.complete(id, outcome)
        if case .acknowledged(_, _, let result) = outcome { return result }
        return nil
    }

    /// The ticket's state, read linearizably through member after member until one answers;
    /// nil when it does not exist (or the run stopped first).
    private func learn(_ ticket: String, _ c: Int, _ keys: [SigningKey], _ api: ChaosClient, _ history: History,
                       turn: inout Int, stopped: @Sendable () -> Bool) async -> Held? {
        while !stopped() {
            let node = turn % api.apiPorts.count
            turn += 1
            let id = history.invoke(client: c, node: "n\(node + 1)", kind: "read", ticket: ticket, consistency: "linearizable")
            let outcome = await api.read(ticket, at: node, linearizable: true)
            history.complete(id, outcome)
            if case .read(let value) = outcome {
                guard let value, let holder = keys.firstIndex(where: { $0.publicKey.text == value.holder }) else { return nil }
                return Held(ticket: ticket, holder: holder, sequence: value.sequence, redeemed: value.status != "active")
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return nil
    }

    // MARK: - Readers

    /// Reader `r` until `stopped()`: a ticket some writer works on now (or, one time in five,
    /// any ticket issued so far), linearizably seven times in ten, through member after member.
    func reader(_ r: Int, _ api: ChaosClient, _ history: History, stopped: @Sendable () -> Bool) async {
        var rng = SplitMix64(seed: seed ^ (0x5EAD_0000 &+ UInt64(r) &* 0x9E37_79B9_7F4A_7C15))
        var turn = r
        while !stopped() {
            let node = turn % api.apiPorts.count
            turn += 1
            let ticket = board.pick(any: Int.random(in: 0..<5, using: &rng) == 0, &rng)
            let linearizable = Int.random(in: 0..<10, using: &rng) < 7
            let id = history.invoke(client: 1000 + r, node: "n\(node + 1)", kind: "read", ticket: ticket,
                                    consistency: linearizable ? "linearizable" : "local")
            history.complete(id, await api.read(ticket, at: node, linearizable: linearizable))
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// The tickets the writers work on, for the readers to pick from.
final class TicketBoard: Sendable {
    private struct Tickets {
        var current: [String]
        var all: [String]
    }
    private let tickets: Mutex<Tickets>

    init(first: [String]) { tickets = Mutex(Tickets(current: first, all: first)) }

    /// `ticket` is writer `c`'s ticket from now on.
    func add(_ ticket: String, writer c: Int) {
        tickets.withLock { t in
            if t.current.indices.contains(c) { t.current[c] = ticket }
            t.all.append(ticket)
        }
    }

    /// A writer's current ticket, or with `any` one of every ticket so far.
    func pick(any: Bool, _ rng: inout SplitMix64) -> String {
        tickets.withLock { t in
            let from = any ? t.all : t.current
            return from.isEmpty ? "T-1" : from[Int.random(in: 0..<from.count, using: &rng)]
        }
    }
}
