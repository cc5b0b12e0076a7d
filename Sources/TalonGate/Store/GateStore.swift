public import TalonProtocol
import TalonStore

/// A gate's local LMDB store: the genesis, the event snapshot, every admission, and a log
/// of every scan, each scan written with one synced commit before its verdict is shown.
public final class GateStore: Sendable {
    static let metaTable = "gate_meta", ticketsTable = "gate_tickets", admissionsTable = "gate_admissions", scansTable = "gate_scans"
    static let genesisKey = Array("genesis".utf8), infoKey = Array("snapshot".utf8)

    let env: Environment
    let meta: Table, tickets: Table, admissions: Table
    /// u64 scan number (1, 2, …) -> ScanRecord.
    let scans: Table
    /// The genesis the snapshot was made under.
    public let genesis: GenesisFile
    /// The snapshot's event, gates and head.
    public let info: GateSnapshotInfo

    /// Opens the store in `dir`, which `talon gate sync` made.
    /// - Throws: `TalonError` `gate_not_synced` when there is none, `gate_store_corrupt` when it cannot be read.
    public convenience init(dir: String) throws(TalonError) {
        // A mistyped directory is reported, not created.
        guard Environment.exists(at: dir) else { throw Self.notSynced(dir) }
        let env = try Self.open(dir)
        let (genesis, info): (GenesisFile?, GateSnapshotInfo?) = try Self.guarding {
            try env.read { txn in
                let meta = env.table(Self.metaTable)
                let genesis = try txn.get(meta, Self.genesisKey).map { try GenesisFile(bytes: $0) }
                let info = try txn.get(meta, Self.infoKey).map { try JSONForm.decode(GateSnapshotInfo.self, from: $0) }
                return (genesis, info)
            }
        }
        guard let genesis, let info else { throw Self.notSynced(dir) }
        self.init(env: env, genesis: genesis, info: info)
    }

    private init(env: Environment, genesis: GenesisFile, info: GateSnapshotInfo) {
        self.env = env; self.genesis = genesis; self.info = info
        meta = env.table(Self.metaTable); tickets = env.table(Self.ticketsTable); admissions = env.table(Self.admissionsTable)
        scans = env.table(Self.scansTable)
    }

    /// Replaces the snapshot in `dir` (creating the store if needed) with `info` and
    /// `tickets`, in one transaction; admissions already recorded are kept.
    /// - Throws: `TalonError` `invalid_snapshot` when a ticket is not of the event or a field is
    ///   over its limit; `gate_genesis_mismatch` when `dir` holds another chain's admissions;
    ///   `gate_pending_admissions` when it holds admissions not yet uploaded and the snapshot
    ///   is for another event or gate key (they would be signed with the wrong key).
    public static func replaceSnapshot(dir: String, genesis: GenesisFile, info: GateSnapshotInfo, tickets: [TicketState]) throws(TalonError) {
        for t in tickets {
            guard t.eventID.utf8.elementsEqual(info.event.eventID.utf8), (1...Limits.idBytes).contains(t.ticketID.utf8.count),
                  t.section.utf8.count <= Limits.textBytes, t.seat.utf8.count <= Limits.textBytes else {
                throw TalonError(.invalidSnapshot, "ticket \(t.ticketID.prefix(64)) is not a ticket of \(info.event.eventID) within the ledger's limits")
            }
        }
        guard tickets.count <= Int(info.event.capacity), info.gate.eventID.utf8.elementsEqual(info.event.eventID.utf8) else {
            throw TalonError(.invalidSnapshot, "\(tickets.count) tickets for capacity \(info.event.capacity), or a gate of another event")
        }
        let env = try open(dir)
        try guarding {
            try env.write { txn in
                let meta = env.table(metaTable), table = env.table(ticketsTable)
                let pending = try txn.count(env.table(admissionsTable)) > 0
                if let old = try txn.get(meta, genesisKey), old != genesis.bytes, pending {
                    throw TalonError(.gateGenesisMismatch, "\(dir) holds admissions of another chain: use another directory")
                }
                if let bytes = try txn.get(meta, infoKey), let old = try? JSONForm.decode(GateSnapshotInfo.self, from: bytes),
                   old.gate.key != info.gate.key || !old.event.eventID.utf8.elementsEqual(info.event.eventID.utf8) {
                    var unanswered = false
                    try txn.scan(env.table(admissionsTable)) { k, v in
                        unanswered = try Admission(ticketID: String(decoding: k, as: UTF8.self), bytes: v).uploaded == nil
                        return !unanswered
                    }
                    if unanswered {
                        throw TalonError(.gatePendingAdmissions, "\(dir) holds admissions of gate \(old.gate.name) at \(old.event.eventID) not yet uploaded: upload them first, or use another directory")
                    }
                }
                try txn.put(meta, genesisKey, genesis.bytes)
                try txn.put(meta, infoKey, JSONForm.encode(info))
                try txn.removeAll(table)
                for t in tickets { try txn.put(table, Array(t.ticketID.utf8), GateTicket(t).bytes) }
            }
        }
    }

    /// What the snapshot knows of ticket `id` and this gate's admission of it, from one read.
    public func lookup(_ id: String) throws(TalonError) -> (ticket: GateTicket?, admission: Admission?) {
        let key = Array(id.utf8)
        return try Self.guarding {
            try env.read { txn in
                (try txn.get(tickets, key).map { try GateTicket(ticketID: id, bytes: $0) },
                 try txn.get(admissions, key).map { try Admission(ticketID: id, bytes: $0) })
            }
        }
    }

    /// Tickets in the snapshot.
    public func ticketCount() throws(TalonError) -> Int { try Self.guarding { try env.read { txn in try txn.count(tickets) } } }

    /// This gate's admission of ticket `id`, or nil.
    public func admission(_ id: String) throws(TalonError) -> Admission? {
        try Self.guarding { try env.read { txn in try txn.get(admissions, Array(id.utf8)).map { try Admission(ticketID: id, bytes: $0) } } }
    }

    /// In one synced commit: takes the holder and sequence of verified certificate `learned`
    /// when they are newer than the snapshot's, records `admission` with its redeem nonce,
    /// and logs `scan`. When the ticket was admitted here already, the earlier admission is
    /// returned and neither the admission nor the scan is written (the caller logs its
    /// final verdict with another call).
    ///
    /// The nonce is fixed here so that a repeated upload signs the same envelope, and drawn
    /// at random (64 bits), so that stores sharing a gate key, or a store synced again into
    /// a fresh directory, do not reuse one: the ledger spends a signer's nonces once.
    @discardableResult
    public func record(_ scan: ScanRecord, admission: Admission? = nil, learned: OwnershipCertificate? = nil) throws(TalonError) -> Admission? {
        try Self.guarding {
            try env.write { txn in
                if let c = learned, let bytes = try txn.get(tickets, Array(c.ticketID.utf8)) {
                    var t = try GateTicket(ticketID: c.ticketID, bytes: bytes)
                    if c.sequence > t.sequence {
                        t.holder = c.holder
                        t.sequence = c.sequence
                        try txn.put(tickets, Array(c.ticketID.utf8), t.bytes)
                    }
                }
                if var a = admission {
                    if let earlier = try txn.get(admissions, Array(a.ticketID.utf8)) { return try Admission(ticketID: a.ticketID, bytes: earlier) }
                    a.nonce = UInt64.random(in: 1...UInt64.max)
                    try txn.put(admissions, Array(a.ticketID.utf8), a.bytes)
                }
                let last = try txn.last(scans, prefix: 0).map { try UInt64(storeBytes: $0.key) } ?? 0
                try txn.put(scans, (last + 1).storeBytes, scan.bytes, append: true)
                return nil
            }
        }
    }

    /// The last `limit` scans logged (only denials when `deniedOnly`), oldest first, and
    /// how many of all logged scans each code had.
    public func scanLog(limit: Int, deniedOnly: Bool = false) throws(TalonError) -> (recent: [ScanRecord], counts: [String: Int]) {
        try Self.guarding {
            try env.read { txn in
                var recent: [ScanRecord] = [], counts: [String: Int] = [:]
                try txn.scan(scans, reverse: true) { _, v in
                    let s = try ScanRecord(bytes: v)
                    counts[s.code, default: 0] += 1
                    if recent.count < limit, !deniedOnly || s.decision == .deny { recent.append(s) }
                    return true
                }
                return (recent.reversed(), counts)
            }
        }
    }

    /// Every admission, in ticket-id order.
    public func allAdmissions() throws(TalonError) -> [Admission] {
        try Self.guarding {
            try env.read { txn in
                var out: [Admission] = []
                try txn.scan(admissions) { k, v in
                    guard let id = String(validating: k, as: UTF8.self) else { throw TalonError(.storeCorrupt, "admission key is not UTF-8") }
                    out.append(try Admission(ticketID: id, bytes: v))
                    return true
                }
                return out
            }
        }
    }

    /// Stores what the ledger answered for each uploaded admission; an answer that is not a
    /// result code (lower-case letters and `_`, at most 64) leaves the admission pending.
    public func markUploaded(_ results: [String: String]) throws(TalonError) {
        try Self.guarding {
            try env.write { txn in
                for (id, result) in results where (1...64).contains(result.utf8.count) && result.utf8.allSatisfy({ (0x61...0x7A).contains($0) || $0 == 0x5F }) {
                    guard let bytes = try txn.get(admissions, Array(id.utf8)) else { continue }
                    var a = try Admission(ticketID: id, bytes: bytes)
                    a.uploaded = result
                    try txn.put(admissions, Array(id.utf8), a.bytes)
                }
            }
        }
    }

    private static func notSynced(_ dir: String) -> TalonError {
        TalonError(.gateNotSynced, "\(dir) holds no gate snapshot: run talon gate sync first")
    }

    private static func open(_ dir: String) throws(TalonError) -> Environment {
        try guarding { try Environment(path: dir, tables: [metaTable, ticketsTable, admissionsTable, scansTable], options: .init(sync: true)) }
    }

    /// Runs store calls: the gate's own refusals and LMDB's failures pass as they are; a
    /// stored record that does not decode (any other code) is `gate_store_corrupt`.
    private static func guarding<R>(_ body: () throws -> R) throws(TalonError) -> R {
        do { return try body() } catch let e as TalonError where ownCodes.contains(e.code) || (e.code.kind == .fault && e.code != .storeCorrupt) {
            throw e
        } catch let e as TalonError {
            throw TalonError(.gateStoreCorrupt, e.message)
        } catch {
            throw TalonError(.gateStoreCorrupt, "\(error)")
        }
    }

    /// The codes the gate store itself refuses with.
    private static let ownCodes: Set<Code> = [.gateNotSynced, .gateGenesisMismatch, .gatePendingAdmissions, .gateStoreCorrupt, .invalidSnapshot]
}
