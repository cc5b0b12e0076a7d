public import TalonProtocol
import TalonStore

extension Ledger {
    /// The latest block's head (height 0 and the genesis hash before any block).
    public func head() throws(TalonError) -> Head {
        try read { txn in try self.head(txn) }
    }

    func head(_ txn: Transaction) throws -> Head {
        guard let header = try tables.lastBlockHeader(txn) else {
            return Head(height: 0, blockHash: genesis.hash, treeSize: 0, treeRoot: MerkleHash.emptyRoot, timestamp: 0)
        }
        return header.head
    }

    /// The block at `height`, or nil.
    public func block(height: UInt64) throws(TalonError) -> Block? {
        try read { txn in try tables.blocks.get(txn, height) }
    }

    /// The block at `height` with every record in it (envelope, receipt, decision), read on
    /// one snapshot, or nil when there is no such block.
    public func blockRecords(height: UInt64) throws(TalonError) -> (block: Block, records: [LedgerRecord])? {
        try read { txn in
            guard let block = try tables.blocks.get(txn, height) else { return nil }
            let records = try (0..<UInt64(block.entries.count)).map { i in
                guard let record = try self.record(txn, leaf: block.firstLeaf + i) else {
                    throw TalonError(.storeCorrupt, "block \(height) names leaf \(block.firstLeaf + i), which holds no envelope")
                }
                return record
            }
            return (block, records)
        }
    }

    /// The envelope at Merkle leaf `leaf` with its receipt, or nil.
    public func record(leaf: UInt64) throws(TalonError) -> LedgerRecord? {
        try read { txn in try self.record(txn, leaf: leaf) }
    }

    /// The first appearance of the envelope with `hash`, or nil.
    public func record(hash: Digest) throws(TalonError) -> LedgerRecord? {
        try read { txn in
            guard let leaf = try EnvelopeLookup(self, txn).firstLeaf(hash) else { return nil }
            return try self.record(txn, leaf: leaf)
        }
    }

    func record(_ txn: Transaction, leaf: UInt64) throws -> LedgerRecord? {
        guard let envelope = try tables.envelopes.get(txn, leaf) else { return nil }
        return LedgerRecord(envelope: envelope, receipt: try receipt(txn, leaf: leaf), decision: try decision(txn, leaf: leaf))
    }

    /// The receipt of the stored envelope at `leaf`.
    func receipt(_ txn: Transaction, leaf: UInt64) throws -> Receipt {
        guard let receipt = try txn.get(tables.receipts, Schema.u64(leaf)) else {
            throw TalonError(.storeCorrupt, "envelope at leaf \(leaf) has no receipt")
        }
        return try Receipt(leaf: leaf, bytes: receipt)
    }

    /// What the contract decided on the envelope at `leaf`, if one was consulted.
    func decision(_ txn: Transaction, leaf: UInt64) throws -> RecordedDecision? {
        try txn.get(tables.decisions, Schema.u64(leaf)).map { try RecordedDecision(leaf: leaf, bytes: $0) }
    }

    /// The ticket's current state, or nil.
    public func ticket(_ id: String) throws(TalonError) -> TicketState? {
        try read { txn in try txn.get(tables.tickets, Schema.ticketKey(id)).map { try TicketState(ticketID: id, bytes: $0) } }
    }

    /// The ticket's current state (or nil) and the head it is current at, from one snapshot.
    public func ticketAtHead(_ id: String) throws(TalonError) -> (ticket: TicketState?, head: Head) {
        try read { txn in
            (try txn.get(tables.tickets, Schema.ticketKey(id)).map { try TicketState(ticketID: id, bytes: $0) }, try head(txn))
        }
    }

    /// The event's current state, or nil.
    public func event(_ id: String) throws(TalonError) -> EventState? {
        try read { txn in try txn.get(tables.events, Array(id.utf8)).map { try EventState(eventID: id, bytes: $0) } }
    }

    /// The tickets of event `id` in index order (shorter ids first, equal lengths bytewise), the first `limit` after ticket
    /// `after`, read on one snapshot whose head is returned with them.
    public func tickets(event id: String, after: String? = nil, limit: Int = 1000) throws(TalonError) -> (head: Head, tickets: [TicketState]) {
        try read { txn in
            let prefix = Schema.id(id)
            var ids: [String] = []
            let from = after.map { Schema.eventTicketKey(id, $0) + [0] } ?? prefix
            try txn.scan(tables.eventTickets, from: from) { k, _ in
                guard k.starts(with: prefix), ids.count < limit else { return false }
                var r = ByteReader(Array(k.dropFirst(prefix.count)))
                guard let n = try? r.u8(), let bytes = try? r.raw(Int(n)), let ticket = String(validating: bytes, as: UTF8.self) else {
                    throw TalonError(.storeCorrupt, "event_tickets key of \(id) is not an id")
                }
                ids.append(ticket)
                return true
            }
            let tickets = try ids.map { ticket in
                guard let bytes = try txn.get(tables.tickets, Schema.ticketKey(ticket)) else {
                    throw TalonError(.storeCorrupt, "event \(id) lists ticket \(ticket), which is not stored")
                }
                return try TicketState(ticketID: ticket, bytes: bytes)
            }
            return (try head(txn), tickets)
        }
    }

    /// The registered issuer, or nil.
    public func issuer(_ key: PublicKey) throws(TalonError) -> IssuerState? {
        try read { txn in try txn.get(tables.issuers, key.bytes).map { try IssuerState(key: key, bytes: $0) } }
    }

    /// The gates registered for an event, in key order.
    public func gates(event: String) throws(TalonError) -> [GateState] {
        try read { txn in
            var out: [GateState] = []
            let prefix = Schema.id(event)
            try txn.scan(tables.gates, prefix: prefix) { k, v in
                guard let key = PublicKey(bytes: k.dropFirst(prefix.count)) else { throw TalonError(.storeCorrupt) }
                out.append(try GateState(eventID: event, key: key, bytes: v))
                return true
            }
            return out
        }
    }

    /// Every record naming the ticket, oldest first, rejected attempts included.
    public func history(ticket id: String, after: UInt64? = nil, limit: Int = 1000) throws(TalonError) -> [LedgerRecord] {
        try read { txn in
            try records(txn, TicketHistory.leaves(txn, tables.tickets, ticket: id, after: after, limit: limit), "ticket \(id)'s history")
        }
    }

    /// Every record involving a holder key (received, sent, redeemed), oldest first.
    public func history(holder: PublicKey, after: UInt64? = nil, limit: Int = 1000) throws(TalonError) -> [LedgerRecord] {
        try read { txn in try records(txn, EnvelopeLookup(self, txn).history(holder: holder, after: after, limit: limit), "key_sets") }
    }

    /// Every record about an event or its tickets, oldest first.
    public func records(event id: String, after: UInt64? = nil, limit: Int = 1000) throws(TalonError) -> [LedgerRecord] {
        try records(tables.eventHistory, Schema.id(id), after: after, limit: limit)
    }

    /// The records at the first `limit` leaves after `after` of the history under `key`.
    private func records(_ history: SetTable, _ key: [UInt8], after: UInt64?, limit: Int) throws(TalonError) -> [LedgerRecord] {
        try read { txn in try records(txn, txn.members(history, key, after: after, limit: limit), history.name) }
    }

    /// The records at `leaves`, which `index` names.
    private func records(_ txn: Transaction, _ leaves: [UInt64], _ index: String) throws -> [LedgerRecord] {
        try leaves.map { leaf in
            guard let r = try self.record(txn, leaf: leaf) else {
                throw TalonError(.storeCorrupt, "\(index) names leaf \(leaf), which is not stored")
            }
            return r
        }
    }

    /// True when `signer` already used `nonce`.
    public func nonceUsed(_ signer: PublicKey, _ nonce: UInt64) throws(TalonError) -> Bool {
        try read { txn in try EnvelopeLookup(self, txn).nonceSpent(signer, nonce) }
    }
}
