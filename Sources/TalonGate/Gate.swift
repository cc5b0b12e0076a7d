public import TalonProtocol

/// A gate scanner working offline from its snapshot: decides on each pass with signatures
/// and its own records only, and writes every admission durably before it answers.
public final class Gate: Sendable {
    public let store: GateStore
    private let members: [String]
    private let memberKeys: [String: PublicKey]

    /// Opens the gate whose snapshot `talon gate sync` wrote to `dir`.
    public init(dir: String) throws(TalonError) {
        store = try GateStore(dir: dir)
        members = store.genesis.genesis.members.map(\.id)
        memberKeys = Dictionary(store.genesis.genesis.members.map { ($0.id, $0.key) }, uniquingKeysWith: { a, _ in a })
    }

    /// The verdict on pass `text` at time `now` (ms), written to the gate's scan log (with
    /// the admission when it admits) in one synced commit before it is returned. A verified
    /// certificate newer than the snapshot is remembered in the same commit, so that once the
    /// new holder has shown a pass the old holder's is `superseded`.
    public func scan(_ text: String, at now: Int64) throws(TalonError) -> Verdict {
        let (verdict, pass, known) = try evaluate(text, at: now)
        guard let pass else { return try logged(verdict, at: now) }
        let c = pass.certificate
        var learned: OwnershipCertificate?
        if ![Code.forged, .wrongEvent, .unknownTicket].contains(verdict.code), let known, c.sequence > known.sequence { learned = c }
        let admission = verdict.decision == .admit
            ? Admission(ticketID: c.ticketID, sequence: c.sequence, holder: c.holder, scannedAt: now, nonce: 0) : nil
        if let earlier = try store.record(ScanRecord(verdict, at: now), admission: admission, learned: learned) {
            return try logged(alreadyHere(earlier, ticket: c.ticketID), at: now)
        }
        return verdict
    }

    /// The verdict on every QR code in the image `bytes` (PNG, JPEG, …) at time `now`, or one
    /// `no_code` denial when the image holds none or cannot be read; each is logged.
    public func scan(image bytes: [UInt8], at now: Int64) throws(TalonError) -> [Verdict] {
        try Self.codes(in: bytes).map { text throws(TalonError) in
            guard let text else { return try logged(.noCode, at: now) }
            return try scan(text, at: now)
        }
    }

    /// `verdict`, once written to the scan log.
    private func logged(_ verdict: Verdict, at now: Int64) throws(TalonError) -> Verdict {
        try store.record(ScanRecord(verdict, at: now))
        return verdict
    }

    /// As `scan(image:at:)`, recording nothing.
    public func check(image bytes: [UInt8], at now: Int64) throws(TalonError) -> [Verdict] {
        try Self.codes(in: bytes).map { text throws(TalonError) in
            guard let text else { return .noCode }
            return try check(text, at: now).0
        }
    }

    /// The texts of the QR codes in an image; one nil when there is none.
    private static func codes(in bytes: [UInt8]) -> [String?] {
        guard let texts = try? QRScanner.decode(imageBytes: bytes), !texts.isEmpty else { return [nil] }
        return texts
    }

    /// The verdict on pass `text` at time `now` (ms) without recording anything, and the
    /// decoded pass when there is one.
    public func check(_ text: String, at now: Int64) throws(TalonError) -> (Verdict, Pass?) {
        let (verdict, pass, _) = try evaluate(text, at: now)
        return (verdict, pass)
    }

    /// The verdict, the decoded pass, and what the snapshot knows of its ticket, from one
    /// read of the store.
    private func evaluate(_ text: String, at now: Int64) throws(TalonError) -> (Verdict, Pass?, GateTicket?) {
        let pass: Pass
        do { pass = try Pass(text: text, members: members) } catch {
            return (.deny(.malformed, "not a readable pass: \(error.message)"), nil, nil)
        }
        let (known, admitted) = try store.lookup(pass.certificate.ticketID)
        return (decide(pass, at: now, known: known, admitted: admitted), pass, known)
    }

    /// The rules, in order: signatures, event, window, what the snapshot (`known`) and this
    /// gate (`admitted`) know of the ticket, doors, zone.
    private func decide(_ pass: Pass, at now: Int64, known: GateTicket?, admitted: Admission?) -> Verdict {
        let c = pass.certificate, info = store.info, id = c.ticketID
        guard let nodeKey = memberKeys[c.node], c.isSigned(by: nodeKey, genesisHash: store.genesis.hash) else {
            return .deny(.forged, "the ownership certificate is not signed by a node of this chain", ticket: id)
        }
        guard pass.isSignedByHolder(chainID: store.genesis.genesis.chainID) else {
            return .deny(.forged, "the pass is not signed by the ticket's holder", ticket: id)
        }
        guard c.eventID.utf8.elementsEqual(info.event.eventID.utf8) else {
            return .deny(.wrongEvent, "this ticket is for \(c.eventID), this gate admits \(info.event.eventID)", ticket: id)
        }
        let current = Pass.window(at: now)
        let old = pass.window < current, apart = old ? current - pass.window : pass.window - current
        guard apart <= 1 else {
            let ago = apart > 1_000_000 ? "long" : "\(apart * UInt64(Pass.windowSeconds)) s"
            return .deny(.expiredWindow, old ? "the pass was made \(ago) ago: a screenshot? ask for the live pass"
                                               : "the pass is from the future: check this gate's clock", ticket: id)
        }
        guard let ticket = known else {
            return .deny(.unknownTicket, c.height > info.head.head.height
                         ? "ticket \(id) is newer than this gate's snapshot: sync the gate again" : "ticket \(id) is not in this gate's snapshot", ticket: id)
        }
        if c.sequence < ticket.sequence {
            return .deny(.superseded, "ticket \(id) changed hands after this pass's certificate (pass shows ownership \(c.sequence), the gate knows \(ticket.sequence))", ticket: id)
        }
        if c.sequence == ticket.sequence, c.holder != ticket.holder {
            return .deny(.forged, "the certificate names another holder than the ledger for the same ownership", ticket: id)
        }
        switch ticket.status {
        case .void: return .deny(.ticketVoid, "ticket \(id) was voided by the organizer", ticket: id)
        case .refunded: return .deny(.ticketRefunded, "ticket \(id) was refunded", ticket: id)
        case .redeemed:
            var v = Verdict.deny(.alreadyRedeemed, "ticket \(id) was already used", ticket: id)
            v.redeemedAt = ticket.redeemedAt
            v.redeemedGate = ticket.redeemedBy.map { key in info.gates.first { $0.key == key }?.name ?? key.text }
            v.message += (v.redeemedGate.map { " at \($0)" } ?? "") + (v.redeemedAt.map { ", \(Verdict.utc($0))" } ?? "")
            return v
        case .active: break
        }
        if let earlier = admitted { return alreadyHere(earlier, ticket: id) }
        if info.event.cancelled { return .deny(.eventCancelled, "the event was cancelled", ticket: id) }
        guard now >= info.event.doorsOpenAt else {
            return .deny(.tooEarly, "doors open in \(max(0, info.event.doorsOpenAt.subtractingReportingOverflow(now).partialValue / 60_000) + 1) min, at \(Verdict.utc(info.event.doorsOpenAt))", ticket: id)
        }
        guard info.gate.admits(section: ticket.section) else {
            return .deny(.wrongZone, "section \(ticket.section) does not enter at \(info.gate.name) (\(info.gate.sections.joined(separator: ", ")))", ticket: id)
        }
        return Verdict(decision: .admit, code: .admitted, message: "section \(ticket.section), seat \(ticket.seat)", ticketID: id,
                       section: ticket.section, seat: ticket.seat, holder: c.holder)
    }

    private func alreadyHere(_ a: Admission, ticket: String) -> Verdict {
        var v = Verdict.deny(.alreadyRedeemed, "ticket \(ticket) already went in at this gate (\(store.info.gate.name)), \(Verdict.utc(a.scannedAt))", ticket: ticket)
        v.redeemedAt = a.scannedAt
        v.redeemedGate = store.info.gate.name
        return v
    }

    /// The signed redeem records of every admission not yet accepted by the ledger.
    public func pendingRedeems(key: SigningKey) throws(TalonError) -> [(Admission, Envelope)] {
        guard key.publicKey == store.info.gate.key else {
            throw TalonError(.wrongGateKey, "this gate was synced as \(store.info.gate.key), the key given is \(key.publicKey)")
        }
        let chain = store.genesis.genesis.chainID
        return try store.allAdmissions().filter { $0.uploaded == nil }.map {
            ($0, Envelope(chainID: chain, nonce: $0.nonce, operation: .redeem($0.redeem), signedBy: key))
        }
    }
}
