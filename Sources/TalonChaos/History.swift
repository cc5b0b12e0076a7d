import Foundation
import Synchronization

/// What a client was told about one submission.
public enum Outcome: Sendable, Hashable, Codable {
    /// The node answered with a receipt: the envelope is at `leaf` of block `height`, applied
    /// with `result` (`ok` or a rejection code recorded in the block).
    case acknowledged(leaf: UInt64, height: UInt64, result: String)
    /// The node refused it and stored nothing (an HTTP status and problem code).
    case failed(status: Int, code: String)
    /// No answer: a timeout, a closed connection, a 503 after forwarding. It may or may not be
    /// in the ledger, but at most once. For a read: it constrains nothing.
    case unknown(reason: String)
    /// A read answered: the ticket's state, or nil when the node said it has no such ticket
    /// (404 `unknown_ticket`).
    case read(value: ReadValue?)
}

/// What a read of a ticket returned: the part of its state that the workload's writes change.
public struct ReadValue: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The holder's key, `ed25519:` text.
    public var holder: String
    /// The ownership sequence: 0 at issue, +1 on every transfer or resale.
    public var sequence: UInt64
    /// `active` or `redeemed` (the workload neither voids nor refunds).
    public var status: String

    public init(holder: String, sequence: UInt64, status: String) { self.holder = holder; self.sequence = sequence; self.status = status }
    public var description: String { "sequence \(sequence) \(status) holder \(holder.prefix(16))…" }
}

/// One client operation sent to one node, with when it was invoked and when the answer came
/// (milliseconds since the run started): a write (an envelope submitted) or a read of a ticket.
public struct Operation: Sendable, Hashable, Codable {
    public var id: Int
    /// The client that sent it: writer c is c, reader r is 1000 + r, and -1 the harness's own
    /// writes (the bootstrap, the probe).
    public var client: Int
    /// The member the client sent it to (`n1`).
    public var node: String
    /// `issue`, `transfer`, `list`, `buy`, `redeem`, `setup` (the bootstrap's other writes,
    /// the probe) or `read`.
    public var kind: String
    public var ticket: String
    /// SHA-256 of the envelope, hex; empty for a read.
    public var envelope: String
    public var invoked: Int
    public var completed: Int?
    public var outcome: Outcome?
    /// For a read: `linearizable` or `local`; nil for a write.
    public var consistency: String?

    public init(id: Int, client: Int, node: String, kind: String = "transfer", ticket: String, envelope: String,
                invoked: Int, completed: Int? = nil, outcome: Outcome? = nil, consistency: String? = nil) {
        self.id = id; self.client = client; self.node = node; self.kind = kind; self.ticket = ticket
        self.envelope = envelope; self.invoked = invoked; self.completed = completed; self.outcome = outcome
        self.consistency = consistency
    }

    /// True for a read of a ticket, false for a submitted envelope.
    public var isRead: Bool { kind == "read" }

    /// What a read returned, when it was answered: `.some(nil)` when the node had no such ticket.
    public var readValue: ReadValue?? {
        if case .read(let value) = outcome { return .some(value) }
        return nil
    }

    /// The receipt, when the submission was acknowledged.
    public var receipt: (leaf: UInt64, height: UInt64, result: String)? {
        if case .acknowledged(let leaf, let height, let result) = outcome { return (leaf, height, result) }
        return nil
    }
}

/// The operations of a run, recorded by concurrent clients: `invoke` before sending,
/// `complete` with what came back. An operation never completed counts as unknown.
public final class History: Sendable {
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private let ops: Mutex<[Operation]>

    public init(_ operations: [Operation] = []) {
        start = clock.now
        ops = Mutex(operations)
    }

    /// Milliseconds since the history began.
    public var now: Int { Int((clock.now - start) / .milliseconds(1)) }

    /// Records an invocation of a write (`envelope`'s hash) or of a read (`consistency` given,
    /// no envelope); returns its id.
    public func invoke(client: Int, node: String, kind: String, ticket: String, envelope: String = "",
                       consistency: String? = nil) -> Int {
        let at = now
        return ops.withLock { ops in
            ops.append(Operation(id: ops.count, client: client, node: node, kind: kind, ticket: ticket, envelope: envelope,
                                 invoked: at, consistency: consistency))
            return ops.count - 1
        }
    }

    /// Records what operation `id` was told.
    public func complete(_ id: Int, _ outcome: Outcome) {
        let at = now
        ops.withLock { ops in
            guard ops.indices.contains(id) else { return }
            ops[id].completed = at
            ops[id].outcome = outcome
        }
    }

    /// Every operation so far, in invocation order.
    public var operations: [Operation] { ops.withLock { $0 } }

    /// One JSON object per line, the history file a failing run keeps.
    public func jsonLines() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return operations.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) + "\n" }.joined()
    }

    /// Reads what `jsonLines()` wrote.
    /// - Throws: `DecodingError` for a line that is not an operation.
    public static func read(jsonLines text: String) throws -> [Operation] {
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { try decoder.decode(Operation.self, from: Data($0.utf8)) }
    }
}
