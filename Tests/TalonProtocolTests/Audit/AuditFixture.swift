import TalonProtocol
import Testing

/// One block of five records made with the kernel alone (an issue of T-1 and T-2 to alice,
/// alice's transfers of T-1 to bob and of T-2 to carol, the gate's redeem of T-1, carol's
/// listing of T-2, which the contract allowed naming a royalty), signed by member n1, and the
/// audit answers a node would give about it, with every proof.
struct AuditFixture {
    let node = SigningKey.generate(), outsider = SigningKey.generate()
    let issuer = SigningKey.generate(), gateKey = SigningKey.generate()
    let alice = SigningKey.generate(), bob = SigningKey.generate(), carol = SigningKey.generate()
    let genesis: GenesisFile
    let envelopes: [Envelope]
    let block: Block
    let head: SignedHead
    let spec: TicketSpec
    /// The contract's decision on the listing at leaf 4: allowed, with a royalty of 100.
    let listingDecision = RecordedDecision(contract: SHA256.hash([7]), hook: .onList,
                                           decision: ContractDecision(allowed: true, royalty: 100))
    private let log: InMemoryMerkleNodes

    init() throws {
        genesis = try Self.genesis(chainID: "talon-audit-test", member: node.publicKey)
        let chain = genesis.genesis.chainID
        spec = TicketSpec(ticketID: "T-1", section: "A", seat: "1", faceValue: 4500, holder: alice.publicKey)
        let other = TicketSpec(ticketID: "T-2", section: "A", seat: "2", faceValue: 4500, holder: alice.publicKey)
        envelopes = [
            Envelope(chainID: chain, nonce: 1, operation: .issue(IssueTickets(eventID: "E", tickets: [spec, other])), signedBy: issuer),
            Envelope(chainID: chain, nonce: 1, operation: .transfer(Transfer(ticketID: "T-1", to: bob.publicKey)), signedBy: alice),
            Envelope(chainID: chain, nonce: 2, operation: .transfer(Transfer(ticketID: "T-2", to: carol.publicKey)), signedBy: alice),
            Envelope(chainID: chain, nonce: 1, operation: .redeem(Redeem(ticketID: "T-1", sequence: 1, scannedAt: 5000)), signedBy: gateKey),
            Envelope(chainID: chain, nonce: 1, operation: .listResale(ListResale(ticketID: "T-2", price: 5000, fees: 0)), signedBy: carol),
        ]
        var nodes = InMemoryMerkleNodes(), frontier = MerkleFrontier()
        for e in envelopes {
            for n in frontier.append(leafHash: MerkleHash.leaf(e.bytes)) { nodes.setNode(level: n.level, index: n.index, hash: n.hash) }
        }
        log = nodes
        let decision = listingDecision
        block = Block(height: 1, prev: genesis.hash, timestamp: 1000, entries: envelopes.enumerated().map { i, e in
            Block.Entry(envelopeHash: e.hash, result: "ok", decision: i == 4 ? decision.hash : nil)
        }, treeSize: UInt64(envelopes.count), treeRoot: frontier.root())
        head = SignedHead(head: block.header.head, node: "n1", key: node, genesis: genesis)
    }

    static func genesis(chainID: String, member: PublicKey) throws -> GenesisFile {
        try GenesisFile(bytes: Genesis(chainID: chainID, members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: member)],
                                       admins: [SigningKey.generate().publicKey]).fileBytes)
    }

    /// The inclusion and outcome proofs of the record at `leaf`.
    func proof(_ leaf: Int) throws -> RecordProof {
        let path = try MerkleProver(nodes: log, size: block.treeSize).inclusionProof(leafIndex: UInt64(leaf), size: block.treeSize)
        let outcome = OutcomeProof(header: block.header, position: UInt32(leaf), result: "ok", decision: leaf == 4 ? listingDecision : nil,
                                   path: try block.entryProof(position: leaf), head: head)
        return RecordProof(envelope: envelopes[leaf], path: path, outcome: outcome)
    }

    /// The step a node reports for the record at `leaf` about T-1 (issue, transfer or redeem).
    func step(_ leaf: Int) throws -> ProvenanceStep {
        let e = envelopes[leaf]
        var s = ProvenanceStep(leaf: UInt64(leaf), height: 1, timestamp: 1000, kind: e.operation.kind.name, result: "ok", reason: nil,
                               signer: e.signer, envelopeHash: e.hash, proof: try proof(leaf))
        switch e.operation {
        case .issue: s.to = alice.publicKey; s.price = 4500
        case .transfer(let o): s.from = e.signer; s.to = o.to
        case .redeem(let o): s.from = bob.publicKey; s.gate = e.signer; s.scannedAt = o.scannedAt
        default: break
        }
        return s
    }

    /// T-1's provenance: its issue, its transfer to bob, its redeem.
    func provenance() throws -> TicketProvenance {
        TicketProvenance(ticket: TicketState(spec: spec, eventID: "E", height: 1), steps: try [0, 1, 3].map(step), truncated: false)
    }

    /// A double-entry report whose one ticket, T-1, has the redeem at leaf 3 as its attempt.
    func entries() throws -> EntryReport {
        let attempt = EntryReport.Attempt(leaf: 3, height: 1, timestamp: 1000, gate: gateKey.publicKey, gateName: "North",
                                          scannedAt: 5000, result: "ok", envelopeHash: envelopes[3].hash, proof: try proof(3))
        return EntryReport(eventID: "E", totals: .init(attempts: 1, redeemed: 1), tickets: [.init(ticketID: "T-1", attempts: [attempt])])
    }

    /// A resale report whose one row is carol's listing, reported as the ledger does: no royalty.
    func resales() throws -> ResaleReport {
        let listing = ResaleReport.Trade(kind: "list_resale", leaf: 4, height: 1, timestamp: 1000, ticketID: "T-2", seller: carol.publicKey,
                                         buyer: nil, price: 5000, fees: 0, faceValue: 4500, markupBasisPoints: 1111, royalty: 0,
                                         overCap: nil, result: "ok", reason: nil, envelopeHash: envelopes[4].hash, proof: try proof(4))
        let event = EventState(CreateEvent(eventID: "E", name: "Show", venue: "Hall", startsAt: 2, doorsOpenAt: 1, capacity: 2, currency: "EUR"),
                               issuer: issuer.publicKey, height: 1)
        return ResaleReport(event: event, capPct: nil, capSource: nil, totals: ResaleReport.Totals(), distribution: [],
                            rejected: [], resales: [listing], next: nil)
    }

    /// What `talon audit verify` says of `report` answered under `head` (the fixture's by default).
    func verify<R: Encodable & Sendable>(_ report: R, head: SignedHead? = nil) throws(TalonError) -> AuditVerifier.Checked {
        try AuditVerifier(genesis: genesis).check(JSONForm.encode(AuditAnswer(head: head ?? self.head, report: report)))
    }
}

/// Expects `body` to throw `code` with a message containing `words`.
func expectRefused(_ words: String, _ code: Code = .verifyFailed, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () throws -> some Any) {
    do {
        let answer = try body()
        Issue.record("accepted: \(answer)", sourceLocation: sourceLocation)
    } catch let error as TalonError {
        #expect(error.code == code && error.message.contains(words), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("not a TalonError: \(error)", sourceLocation: sourceLocation)
    }
}
