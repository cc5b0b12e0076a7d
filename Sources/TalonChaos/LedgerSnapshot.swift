public import TalonProtocol
import TalonLedger

/// What the checker needs of one member's ledger after a run, read from its store.
public struct LedgerSnapshot: Sendable, Hashable, Codable {
    /// One change of holder, derived from the ledger's records.
    public struct Holding: Sendable, Hashable, Codable {
        public var ticket: String
        /// The ownership sequence: 0 at issue, +1 on each applied transfer.
        public var sequence: UInt64
        public var holder: String
        public init(ticket: String, sequence: UInt64, holder: String) { self.ticket = ticket; self.sequence = sequence; self.holder = holder }
    }

    public var node: String
    /// Block hashes (hex) by height, from height 1.
    public var blocks: [String]
    /// Envelope hashes (hex) by leaf.
    public var leaves: [String]
    /// Every holder at every sequence, as the records say.
    public var holdings: [Holding]
    /// Tickets whose stored state (holder, sequence) differs from the one its records lead to.
    public var stateMismatches: [String]
    /// Why `Ledger.verify` failed, or nil when it passed.
    public var verifyFailure: String?

    public init(node: String, blocks: [String], leaves: [String], holdings: [Holding] = [], stateMismatches: [String] = [],
                verifyFailure: String? = nil) {
        self.node = node; self.blocks = blocks; self.leaves = leaves; self.holdings = holdings
        self.stateMismatches = stateMismatches; self.verifyFailure = verifyFailure
    }

    /// Reads the store at `path` (no node may have it open for writing): every block and
    /// record, the holders derived from issues and applied transfers, and a full verify with
    /// replay. Only issues and transfers move tickets in the chaos workload; a ledger with
    /// resales would need those too.
    /// - Throws: `TalonError` when the store cannot be opened or read.
    public static func read(node: String, store path: String) throws(TalonError) -> LedgerSnapshot {
        let ledger = try Ledger(existingAt: path)
        let head = try ledger.head()
        var blocks: [String] = [], leaves: [String] = []
        var holdings: [Holding] = [], current: [String: (sequence: UInt64, holder: String)] = [:]
        if head.height > 0 {
            for height in 1...head.height {
                guard let (block, records) = try ledger.blockRecords(height: height) else { continue }
                blocks.append(block.hash.hex)
                for record in records {
                    leaves.append(record.hash.hex)
                    guard record.receipt.result == "ok" else { continue }
                    switch record.envelope.operation {
                    case .issue(let issue):
                        for t in issue.tickets {
                            current[t.ticketID] = (0, t.holder.text)
                            holdings.append(Holding(ticket: t.ticketID, sequence: 0, holder: t.holder.text))
                        }
                    case .transfer(let transfer):
                        let next = (current[transfer.ticketID]?.sequence ?? 0) + 1
                        current[transfer.ticketID] = (next, transfer.to.text)
                        holdings.append(Holding(ticket: transfer.ticketID, sequence: next, holder: transfer.to.text))
                    default:
                        break
                    }
                }
            }
        }
        var mismatches: [String] = []
        for (ticket, derived) in current.sorted(by: { $0.key < $1.key }) {
            let stored = try ledger.ticket(ticket)
            if stored?.sequence != derived.sequence || stored?.holder.text != derived.holder {
                mismatches.append(ticket)
            }
        }
        let report = try ledger.verify(replay: true)
        let failure = report.failure.map { "height \($0.height)\($0.leaf.map { " leaf \($0)" } ?? ""): \($0.message)" }
        return LedgerSnapshot(node: node, blocks: blocks, leaves: leaves, holdings: holdings, stateMismatches: mismatches,
                              verifyFailure: failure)
    }
}
