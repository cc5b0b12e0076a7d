import Foundation
import TalonTestSupport
import Testing

/// Milliseconds since the epoch of a UTC calendar time, computed without the CLI's parser.
func utcMillis(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> Int64 {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
    return Int64(date.timeIntervalSince1970) * 1000
}

@Suite(.timeLimit(.minutes(5)))
struct CLIFlowTests {
    /// genesis → keys → event, tickets, gate, transfers (one by a non-holder), two redeems
    /// → append, then every read command agrees with a model computed from the spec.
    @Test func fullFlowFromGenesisToRedeem() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
            let carol = try await s.newKey("carol"), gate = try await s.newKey("gate")
            let scanned = utcMillis(2026, 12, 31, 19, 30)

            var ops: [String] = []
            ops.append(try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV1", "--name", "Night Show",
                                      "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"))
            ops.append(try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV1", "--count", "3",
                                      "--prefix", "T", "--holder", alice.path, "--face-value", "4500", "--section", "FLOOR"))
            ops.append(try await s.op("register-gate", key: g.issuer, genesis: g.genesis, nonce: 3, "--event-id", "EV1",
                                      "--gate", gate.path, "--name", "Gate A"))
            ops.append(try await s.op("transfer", key: alice.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--to", bob.publicKey))
            // Carol never held T-2.
            ops.append(try await s.op("transfer", key: carol.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-2", "--to", bob.publicKey))
            ops.append(try await s.op("transfer", key: bob.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--to", carol.path))
            ops.append(try await s.op("redeem", key: gate.path, genesis: g.genesis, nonce: 1, "--ticket-id", "T-1", "--sequence", "2",
                                      "--scanned-at", "2026-12-31T19:30:00Z"))
            ops.append(try await s.op("redeem", key: gate.path, genesis: g.genesis, nonce: 2, "--ticket-id", "T-1", "--sequence", "2",
                                      "--scanned-at", "2026-12-31T19:31:00Z"))
            // A redeemed ticket does not move either.
            ops.append(try await s.op("transfer", key: carol.path, genesis: g.genesis, nonce: 2, "--ticket-id", "T-1", "--to", alice.publicKey))
            let file = try s.writeLines("ops.jsonl", ops)

            let store = s.path("store"), time: Int64 = 1_767_225_600_000
            let append = try await s.talon("ledger", "append", "--store", store, "--genesis", g.genesis,
                                           "--time", String(time), "--batch", "4", file)
            #expect(append.status == 1, "some envelopes were rejected, so append must exit 1\n\(append)")
            let results = ["ok", "ok", "ok", "ok", "not_holder", "ok", "ok", "already_redeemed", "already_redeemed"]
            let bytes = try ops.map(FormatModel.envelopeBytes(line:))
            let hashes = bytes.map { FormatModel.hex(FormatModel.sha256($0)) }
            let out = try append.lines.map { try decode(AppendLine.self, $0, context: append) }
            try #require(out.count == ops.count, "one JSON line per envelope\n\(append)")
            for (i, line) in out.enumerated() {
                #expect(line.line == i + 1)
                #expect(line.result == results[i], "line \(i + 1)")
                #expect(line.hash == hashes[i], "line \(i + 1)")
                #expect(line.leaf == UInt64(i), "line \(i + 1)")
                #expect(line.height == UInt64(i / 4 + 1), "line \(i + 1): blocks of 4")
                #expect(line.error == nil)
            }
            #expect(append.stderr.contains("9 applied in 3 block(s): 6 ok, 3 rejected by rules, 0 refused at admission"), "\(append)")

            // The ticket that moved twice and was redeemed.
            let show = try await s.talon("ticket", "show", "--store", store, "T-1")
            try #require(show.status == 0, "\(show)")
            let t1 = try decode(TicketView.self, show.stdout, context: show)
            #expect(t1.ticketId == "T-1" && t1.eventId == "EV1" && t1.section == "FLOOR" && t1.seat == "1" && t1.faceValue == 4500)
            #expect(t1.holder == carol.publicKey)
            #expect(t1.sequence == 2)
            #expect(t1.status == "redeemed")
            #expect(t1.redeemedBy == gate.publicKey)
            #expect(t1.redeemedAt == scanned, "the first scan's time, not the rejected second one's")
            #expect(t1.issuedHeight == 1 && t1.updatedHeight == 2)

            // The ticket a non-holder tried to take is untouched.
            let t2 = try decode(TicketView.self, try await s.talon("ticket", "show", "--store", store, "T-2").stdout)
            #expect(t2.holder == alice.publicKey && t2.sequence == 0 && t2.status == "active" && t2.seat == "2")
            #expect(t2.redeemedBy == nil && t2.redeemedAt == nil && t2.updatedHeight == 1)

            let missing = try await s.talon("ticket", "show", "--store", store, "T-4")
            #expect(missing.status == 1 && missing.stderr.hasPrefix("error[unknown_ticket]"), "\(missing)")

            // History: every record naming the ticket, in ledger order, rejected ones included.
            let history = try await s.talon("ticket", "history", "--store", store, "T-1")
            try #require(history.status == 0, "\(history)")
            let records = try history.lines.map { try decode(RecordJSON.self, $0, context: history) }
            let t1Leaves: [UInt64] = [1, 3, 5, 6, 7, 8]
            #expect(records.map(\.receipt.leaf) == t1Leaves)
            #expect(records.map(\.hash) == t1Leaves.map { hashes[Int($0)] })
            #expect(records.map(\.receipt.result) == t1Leaves.map { results[Int($0)] })
            #expect(records.map(\.receipt.height) == t1Leaves.map { $0 / 4 + 1 })
            #expect(records.map(\.receipt.position) == t1Leaves.map { UInt32($0 % 4) })
            #expect(records.map(\.envelope.op.type) == ["issue", "transfer", "transfer", "redeem", "redeem", "transfer"])
            for r in records { #expect(FormatModel.hex(FormatModel.sha256(try FormatModel.envelopeBytes(r.envelope))) == r.hash) }

            let h2 = try await s.talon("ticket", "history", "--store", store, "T-2")
            let r2 = try h2.lines.map { try decode(RecordJSON.self, $0, context: h2) }
            #expect(r2.map(\.receipt.leaf) == [1, 4])
            #expect(r2.map(\.receipt.result) == ["ok", "not_holder"])
            #expect(r2.last?.envelope.signer == carol.publicKey)

            // A holder's history: what the key received, sent and had redeemed, rejected
            // attempts included (carol's transfer of T-2, which she never held; the second
            // scan of T-1 she held; her transfer of it once redeemed), by key text or key file.
            for (who, leaves) in [(carol, [UInt64(4), 5, 6, 7, 8]), (bob, [3, 4, 5]), (alice, [1, 3, 8])] {
                for key in [who.publicKey, who.path] {
                    let run = try await s.talon("holder", "history", "--store", store, key)
                    try #require(run.status == 0, "\(run)")
                    let held = try run.lines.map { try decode(RecordJSON.self, $0, context: run) }
                    #expect(held.map(\.receipt.leaf) == leaves, "\(key)")
                    #expect(held.map(\.hash) == leaves.map { hashes[Int($0)] })
                }
            }
            let nobody = try await s.talon("holder", "history", "--store", store, try await s.newKey("dave").publicKey)
            #expect(nobody.status == 0 && nobody.stdout.isEmpty, "\(nobody)")
            let badKey = try await s.talon("holder", "history", "--store", store, "ed25519:00")
            #expect(badKey.status != 0 && badKey.stderr.hasPrefix("error[invalid_key_text]"), "\(badKey)")

            // The model of the chain, from the genesis bytes and the envelopes alone.
            let chain = FormatModel.chain(genesis: g.genesisBytes, FormatModel.batches(bytes, results, size: 4, time: time))
            let verify = try await s.verify(store)
            #expect(verify.run.status == 0, "\(verify.run)")
            #expect(verify.report.ok)
            #expect(verify.report.blocks == 3)
            #expect(verify.report.envelopes == 9)
            #expect(verify.report.failure == nil)
            #expect(verify.report.head == chain.last?.head)
            #expect(verify.report.replayed, "verify applies every block again by default")
            let quick = try await s.verify(store, replay: false)
            #expect(quick.run.status == 0 && quick.report.ok && !quick.report.replayed && quick.report.head == verify.report.head)

            let head = try await s.head(store)
            #expect(head.head.height == 3 && head.head.treeSize == 9 && head.head.timestamp == time)
            #expect(head.head == chain.last?.head, "head must match the block hash and Merkle root computed from the spec")

            for expected in chain {
                let run = try await s.talon("ledger", "block", "--store", store, String(expected.height))
                try #require(run.status == 0, "\(run)")
                let block = try decode(BlockJSON.self, run.stdout, context: run)
                let range = Int(expected.treeSize) - block.entries.count..<Int(expected.treeSize)
                #expect(block.hash == FormatModel.hex(expected.hash))
                #expect(block.prev == FormatModel.hex(expected.prev))
                #expect(block.treeRoot == FormatModel.hex(expected.treeRoot) && block.treeSize == expected.treeSize)
                #expect(block.entries.map(\.envelope) == Array(hashes[range]))
                #expect(block.entries.map(\.result) == Array(results[range]))
            }
            #expect(try await s.talon("ledger", "block", "--store", store, "4").stderr.hasPrefix("error[not_found]"))

            // The rejected transfer is a record like any other.
            let record = try await s.talon("ledger", "record", "--store", store, hashes[4])
            try #require(record.status == 0, "\(record)")
            let r = try decode(RecordJSON.self, record.stdout, context: record)
            #expect(r.receipt.leaf == 4 && r.receipt.height == 2 && r.receipt.position == 0 && r.receipt.result == "not_holder")
            #expect(r.envelope.op.ticketId == "T-2")
        }
    }
}
