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

    /// One applied change of a ticket's state (`ReadValue`), in ledger order: its issue,
    /// each transfer or resale, its redeem. A ticket's k-th change gives its version k (version
    /// 0: not issued yet), the register the checker holds reads against.
    public struct Version: Sendable, Hashable, Codable {
        public var ticket: String
        /// The envelope that made the change (hash, hex) and its kind: `issue`, `transfer`,
        /// `buy`, `redeem`.
        public var envelope: String
        public var kind: String
        /// The ticket's state after it.
        public var value: ReadValue
        public init(ticket: String, envelope: String, kind: String, value: ReadValue) {
            self.ticket = ticket; self.envelope = envelope; self.kind = kind; self.value = value
        }
    }

    public var node: String
    /// Block hashes (hex) by height, from height 1.
    public var blocks: [String]
    /// Envelope hashes (hex) by leaf.
    public var leaves: [String]
    /// Every holder at every sequence, as the records say.
    public var holdings: [Holding]
    /// Every applied change of a ticket, in ledger order.
    public var versions: [Version]
    /// Tickets whose stored state (holder, sequence) differs from the one its records lead to.
    public var stateMismatches: [String]
    /// Why `Ledger.verify` failed, or nil when it passed.
    public var verifyFailure: String?

    public init(node: String, blocks: [String], leaves: [String], holdings: [Holding] = [], versions: [Version] = [],
                stateMismatches: [String] = [], verifyFailure: String? = nil) {
        self.node = node; self.blocks = blocks; self.leaves = leaves; self.holdings = holdings; self.versions = versions
        self.stateMismatches = stateMismatches; self.verifyFailure = verifyFailure
    }

    /// Reads the store at `path` (no node may have it open for writing): every block and
    /// record, the holders and versions derived from the applied issues, transfers, resales
    /// and redeems (the operations of the chaos workload that change a ticket; voids and
    /// refunds are not followed), and a full verify with replay.
    /// - Throws: `TalonError` when the store cannot be opened or read.
    public static func read(node: String, store path: String) throws(TalonError) -> LedgerSnapshot {
        let ledger = try Ledger(existingAt: path)
        let head = try ledger.head()
        var blocks: [String] = [], leaves: [String] = []
        var holdings: [Holding] = [], versions: [Version] = [], current: [String: ReadValue] = [:]
        func change(_ ticket: String, _ envelope: String, _ kind: String, _ value: ReadValue) {
            current[ticket] = value
            versions.append(Version(ticket: ticket, envelope: envelope, kind: kind, value: value))
            if kind != "redeem" { holdings.append(Holding(ticket: ticket, sequence: value.sequence, holder: value.holder)) }
        }
        if head.height > 0 {
            for height in 1...head.height {
                guard let (block, records) = try ledger.blockRecords(height: height) else { continue }
                blocks.append(block.hash.hex)
                for record in records {
                    let hash = record.hash.hex
                    leaves.append(hash)
                    guard record.receipt.result == "ok" else { continue }
                    switch record.envelope.operation {
                    case .issue(let issue):
                        for t in issue.tickets {
                            change(t.ticketID, hash, "issue", ReadValue(holder: t.holder.text, sequence: 0, status: "active"))
                        }
                    case .transfer(let transfer):
                        let next = (current[transfer.ticketID]?.sequence ?? 0) + 1
                        change(transfer.ticketID, hash, "transfer", ReadValue(holder: transfer.to.text, sequence: next, status: "active"))
                    case .buyResale(let buy):
                        let next = (current[buy.ticketID]?.sequence ?? 0) + 1
                        change(buy.ticketID, hash, "buy", ReadValue(holder: record.envelope.signer.text, sequence: next, status: "active"))
                    case .redeem(let redeem):
                        guard var value = current[redeem.ticketID] else { continue }
                        value.status = "redeemed"
                        change(redeem.ticketID, hash, "redeem", value)
                    default:
                        break
                    }
                }
            }
        }
        var mismatches: [String] = []
        for (ticket, derived) in current.sorted(by: { $0.key < $1.key }) {
            let stored = try ledger.ticket(ticket)
            if stored.map({ ReadValue(holder: $0.holder.text, sequence: $0.sequence, status: $0.status.rawValue) }) != derived {
                mismatches.append(ticket)
            }
        }
        let report = try ledger.verify(replay: true)
        let failure = report.failure.map { "height \($0.height)\($0.leaf.map { " leaf \($0)" } ?? ""): \($0.message)" }
        return LedgerSnapshot(node: node, blocks: blocks, leaves: leaves, holdings: holdings, versions: versions,
                              stateMismatches: mismatches, verifyFailure: failure)
    }
}
