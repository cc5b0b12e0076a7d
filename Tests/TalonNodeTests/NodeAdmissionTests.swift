import Foundation
import Synchronization
import Testing
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonRaft

/// The proposer verifies: nothing unsigned reaches a block, whatever a forwarder sends.
@Suite struct NodeAdmissionTests {
    /// Forward replies caught instead of sent.
    final class Replies: Sendable {
        private let got = Mutex<[UInt64: ForwardReply]>([:])
        func record(_ request: UInt64, _ reply: ForwardReply) { got.withLock { $0[request] = reply } }
        func reply(_ request: UInt64) -> ForwardReply? { got.withLock { $0[request] } }
    }

    static func catchReplies(_ n: SoloNode) -> Replies {
        let replies = Replies()
        n.node.condition.withLock { n.node.hooks.forwardReplies = { _, request, reply in replies.record(request, reply) } }
        return replies
    }

    /// Every envelope hash in every block of the node's ledger.
    static func blockedHashes(_ ledger: Ledger) throws -> Set<Digest> {
        var hashes = Set<Digest>()
        let height = try ledger.head().height
        guard height > 0 else { return hashes }
        for h in 1...height {
            for entry in try #require(try ledger.block(height: h)).entries { hashes.insert(entry.envelopeHash) }
        }
        return hashes
    }

    @Test func anUnsignedEnvelopeInAForwardFrameIsNeverProposed() async throws {
        let n = try SoloNode()
        try await n.elected()
        let replies = Self.catchReplies(n)
        let good = n.event("E1"), other = n.event("E2")
        let forged = try SoloNode.unsigned(n.event("E3")), forgedToo = try SoloNode.unsigned(other)

        // As the peer pump hands it over on a leader: admitted in a task of its own.
        n.node.receive(.forward(from: 2, request: 7, envelopes: [forged, good]))
        try await until("reply 7") { replies.reply(7) != nil }
        guard case .outcomes(let outcomes) = try #require(replies.reply(7)) else {
            Issue.record("reply 7: \(String(describing: replies.reply(7)))")
            return
        }
        #expect(outcomes.count == 2)
        #expect(outcomes.first?.rejection == TalonError(.badSignature))
        #expect(outcomes.last?.receipt?.result == "ok")

        // Straight into the loop, unverified (as when it arrived before this node led): sent
        // back to be admitted off the loop, never proposed.
        n.node.post { $0.peer.append(.forward(from: 2, request: 8, envelopes: [forgedToo])) }
        try await until("reply 8") { replies.reply(8) != nil }
        #expect(replies.reply(8) == .outcomes([.rejected(TalonError(.badSignature))]))

        try await Task.sleep(for: .milliseconds(100))
        let hashes = try Self.blockedHashes(n.node.ledger)
        #expect(hashes.contains(good.hash))
        #expect(!hashes.contains(forged.hash) && !hashes.contains(forgedToo.hash))
        #expect(try n.node.ledger.record(hash: forged.hash) == nil)
        #expect(try n.node.ledger.verify().ok)
        await n.stop()
    }

    @Test func submitAnswersOneOutcomePerEnvelope() async throws {
        let n = try SoloNode()
        try await n.elected()
        let stranger = SigningKey.generate(), promoter = SigningKey.generate()
        let spam = n.sign(.deployContract(DeployContract(source: "return {}")), by: stranger)
        let register = n.sign(.registerIssuer(RegisterIssuer(issuer: promoter.publicKey, name: "P")), by: n.admin)
        let event = n.event("P1", by: promoter)
        let forged = try SoloNode.unsigned(n.event("P2"))
        let outcomes = try await n.node.submit([spam, register, event, forged])
        #expect(outcomes.count == 4)
        #expect(outcomes[0].rejection == TalonError(.notAuthorized))
        #expect(outcomes[1].receipt?.result == "ok")
        #expect(outcomes[2].receipt?.result == "ok", "standing granted earlier in the same submission")
        #expect(outcomes[3].rejection == TalonError(.badSignature))
        #expect(try n.node.ledger.record(hash: spam.hash) == nil, "not stored")
        // Resubmitting answers the first receipts; the refusals stay refusals.
        let again = try await n.node.submit([register, spam])
        #expect(again[0] == outcomes[1])
        #expect(again[1].rejection == TalonError(.notAuthorized))
        #expect(try n.node.ledger.head().height == 1)
        await n.stop()
    }
}
