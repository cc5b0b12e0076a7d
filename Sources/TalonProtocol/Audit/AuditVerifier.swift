/// Checks a saved audit answer offline with nothing but the genesis file, as docs/format.md
/// "Audit answers" says: the head's signature by a member; for every record that carries a
/// proof, its envelope's signature, chain and hash, its inclusion in the head's tree, that
/// the row says what the envelope says, and (outcome proof) that its result and contract
/// decision are the ones its block's header commits to under a head signed by a member, and
/// that the row's block, result, royalty and reason are the proven ones.
public struct AuditVerifier: Sendable {
    /// The chain the answers must be of.
    public let genesis: GenesisFile

    /// A verifier for answers of the chain of `genesis`.
    public init(genesis: GenesisFile) { self.genesis = genesis }

    /// What a checked answer holds.
    public struct Checked: Hashable, Sendable {
        /// The answer's head, signed by a member.
        public var head: SignedHead
        /// Records proven in the head's tree, and those of them whose results and decisions are proven too.
        public var proven: Int, outcomes: Int
    }

    /// Decodes the answer in `bytes` and checks it.
    /// - Throws: `invalid_json` when it is not a JSON object; `verify_failed` naming the first
    ///   thing that is wrong, a shape that is not an audit answer's included.
    public func check(_ bytes: [UInt8]) throws(TalonError) -> Checked {
        try StrictJSON.check(bytes)
        guard bytes.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "{") else {
            throw TalonError(.invalidJSON, "the answer is not a JSON object")
        }
        let answer: AnyAuditAnswer
        do { answer = try JSONForm.decode(AnyAuditAnswer.self, from: bytes) } catch {
            throw TalonError(.verifyFailed, "the answer does not read as an audit answer: \(error.message)")
        }
        return try check(answer)
    }

    /// Checks a decoded answer.
    /// - Throws: `verify_failed` naming the first thing that is wrong.
    public func check(_ answer: AnyAuditAnswer) throws(TalonError) -> Checked {
        let head = answer.head
        do { try head.verify(genesis: genesis) } catch {
            throw TalonError(.verifyFailed, "head: \(error.message)")
        }
        var checked = Checked(head: head, proven: 0, outcomes: 0)
        for row in Self.provenRows(answer) {
            if try check(row, head: head.head) { checked.outcomes += 1 }
            checked.proven += 1
        }
        return checked
    }

    /// The API path of the consistency proof from `old`'s tree to `new`'s.
    /// - Throws: `verify_failed` when `old`'s tree is the larger: no proof can show it grew.
    public func consistencyPath(from old: Head, to new: Head) throws(TalonError) -> String {
        guard old.treeSize <= new.treeSize else {
            throw TalonError(.verifyFailed, "the earlier head's tree (\(old.treeSize)) is larger than this one's (\(new.treeSize))")
        }
        return "/v1/proofs/consistency?from=\(old.treeSize)&to=\(new.treeSize)"
    }

    /// Checks that `proof` shows the log at `new` only extends the log at `old`.
    /// - Throws: `verify_failed` otherwise.
    public func checkGrowth(from old: Head, to new: Head, proof: ConsistencyProof) throws(TalonError) {
        _ = try consistencyPath(from: old, to: new)
        guard MerkleVerifier.verifyConsistency(oldSize: old.treeSize, newSize: new.treeSize, oldRoot: old.treeRoot,
                                               newRoot: new.treeRoot, proof: proof.path) else {
            throw Self.notExtending(old, new)
        }
    }

    private static func notExtending(_ old: Head, _ new: Head) -> TalonError {
        TalonError(.verifyFailed, "the log at tree size \(new.treeSize) does not extend the one at \(old.treeSize)")
    }

    /// Checks that the consistency proof in the node's answer `bytes` shows the log at `new`
    /// only extends the log at `old`.
    /// - Throws: `verify_failed` otherwise, an answer that is not a proof included.
    public func checkGrowth(from old: Head, to new: Head, answer bytes: [UInt8]) throws(TalonError) {
        guard let proof = try? JSONForm.decode(ConsistencyProof.self, from: bytes) else { throw Self.notExtending(old, new) }
        try checkGrowth(from: old, to: new, proof: proof)
    }

    /// Checks one proven row against the answer's `head`; returns whether it carried an outcome proof.
    private func check(_ row: ProvenRow, head: Head) throws(TalonError) -> Bool {
        func fail(_ why: String) -> TalonError { TalonError(.verifyFailed, "\(row.path): \(why)") }
        let envelope = row.proof.envelope
        guard envelope.hasValidSignature else { throw fail("the envelope's signature does not verify") }
        guard envelope.chainID.utf8.elementsEqual(genesis.genesis.chainID.utf8) else {
            throw fail("the envelope belongs to chain '\(envelope.chainID)'")
        }
        guard row.envelopeHash == envelope.hash else { throw fail("envelope_hash is not the hash of the proven envelope") }
        guard MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(envelope.bytes), index: row.leaf, size: head.treeSize,
                                             proof: row.proof.path, root: head.treeRoot) else {
            throw fail("the inclusion proof does not lead to the head's tree root")
        }
        if let mismatch = row.claims.mismatches(envelope).first { throw fail("the row says \(mismatch), the envelope does not") }
        guard let outcome = row.proof.outcome else { return false }
        try check(outcome, of: row, envelope: envelope, fail: fail)
        return true
    }

    /// Checks that `outcome` ties the row's result and decision to a head signed by a member,
    /// and that the row reports them.
    private func check(_ outcome: OutcomeProof, of row: ProvenRow, envelope: Envelope, fail: (String) -> TalonError) throws(TalonError) {
        let header = outcome.header
        guard let signed = outcome.head else { throw fail("the outcome proof carries no signed head") }
        do { try signed.verify(genesis: genesis) } catch { throw fail("the outcome's head: \(error.message)") }
        guard header.version >= 2, signed.head == header.head else {
            throw fail("the outcome's block header does not hash to the block its signed head names")
        }
        // Even a signed header is checked for sense before its numbers are added.
        guard header.treeSize >= UInt64(header.count), outcome.position < header.count,
              header.firstLeaf + UInt64(outcome.position) == row.leaf else {
            throw fail("the outcome's position \(outcome.position) in block \(header.height) is not leaf \(row.leaf)")
        }
        let entry = Block.Entry(envelopeHash: envelope.hash, result: outcome.result, decision: outcome.decision?.hash)
        guard MerkleVerifier.verifyInclusion(leafHash: entry.leafHash, index: UInt64(outcome.position), size: UInt64(header.count),
                                             proof: outcome.path, root: header.entriesDigest) else {
            throw fail("the result and decision are not the ones block \(header.height) commits to")
        }
        if let mismatch = row.claims.mismatches(outcome, of: envelope.operation.kind).first { throw fail("the row says \(mismatch), the proven outcome does not") }
    }
}
