import TalonProtocol
import Testing

/// `AuditVerifier` on answers made with the kernel alone: a genuine answer passes, and every
/// forgery the verifier looks for is refused with `verify_failed` naming what is wrong.
struct AuditVerifierTests {
    let f: AuditFixture

    init() throws { f = try AuditFixture() }

    @Test func genuineAnswersVerify() throws {
        let provenance = try f.verify(try f.provenance())
        #expect(provenance.head == f.head && provenance.proven == 3 && provenance.outcomes == 3)
        let entries = try f.verify(try f.entries())
        #expect(entries.proven == 1 && entries.outcomes == 1)
        #expect(try f.verify(EventList(events: [])).proven == 0, "an answer without rows has only its head to check")
        var plain = try f.provenance()
        plain.steps[1].proof?.outcome = nil
        #expect(try f.verify(plain).outcomes == 2, "a record without an outcome proof is proven in the tree only")
    }

    @Test func aHeadNotSignedByAMemberIsRefused() throws {
        let p = try f.provenance()
        expectRefused("head:") { try f.verify(p, head: SignedHead(head: f.head.head, node: "n1", key: f.outsider, genesis: f.genesis)) }
        var renamed = f.head
        renamed.node = "n9"
        expectRefused("not a member") { try f.verify(p, head: renamed) }
        // The same member key on another chain: the genesis hash is in what a head signs.
        let other = try AuditFixture.genesis(chainID: "another-chain", member: f.node.publicKey)
        expectRefused("head:") { try f.verify(p, head: SignedHead(head: f.head.head, node: "n1", key: f.node, genesis: other)) }
    }

    @Test func aRowThatContradictsItsEnvelopeIsRefused() throws {
        var p = try f.provenance()
        p.steps[1].to = f.carol.publicKey
        expectRefused("the row says to \(f.carol.publicKey), the envelope does not") { try f.verify(p) }
        p = try f.provenance()
        p.steps[1].signer = f.bob.publicKey
        expectRefused("the row says signer") { try f.verify(p) }
        p = try f.provenance()
        p.steps[1].kind = "void"
        expectRefused("the row says kind void") { try f.verify(p) }
        p = try f.provenance()
        p.steps[2].scannedAt = 4000
        expectRefused("$.steps[2]: the row says scanned_at 4000") { try f.verify(p) }
        var e = try f.entries()
        e.tickets[0].attempts[0].gate = f.outsider.publicKey
        expectRefused("$.tickets[0].attempts[0]: the row says gate") { try f.verify(e) }
    }

    /// A proven record of another ticket pasted into a ticket's provenance, and a transfer
    /// standing as a redeem attempt: each agrees with its envelope field by field, but the
    /// envelope is not about the answer's ticket, or not a redeem.
    @Test func aRecordOfAnotherTicketOrKindIsRefused() throws {
        var p = try f.provenance()
        p.steps[1] = try f.step(2)
        expectRefused("$.steps[1]: the row says ticket_id T-1") { try f.verify(p) }
        var e = try f.entries()
        e.tickets[0].attempts[0].leaf = 1
        e.tickets[0].attempts[0].envelopeHash = f.envelopes[1].hash
        e.tickets[0].attempts[0].proof = try f.proof(1)
        expectRefused("the row says kind redeem") { try f.verify(e) }
    }

    @Test func anEnvelopeThatIsNotTheRecordsIsRefused() throws {
        var p = try f.provenance()
        p.steps[1].envelopeHash = f.envelopes[2].hash
        expectRefused("envelope_hash is not the hash of the proven envelope") { try f.verify(p) }
        // Signed by alice's key, but not over this envelope.
        let e = f.envelopes[1]
        p = try f.provenance()
        p.steps[1].proof?.envelope = Envelope(chainID: e.chainID, signer: e.signer, nonce: e.nonce, operation: e.operation,
                                              signature: f.envelopes[2].signature)
        expectRefused("signature does not verify") { try f.verify(p) }
        p = try f.provenance()
        p.steps[1].proof?.envelope = Envelope(chainID: "another-chain", nonce: e.nonce, operation: e.operation, signedBy: f.alice)
        expectRefused("belongs to chain 'another-chain'") { try f.verify(p) }
    }

    @Test func anInclusionPathThatMissesTheRootIsRefused() throws {
        var p = try f.provenance()
        p.steps[1].proof?.path.reverse()
        expectRefused("the inclusion proof does not lead to the head's tree root") { try f.verify(p) }
        p = try f.provenance()
        p.steps[1].leaf = 2
        expectRefused("the inclusion proof does not lead") { try f.verify(p) }
    }

    @Test func aForgedOutcomeIsRefused() throws {
        func forged(_ change: (inout OutcomeProof) -> Void) throws -> TicketProvenance {
            var p = try f.provenance()
            if var outcome = p.steps[1].proof?.outcome {
                change(&outcome)
                p.steps[1].proof?.outcome = outcome
            }
            return p
        }
        expectRefused("not the ones block 1 commits to") { try f.verify(try forged { $0.result = "not_holder" }) }
        expectRefused("carries no signed head") { try f.verify(try forged { $0.head = nil }) }
        expectRefused("the outcome's head:") {
            try f.verify(try forged { $0.head = SignedHead(head: f.head.head, node: "n1", key: f.outsider, genesis: f.genesis) })
        }
        expectRefused("does not hash to the block its signed head names") {
            try f.verify(try forged { $0.header.timestamp = 999 })
        }
        expectRefused("is not leaf 1") { try f.verify(try forged { $0.position = 2 }) }
        // The outcome is genuine; the row reports another result or block.
        var p = try f.provenance()
        p.steps[1].result = "not_holder"
        expectRefused("the row says result not_holder, the proven outcome does not") { try f.verify(p) }
        p = try f.provenance()
        p.steps[1].height = 2
        expectRefused("the row says height 2") { try f.verify(p) }
        p = try f.provenance()
        p.steps[1].royalty = 100
        expectRefused("the row says royalty 100") { try f.verify(p) }
    }

    /// A contract may name a royalty when it allows a listing; only a buy pays one, so the
    /// report's listing row says 0, and that is what the verifier expects. It refused such a
    /// genuine answer before (it took the decision's royalty for any accepted operation).
    @Test func aListingsRoyaltyIsNone() throws {
        let genuine = try f.verify(try f.resales())
        #expect(genuine.proven == 1 && genuine.outcomes == 1)
        var claimed = try f.resales()
        claimed.resales[0].royalty = 100
        expectRefused("$.resales[0]: the row says royalty 100, the proven outcome does not") { try f.verify(claimed) }
    }

    @Test func answersThatAreNotAuditAnswersAreRefused() throws {
        let verifier = AuditVerifier(genesis: f.genesis)
        expectRefused("not a JSON object", .invalidJSON) { try verifier.check(Array("[1, 2]".utf8)) }
        expectRefused("", .invalidJSON) { try verifier.check(Array("{\"head\": 1.5}".utf8)) }
        expectRefused("exactly one of steps") { try verifier.check(JSONForm.encode(AuditAnswer(head: f.head, report: EventList(events: [])))
            .dropLast() + Array(",\"steps\":[]}".utf8)) }
        expectRefused("missing field 'head'") { try verifier.check(JSONForm.encode(EventList(events: []))) }
    }

    @Test func growthIsProvenByAConsistencyProof() throws {
        let verifier = AuditVerifier(genesis: f.genesis)
        var nodes = InMemoryMerkleNodes(), frontier = MerkleFrontier(), roots: [Digest] = []
        for e in f.envelopes {
            for n in frontier.append(leafHash: MerkleHash.leaf(e.bytes)) { nodes.setNode(level: n.level, index: n.index, hash: n.hash) }
            roots.append(frontier.root())
        }
        let old = Head(height: 1, blockHash: f.genesis.hash, treeSize: 2, treeRoot: roots[1], timestamp: 0), new = f.head.head
        let path = try MerkleProver(nodes: nodes, size: new.treeSize).consistencyProof(from: 2, to: new.treeSize)
        let proof = ConsistencyProof(from: 2, to: new.treeSize, fromRoot: roots[1], toRoot: new.treeRoot, path: path)
        #expect(try verifier.consistencyPath(from: old, to: new) == "/v1/proofs/consistency?from=2&to=5")
        try verifier.checkGrowth(from: old, to: new, answer: JSONForm.encode(proof))
        var rewritten = old
        rewritten.treeRoot = roots[0]
        expectRefused("does not extend the one at 2") { try verifier.checkGrowth(from: rewritten, to: new, proof: proof) }
        expectRefused("does not extend") { try verifier.checkGrowth(from: old, to: new, answer: Array("{}".utf8)) }
        expectRefused("is larger than this one's") { try verifier.consistencyPath(from: new, to: old) }
    }
}
