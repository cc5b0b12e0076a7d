import Foundation
import Testing
import TalonProtocol
@testable import TalonGate
@testable import TalonLedger

/// A node's API as the gate tests serve it: fixed answers by path, and for a POST of
/// envelopes whatever `submit` answers.
struct FakeNode: NodeAPIClient {
    var answers: [String: [UInt8]] = [:]
    var submit: @Sendable ([Envelope]) throws -> SubmitResults = { _ in SubmitResults(results: []) }

    func call(_ path: String, body: [UInt8]?) async throws -> [UInt8] {
        if let body { return JSONForm.encode(try submit(try JSONForm.decode([Envelope].self, from: body))) }
        guard let answer = answers[path] else { throw TalonError(.notFound, "no answer at \(path)") }
        return answer
    }
}

/// `GateSync` and `Gate.upload` against a fake node: a genuine sync in pages, and pages
/// whose head is not a member's signature on this chain, refused before anything is written.
@Suite struct GateSyncTests {
    let f: GateFixture
    static let pageSize = 3

    init() throws { f = try GateFixture() }

    /// E1 as a node answers it: event, gates, and its seven tickets in pages of three, the
    /// head of page `i` signed by `sign(i, head)` (by member n1 when not given).
    func node(sign: ((Int, Head) -> SignedHead)? = nil) throws -> FakeNode {
        var node = FakeNode()
        let event = try require(try f.ledger.event("E1"))
        node.answers[APIPath.event("E1")] = JSONForm.encode(EventResponse(event: event, servedAt: ServedAt(height: 1, consistency: "local")))
        node.answers[APIPath.eventGates("E1")] = JSONForm.encode(EventGates(gates: try f.ledger.gates(event: "E1")))
        var after: String?, i = 0
        repeat {
            let page = try f.ledger.tickets(event: "E1", after: after, limit: Self.pageSize)
            let next = page.tickets.count == Self.pageSize ? page.tickets.last?.ticketID : nil
            let head = sign?(i, page.head) ?? SignedHead(head: page.head, node: "n1", key: f.node, genesis: f.genesis)
            node.answers[APIPath.eventTickets("E1", limit: Self.pageSize, after: after)] =
                JSONForm.encode(EventTickets(head: head, tickets: page.tickets, next: next))
            after = next
            i += 1
        } while after != nil
        return node
    }

    func sync(_ node: FakeNode, dir: String = "synced") async throws -> (info: GateSnapshotInfo, tickets: Int) {
        try await GateSync.sync(event: "E1", gate: f.gateKey.publicKey, genesis: f.genesis, dir: f.dir + "/" + dir, from: node,
                                source: "fake", at: 7, pageSize: Self.pageSize)
    }

    /// Expects the sync from `node` to fail with `code` and leave no store behind.
    func expectRefused(_ node: FakeNode, _ code: Code, sourceLocation: SourceLocation = #_sourceLocation) async {
        await #expect(throws: TalonError(code), sourceLocation: sourceLocation) { try await sync(node, dir: "refused") }
        #expect(throws: TalonError(.gateNotSynced), "nothing was written", sourceLocation: sourceLocation) { try Gate(dir: f.dir + "/refused") }
    }

    @Test func aGenuineSyncReadsEveryPage() async throws {
        let (info, count) = try await sync(try node())
        #expect(count == 7 && info.gate.name == "North" && info.node == "fake" && info.syncedAt == 7)
        let gate = try Gate(dir: f.dir + "/synced")
        #expect(gate.store.info == info)
        #expect(try gate.check(try f.pass("T1"), at: GateFixture.doors + 60_000).0.decision == .admit)
    }

    @Test func aHeadNotSignedByAMemberIsRefused() async throws {
        // The second page's head carries member n1's name under another key's signature.
        let outsider = SigningKey.generate()
        await expectRefused(try node(sign: { i, head in
            SignedHead(head: head, node: "n1", key: i == 1 ? outsider : f.node, genesis: f.genesis)
        }), .badSignature)
        await expectRefused(try node(sign: { _, head in SignedHead(head: head, node: "n7", key: f.node, genesis: f.genesis) }), .badSignature)
    }

    @Test func aPageOfAnotherChainIsRefused() async throws {
        // Signed by the member's own key, but for another genesis: the head names another chain.
        let other = try GenesisFile(bytes: Genesis(
            chainID: "another-chain", members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: f.node.publicKey)],
            admins: [SigningKey.generate().publicKey]).fileBytes)
        await expectRefused(try node(sign: { i, head in
            SignedHead(head: head, node: "n1", key: f.node, genesis: i == 2 ? other : f.genesis)
        }), .badSignature)
    }

    @Test func answersOfAnotherEventOrGateOrPagesThatDoNotMoveOnAreRefused() async throws {
        var other = try node()
        other.answers[APIPath.event("E1")] = JSONForm.encode(EventResponse(event: try require(try f.ledger.event("E2")),
                                                                           servedAt: ServedAt(height: 1, consistency: "local")))
        await expectRefused(other, .invalidAnswer)
        var stranger = try node()
        stranger.answers[APIPath.eventGates("E1")] = JSONForm.encode(EventGates(gates: []))
        await expectRefused(stranger, .notAGate)
        var looping = try node()
        let first = APIPath.eventTickets("E1", limit: Self.pageSize, after: nil)
        var page = try JSONForm.decode(EventTickets.self, from: try require(looping.answers[first]))
        page.next = nil
        looping.answers[first] = JSONForm.encode(EventTickets(head: page.head, tickets: page.tickets, next: "T3"))
        looping.answers[APIPath.eventTickets("E1", limit: Self.pageSize, after: "T3")] =
            JSONForm.encode(EventTickets(head: page.head, tickets: [], next: "T3"))
        await expectRefused(looping, .invalidAnswer)
    }

    @Test func uploadSubmitsEachAdmissionOnceAndKeepsTheAnswers() async throws {
        let gate = try f.syncGate()
        #expect(try gate.scan(try f.pass("T1"), at: GateFixture.doors + 60_000).decision == .admit)
        let receipts = FakeNode(submit: { envelopes in
            SubmitResults(results: envelopes.enumerated().map { i, e in
                SubmitOutcome(hash: e.hash, receipt: Receipt(leaf: 100 + UInt64(i), height: 9, position: UInt32(i), result: "ok"))
            })
        })
        let wrongHash = FakeNode(submit: { envelopes in
            SubmitResults(results: envelopes.map { _ in SubmitOutcome(hash: SHA256.hash([1]), receipt: Receipt(leaf: 1, height: 1, position: 0, result: "ok")) })
        })
        await #expect(throws: TalonError(.invalidAnswer)) { try await gate.upload(key: f.gateKey, to: wrongHash) }
        #expect(try gate.pendingRedeems(key: f.gateKey).count == 1, "an answer for other envelopes marks nothing")
        await #expect(throws: TalonError(.wrongGateKey)) { try await gate.upload(key: f.south, to: receipts) }
        let uploaded = try await gate.upload(key: f.gateKey, to: receipts, batch: 1)
        #expect(uploaded == Gate.UploadSummary(redeems: 1, counts: ["ok": 1]))
        #expect(try await gate.upload(key: f.gateKey, to: receipts).redeems == 0, "nothing is left to upload")
    }
}
