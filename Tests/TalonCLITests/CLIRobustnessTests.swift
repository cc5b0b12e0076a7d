import Foundation
import TalonTestSupport
import Testing

/// What the `talon` tool does with damaged stores, bad keys, the wrong genesis and bad input:
/// a stable error code, an exit status, and nothing half-written.
@Suite(.timeLimit(.minutes(5)))
struct CLIRobustnessTests {
    /// A three-block ledger (blocks of two) with the lines that built it.
    struct Built {
        let chain: ChainFiles
        let store: String
        let ops: [String]
    }

    static let time = "1767225600000"

    func build(_ s: Sandbox) async throws -> Built {
        let g = try await s.genesis()
        let alice = try await s.newKey("alice"), bob = try await s.newKey("bob")
        var ops: [String] = []
        ops.append(try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV1", "--name", "Show",
                                  "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10"))
        ops.append(try await s.op("issue", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV1", "--count", "4",
                                  "--prefix", "T", "--holder", alice.path, "--face-value", "4500"))
        for (i, t) in ["T-1", "T-2", "T-3", "T-4"].enumerated() {
            ops.append(try await s.op("transfer", key: alice.path, genesis: g.genesis, nonce: UInt64(i + 1), "--ticket-id", t, "--to", bob.publicKey))
        }
        let store = s.path("store")
        let append = try await s.talon("ledger", "append", "--store", store, "--genesis", g.genesis, "--time", Self.time,
                                       "--batch", "2", try s.writeLines("ops.jsonl", ops))
        try #require(append.status == 0, "\(append)")
        return Built(chain: g, store: store, ops: ops)
    }

    /// Copies the store, flips one byte of `data.mdb` at `offset` in the copy, and returns the copy.
    func damagedCopy(_ s: Sandbox, _ built: Built, offset: Int, name: String) throws -> String {
        let copy = s.path(name)
        try FileManager.default.copyItem(atPath: built.store, toPath: copy)
        let file = URL(fileURLWithPath: copy).appendingPathComponent("data.mdb")
        var bytes = try Data(contentsOf: file)
        bytes[offset] ^= 0x01
        try bytes.write(to: file)
        return copy
    }

    func dataFile(_ built: Built) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: built.store).appendingPathComponent("data.mdb")))
    }

    /// One flipped bit in a stored envelope's signature: `verify` fails and names block 2 and
    /// the envelope's leaf. LMDB copies pages on write, so the bytes may also sit in a freed
    /// page; every copy is tried, the live one must be caught, and none may crash the tool.
    @Test func aFlippedByteInAStoredEnvelopeIsFoundAndNamed() async throws {
        try await withSandbox { s in
            let built = try await build(s)
            let clean = try await s.verify(built.store)
            try #require(clean.run.status == 0 && clean.report.ok, "\(clean.run)")

            // Leaf 3 (the second transfer) is the second entry of block 2.
            let envelope = try decode(EnvelopeJSON.self, built.ops[3])
            let signature = try FormatModel.unhex(envelope.signature)
            let offsets = FormatModel.offsets(of: signature, in: try dataFile(built))
            try #require(!offsets.isEmpty, "the signature is stored verbatim")

            var caught = 0
            for (i, offset) in offsets.enumerated() {
                let copy = try damagedCopy(s, built, offset: offset + 10, name: "damaged-\(i)")
                let result = try await s.verify(copy)
                #expect(result.run.status == 0 || result.run.status == 1, "no crash\n\(result.run)")
                guard let failure = result.report.failure else { continue }
                caught += 1
                #expect(result.run.status == 1)
                #expect(!result.report.ok)
                #expect(failure.height == 2, "\(result.run)")
                #expect(failure.leaf == 3, "\(result.run)")
                #expect(result.run.stderr.contains("error[verify_failed]: block 2 (envelope at leaf 3)"), "\(result.run)")
            }
            #expect(caught >= 1, "the live copy of the envelope was damaged in one of \(offsets.count) places")
        }
    }

    /// A flipped byte in a block's `prev` field breaks the chain at that block.
    @Test func aFlippedByteInABlockHeaderIsFoundAndNamed() async throws {
        try await withSandbox { s in
            let built = try await build(s)
            let run = try await s.talon("ledger", "block", "--store", built.store, "3")
            let block3 = try decode(BlockJSON.self, run.stdout, context: run)
            let offsets = FormatModel.offsets(of: try FormatModel.unhex(block3.prev), in: try dataFile(built))
            try #require(!offsets.isEmpty)
            var caught = 0
            for (i, offset) in offsets.enumerated() {
                let result = try await s.verify(try damagedCopy(s, built, offset: offset + 5, name: "damaged-\(i)"))
                #expect(result.run.status == 0 || result.run.status == 1, "no crash\n\(result.run)")
                guard let failure = result.report.failure else { continue }
                caught += 1
                #expect(failure.height == 3, "\(result.run)")
                #expect(result.run.stderr.contains("error[verify_failed]: block 3"), "\(result.run)")
            }
            #expect(caught >= 1)
        }
    }

    /// A private key others can read is refused before anything is signed.
    @Test func aKeyFileOthersCanReadIsRefused() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let alice = try await s.newKey("alice")
            for mode in ["0644", "0640", "0604"] {
                #expect(chmod(alice.path, mode_t(mode, radix: 8) ?? 0) == 0)
                let run = try await s.talon("op", "transfer", "--key", alice.path, "--genesis", g.genesis, "--nonce", "1",
                                            "--ticket-id", "T-1", "--to", alice.publicKey)
                #expect(run.status == 1, "\(run)")
                #expect(run.stderr.hasPrefix("error[key_file_permissions]"), "\(run)")
                #expect(run.stdout.isEmpty, "nothing signed with a leaked key\n\(run)")
            }
            #expect(chmod(alice.path, 0o600) == 0)
            let ok = try await s.talon("keys", "show", alice.path)
            #expect(ok.status == 0 && ok.stdout.contains(alice.publicKey), "\(ok)")
        }
    }

    /// A store made from one genesis refuses to open with another, and nothing is written.
    @Test func aStoreRefusesAnotherGenesis() async throws {
        try await withSandbox { s in
            let built = try await build(s)
            let before = try await s.head(built.store).head
            let other = try await s.genesis("other", chainId: "talon-other")
            let op = try await s.op("create-event", key: other.issuer, genesis: other.genesis, nonce: 1, "--event-id", "EV2",
                                    "--name", "Other", "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "1")
            let run = try await s.talon("ledger", "append", "--store", built.store, "--genesis", other.genesis, "--time", Self.time,
                                        try s.writeLines("other.jsonl", [op]))
            #expect(run.status == 1, "\(run)")
            #expect(run.stderr.hasPrefix("error[genesis_mismatch]"), "\(run)")
            #expect(try await s.head(built.store).head == before)
            #expect(try await s.verify(built.store).report.ok)
        }
    }

    /// Garbage, truncated JSON, a forged signature and an envelope for another chain are
    /// refused line by line with their codes; the good lines around them are applied.
    @Test func badLinesAreRefusedAndTheRestApplied() async throws {
        try await withSandbox { s in
            let g = try await s.genesis()
            let other = try await s.genesis("other", chainId: "talon-other")
            let good1 = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 1, "--event-id", "EV1", "--name", "Show",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let good2 = try await s.op("create-event", key: g.issuer, genesis: g.genesis, nonce: 2, "--event-id", "EV2", "--name", "Show 2",
                                       "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let foreign = try await s.op("create-event", key: other.issuer, genesis: other.genesis, nonce: 3, "--event-id", "EV3",
                                         "--name", "Elsewhere", "--venue", "Hall", "--starts-at", "2026-12-31T20:00:00Z", "--capacity", "10")
            let forged = good2.replacingOccurrences(of: "\"Show 2\"", with: "\"Show 3\"")
            #expect(forged != good2)
            let lines = [good1, "this is not json", String(good2.prefix(40)), forged, foreign, "{\"version\":1}", good2,
                         good2.replacingOccurrences(of: "\"nonce\":2", with: "\"nonce\":2.0")]
            let expected: [String?] = [nil, "invalid_json", "invalid_json", "bad_signature", "wrong_chain", "invalid_json", nil, "invalid_json"]

            let store = s.path("store")
            let run = try await s.talon("ledger", "append", "--store", store, "--genesis", g.genesis, "--time", Self.time,
                                        try s.writeLines("mixed.jsonl", lines))
            #expect(run.status == 1, "\(run)")
            let out = try run.lines.map { try decode(AppendLine.self, $0, context: run) }
            try #require(out.count == lines.count, "\(run)")
            for (i, code) in expected.enumerated() {
                let line = try #require(out.first { $0.line == i + 1 }, "line \(i + 1)\n\(run)")
                #expect(line.error == code, "line \(i + 1)\n\(run)")
                #expect((line.result == "ok") == (code == nil), "line \(i + 1)\n\(run)")
            }
            #expect(run.stderr.contains("2 applied in 1 block(s): 2 ok, 0 rejected by rules, 6 refused at admission"), "\(run)")
            let head = try await s.head(store).head
            #expect(head.height == 1 && head.treeSize == 2)
            #expect(try await s.verify(store).report.ok)
        }
    }

    /// The same lines, appended to two fresh stores at the same time, give the same chain.
    @Test func twoStoresFedTheSameLinesAgree() async throws {
        try await withSandbox { s in
            let built = try await build(s)
            let again = s.path("again")
            let run = try await s.talon("ledger", "append", "--store", again, "--genesis", built.chain.genesis, "--time", Self.time,
                                        "--batch", "2", s.path("ops.jsonl"))
            #expect(run.status == 0, "\(run)")
            #expect(try await s.head(again).head == (try await s.head(built.store).head))
            for height in ["1", "2", "3"] {
                let a = try await s.talon("ledger", "block", "--store", built.store, height)
                let b = try await s.talon("ledger", "block", "--store", again, height)
                #expect(a.status == 0 && a.stdout == b.stdout)
            }
        }
    }
}
