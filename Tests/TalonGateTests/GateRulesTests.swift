import Foundation
import Testing
import TalonProtocol
@testable import TalonGate
@testable import TalonLedger
import TalonRaft

/// Every verdict a gate gives, decided offline from a snapshot of a real ledger.
@Suite struct GateRulesTests {
    let f: GateFixture
    let gate: Gate
    static let now = GateFixture.doors + 60_000

    init() throws {
        f = try GateFixture()
        gate = try f.syncGate()
    }

    @Test func aValidPassIsAdmittedOnceAndRecordedBeforeTheAnswer() throws {
        let v = try gate.scan(try f.pass("T1"), at: Self.now)
        #expect(v.decision == .admit && v.code == .admitted && v.section == "A" && v.seat == "T1" && v.holder == f.alice.publicKey)
        let recorded = try require(try gate.store.admission("T1"))
        #expect(recorded.sequence == 0 && recorded.scannedAt == Self.now && recorded.holder == f.alice.publicKey)
        #expect(recorded.nonce != 0 && recorded.uploaded == nil)
        let again = try gate.scan(try f.pass("T1", at: Self.now + 30_000), at: Self.now + 30_000)
        #expect(again.decision == .deny && again.code == .alreadyRedeemed)
        #expect(again.redeemedAt == Self.now && again.redeemedGate == "North")
        #expect(again.message.hasSuffix("(North), 2030-03-17 17:47:40 UTC"), "\(again.message)")
        #expect(Verdict.utc(0) == "1970-01-01 00:00:00 UTC" && Verdict.utc(951_782_400_000) == "2000-02-29 00:00:00 UTC")
        #expect(Verdict.utc(-1) == "1969-12-31 23:59:59 UTC")
        // That a reopened store still knows is checked across processes in GateCLITests (LMDB
        // forbids opening one environment twice in a process).
    }

    @Test func everyScanIsLoggedWithItsVerdict() throws {
        let t = Self.now
        let verdicts = [try gate.scan(try f.pass("T1"), at: t),
                        try gate.scan(try f.pass("T1", at: t + 1000), at: t + 1000),
                        try gate.scan(try f.pass("T3", at: t + 2000), at: t + 2000),
                        try gate.scan("hello", at: t + 3000)]
            + (try gate.scan(image: Array("not an image".utf8), at: t + 4000))
        _ = try gate.check(try f.pass("T5"), at: t)   // a check is not a scan: not logged
        let (log, counts) = try gate.store.scanLog(limit: 10)
        #expect(log.map(\.code) == ["admitted", "already_redeemed", "ticket_void", "malformed", "no_code"])
        #expect(log.map(\.code) == verdicts.map(\.code.name) && log.map(\.message) == verdicts.map(\.message))
        #expect(log.map(\.scannedAt) == [t, t + 1000, t + 2000, t + 3000, t + 4000])
        #expect(log.map(\.decision) == [.admit, .deny, .deny, .deny, .deny] && log.map(\.ticketID) == ["T1", "T1", "T3", nil, nil])
        #expect(counts == ["admitted": 1, "already_redeemed": 1, "ticket_void": 1, "malformed": 1, "no_code": 1])
        let (denied, _) = try gate.store.scanLog(limit: 2, deniedOnly: true)
        #expect(denied.map(\.code) == ["malformed", "no_code"], "the latest two denials, oldest first")

        // An admission that finds the ticket already admitted writes neither it nor its scan.
        let admission = Admission(ticketID: "T1", sequence: 0, holder: f.alice.publicKey, scannedAt: t + 5000, nonce: 0)
        let earlier = try gate.store.record(ScanRecord(verdicts[0], at: t + 5000), admission: admission)
        let after = try gate.store.scanLog(limit: 10).recent
        #expect(earlier?.scannedAt == t && after.count == 5)
        // A long message is kept to its first 1,024 bytes, cut characters repaired.
        let long = ScanRecord(.deny(.malformed, String(repeating: "€", count: 2000)), at: t)
        let stored = try ScanRecord(bytes: long.bytes)
        #expect(long.message.utf8.count <= ScanRecord.messageBytes + 2 && long.message.utf8.count > 1000 && stored == long)
    }

    @Test func aDirectoryWithoutASnapshotIsReportedNotCreated() throws {
        let missing = f.dir + "/no-such-gate"
        #expect(throws: TalonError(.gateNotSynced, "")) { try Gate(dir: missing) }
        #expect(!FileManager.default.fileExists(atPath: missing), "a mistyped directory is not created")
    }

    @Test func clockSkewOfOneWindowIsAcceptedAndTwoIsNot() throws {
        let w: Int64 = Pass.windowSeconds * 1000
        for (offset, admitted) in [(-2 * w, false), (-w, true), (0, true), (w, true), (2 * w, false)] {
            let (v, _) = try gate.check(try f.pass("T1", at: Self.now + offset), at: Self.now)
            #expect((v.decision == .admit) == admitted, "pass made \(offset / 1000) s from the gate's time: \(v)")
            if !admitted { #expect(v.code == .expiredWindow) }
        }
        let (screenshot, _) = try gate.check(try f.pass("T1", at: Self.now - 5 * 60_000), at: Self.now)
        #expect(screenshot.code == .expiredWindow && screenshot.message.contains("screenshot"))
    }

    @Test func everyDenyCodeForWhatTheSnapshotKnows() throws {
        func code(_ id: String, holder: SigningKey? = nil, at: Int64 = GateRulesTests.now, certificate: OwnershipCertificate? = nil) throws -> Code {
            try gate.scan(try f.pass(id, holder: holder, at: at, certificate: certificate), at: at).code
        }
        #expect(try code("T3") == .ticketVoid)
        let used = try gate.scan(try f.pass("T4"), at: Self.now)
        #expect(used.code == .alreadyRedeemed && used.redeemedGate == "South" && used.redeemedAt == GateFixture.doors + 5)
        #expect(try code("VIP1") == .wrongZone)
        #expect(try code("X1") == .wrongEvent)
        #expect(try code("T6", at: GateFixture.doors - 10 * 60_000) == .tooEarly)
        // T2 went to bob before the sync: alice's certificate from before is superseded.
        var old = try f.certificate("T2")
        old.holder = f.alice.publicKey; old.sequence = 0; old.height = 5
        old.signature = f.node.sign(OwnershipCertificate.signedBytes(ticketID: "T2", eventID: "E1", holder: f.alice.publicKey, sequence: 0,
                                                                     height: 5, genesisHash: f.genesis.hash))
        #expect(try code("T2", certificate: old) == .superseded)
        #expect(try code("T2", holder: f.bob) == .admitted)
        #expect(try gate.scan("TP1:AAAA", at: Self.now).code == .malformed)
    }

    /// One pass for each rule: together they give exactly the registry's verdict codes, and
    /// what the ledger decided about a ticket carries the ledger's own code.
    @Test func theVerdictsAreTheRegistrysVerdictCodes() throws {
        func check(_ id: String, _ gate: Gate? = nil, holder: SigningKey? = nil, at: Int64 = GateRulesTests.now,
                   certificate: OwnershipCertificate? = nil) throws -> Code {
            try (gate ?? self.gate).check(try f.pass(id, holder: holder, at: at, certificate: certificate), at: GateRulesTests.now).0.code
        }
        try f.run(.issue(IssueTickets(eventID: "E1", tickets: [TicketSpec(ticketID: "LATE", section: "A", seat: "9", faceValue: 1, holder: f.alice.publicKey)])), f.issuer)
        var old = try f.certificate("T2")
        old.holder = f.alice.publicKey; old.sequence = 0; old.height = 5
        old.signature = f.node.sign(OwnershipCertificate.signedBytes(ticketID: "T2", eventID: "E1", holder: f.alice.publicKey, sequence: 0,
                                                                     height: 5, genesisHash: f.genesis.hash))
        let cancelled = try f.syncGate("e3", event: "E3")
        let seen: [Code] = [
            try check("T1"), try gate.check("hello", at: Self.now).0.code, try gate.check(image: Array("no image".utf8), at: Self.now)[0].code,
            try check("T1", holder: f.bob), try check("X1"), try check("T1", at: Self.now - 5 * 60_000), try check("LATE"),
            try check("T2", certificate: old), try check("T3"), try check("R1", cancelled), try check("T4"), try check("R2", cancelled),
            try gate.check(try f.pass("T5", at: GateFixture.doors - 60_000), at: GateFixture.doors - 60_000).0.code, try check("VIP1"),
        ]
        #expect(Set(seen) == Set(Code.verdicts) && seen.count == Code.verdicts.count, "one code per rule: \(seen)")
        #expect(seen.filter { $0.uses.contains(.result) } == [.unknownTicket, .superseded, .ticketVoid, .ticketRefunded,
                                                              .alreadyRedeemed, .eventCancelled, .wrongZone])
    }

    /// E3 was cancelled and R1 refunded before its gate synced.
    @Test func aCancelledEventsTicketsAreRefusedAndRefundedOnesSaySo() throws {
        let cancelled = try f.syncGate("e3", event: "E3")
        #expect(try cancelled.scan(try f.pass("R1"), at: Self.now).code == .ticketRefunded)
        let v = try cancelled.scan(try f.pass("R2"), at: Self.now)
        #expect(v.code == .eventCancelled && v.decision == .deny)
        #expect(try gate.scan(try f.pass("R2"), at: Self.now).code == .wrongEvent, "E1's gate")
    }

    @Test func forgeriesAreDenied() throws {
        // Someone else signs alice's pass.
        #expect(try gate.scan(try f.pass("T1", holder: f.bob), at: Self.now).code == .forged)
        // A certificate signed by a key that is not a node.
        let c = try f.certificate("T1"), mallory = SigningKey.generate()
        let fake = OwnershipCertificate(ticket: try require(try f.ledger.ticket("T1")), height: c.height, node: "n1", key: mallory, genesis: f.genesis)
        #expect(try gate.scan(try f.pass("T1", certificate: fake), at: Self.now).code == .forged)
        // Mallory certifies herself as the holder at the current sequence.
        var mine = c
        mine.holder = mallory.publicKey
        #expect(try gate.scan(try f.pass("T1", holder: mallory, certificate: mine), at: Self.now).code == .forged)
        #expect(try gate.store.admission("T1") == nil, "nothing was admitted")
    }

    /// Bob got T6 after the gate's sync: his certificate is newer than the snapshot, so he
    /// goes in and alice's pass, valid at sync time, is refused from then on.
    @Test func aTransferAfterTheSyncAdmitsTheNewHolderAndRefusesTheOld() throws {
        let aliceBefore = try f.pass("T6")
        try f.run(.transfer(Transfer(ticketID: "T6", to: f.bob.publicKey)), f.alice)
        let early = GateFixture.doors - 60_000
        #expect(try gate.scan(try f.pass("T6", holder: f.bob, at: early), at: early).code == .tooEarly, "the gate learns even before doors")
        #expect(try gate.scan(aliceBefore, at: Self.now).code == .superseded)
        #expect(try gate.scan(try f.pass("T6", holder: f.bob), at: Self.now).code == .admitted)
    }

    @Test func aTicketIssuedAfterTheSyncIsUnknown() throws {
        try f.run(.issue(IssueTickets(eventID: "E1", tickets: [TicketSpec(ticketID: "LATE", section: "A", seat: "9", faceValue: 1, holder: f.alice.publicKey)])), f.issuer)
        let v = try gate.scan(try f.pass("LATE"), at: Self.now)
        #expect(v.code == .unknownTicket && v.message.contains("sync the gate again"))
    }

    /// Two gates admit the same ticket offline; their uploads give the ledger one redeem and
    /// one `already_redeemed`, which the entry report then shows.
    @Test func twoGatesThatBothAdmittedEndWithOneRedeemAndOneFlag() throws {
        let south = try f.syncGate("south", key: f.south)
        #expect(try gate.scan(try f.pass("T1"), at: Self.now).decision == .admit)
        #expect(try south.scan(try f.pass("T1"), at: Self.now + 1000).decision == .admit)
        #expect(throws: TalonError.self) { try gate.pendingRedeems(key: f.south) }
        let north = try gate.pendingRedeems(key: f.gateKey), fromSouth = try south.pendingRedeems(key: f.south)
        #expect(north.count == 1 && fromSouth.count == 1)
        var results: [String] = []
        for (_, envelope) in north + fromSouth {
            try envelope.admit(chainID: f.ledger.chainID)
            results += try f.ledger.apply([envelope], timestamp: Self.now + 5000).receipts.map(\.result)
        }
        #expect(results == ["ok", "already_redeemed"])
        #expect(try f.ledger.entryReport(event: "E1")?.tickets.first { $0.ticketID == "T1" }?.attempts.count == 2)
        // The same admission signs the same envelope: an upload repeated is a duplicate.
        #expect(try gate.pendingRedeems(key: f.gateKey).map(\.1.hash) == north.map(\.1.hash))
        try gate.store.markUploaded(["T1": "ok"])
        #expect(try gate.pendingRedeems(key: f.gateKey).isEmpty)
    }

    /// What a node sends at sync is checked before it replaces anything; a directory holding
    /// unanswered admissions is not re-synced for another gate; a node's answer that is not a
    /// result code leaves an admission pending.
    @Test func theStoreRefusesSnapshotsAndAnswersItCannotKeep() throws {
        let info = gate.store.info
        let other = try f.ledger.tickets(event: "E2").tickets
        #expect(throws: TalonError(.invalidSnapshot, "")) { try GateStore.replaceSnapshot(dir: f.dir + "/gate", genesis: f.genesis, info: info, tickets: other) }
        var long = try f.ledger.tickets(event: "E1").tickets
        long[0].seat = String(repeating: "s", count: Limits.textBytes + 1)
        #expect(throws: TalonError(.invalidSnapshot, "")) { try GateStore.replaceSnapshot(dir: f.dir + "/gate", genesis: f.genesis, info: info, tickets: long) }
        #expect(try gate.store.ticketCount() == 7, "the snapshot is unchanged")

        #expect(try gate.scan(try f.pass("T1"), at: Self.now).decision == .admit)
        var asSouth = info
        asSouth.gate = try require(info.gates.first { $0.key == f.south.publicKey })
        let tickets = try f.ledger.tickets(event: "E1").tickets
        #expect(throws: TalonError(.gatePendingAdmissions, "")) { try GateStore.replaceSnapshot(dir: f.dir + "/gate", genesis: f.genesis, info: asSouth, tickets: tickets) }
        try GateStore.replaceSnapshot(dir: f.dir + "/gate", genesis: f.genesis, info: info, tickets: tickets)   // the same gate may sync again

        try gate.store.markUploaded(["T1": String(repeating: "x", count: 65)])
        try gate.store.markUploaded(["T1": "<html>"])
        #expect(try gate.store.admission("T1")?.uploaded == nil)
        try gate.store.markUploaded(["T1": "already_redeemed"])
        #expect(try gate.store.admission("T1")?.uploaded == "already_redeemed")
        try GateStore.replaceSnapshot(dir: f.dir + "/gate", genesis: f.genesis, info: asSouth, tickets: tickets)   // all answered: allowed
    }

    /// Payloads that are not passes, or are a pass with one character changed, never admit
    /// and never crash.
    @Test func garbageAndAlmostValidPayloadsAreDenied() throws {
        let valid = try f.pass("T1")
        var rng = SplitMix64(seed: 7)
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        var payloads = ["", " ", "\n", "TP1:", "TP2:" + valid.dropFirst(4), "tp1:" + valid.dropFirst(4), String(valid.dropLast(3)),
                        valid + "00", valid + "0", String(repeating: "A", count: 100_000), "TP1:" + String(repeating: "Z", count: 900),
                        String(decoding: (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }, as: UTF8.self)]
        for _ in 0..<300 {
            var chars = Array(valid)
            let i = Int.random(in: 4..<chars.count, using: &rng)
            var c = alphabet.randomElement(using: &rng) ?? "0"
            if c == chars[i] { c = c == "0" ? "1" : "0" }
            chars[i] = c
            payloads.append(String(chars))
        }
        for p in payloads {
            let (v, _) = try gate.check(p, at: Self.now)
            #expect(v.decision == .deny && [Code.malformed, .forged, .wrongEvent, .unknownTicket, .superseded, .expiredWindow].contains(v.code),
                    "\(p.prefix(80)): \(v)")
        }
        #expect(try gate.check(valid, at: Self.now).0.decision == .admit, "the unchanged pass still admits")
        // Fields at their extremes, correctly signed, and clocks at theirs.
        var extreme = try f.certificate("T1")
        extreme.sequence = .max; extreme.height = .max
        extreme.signature = f.node.sign(OwnershipCertificate.signedBytes(ticketID: "T1", eventID: "E1", holder: f.alice.publicKey, sequence: .max,
                                                                         height: .max, genesisHash: f.genesis.hash))
        for window in [UInt64.max, UInt64.max - 1, 0] {
            let p = try Pass(certificate: extreme, window: window, holder: f.alice, chainID: f.genesis.genesis.chainID).text(members: ["n1"])
            #expect(try gate.check(p, at: Self.now).0.code == .expiredWindow)
        }
        for now in [Int64.min, -1, 0, Int64.max] {
            #expect(try gate.check(valid, at: now).0.decision == .deny, "at \(now)")
        }
    }
}
