import ArgumentParser
import Foundation
import TalonContracts
import TalonProtocol
import TalonLedger

/// `talon audit verify`: checks a saved audit answer with nothing but the genesis file — the
/// head's signature by a member, and for every record that carries a proof, its envelope's
/// signature, its hash, its inclusion in the head's tree, that the row says what the
/// envelope says, and (outcome proof) that its result and contract decision are the ones
/// its block's header commits to under a head signed by a member, and that the row's
/// result, royalty and reason are the decision's. With `--since`, also that the log only
/// grew since an earlier answer.
struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a saved audit answer (talon audit … --json --prove) against the genesis, offline.")

    @Option(name: .long, help: "The chain's genesis file.") var genesis: String
    @Option(name: .long, help: "An earlier saved answer: prove that the log grew from its head to this one's (needs --node).") var since: String?
    @Option(name: .long, help: "A node's API URL, for --since's consistency proof.") var node: [String] = []
    @Argument(help: "The saved answer (a file, or - for standard input).") var answer: String = "-"

    func run() async throws {
        try await reportingErrors {
            let genesisFile = try GenesisFile(bytes: try readInput(genesis))
            let checked = try Self.check(try readInput(answer), genesis: genesisFile)
            var line = "ok: head at height \(checked.head.head.height), tree size \(checked.head.head.treeSize), signed by \(checked.head.node); "
                + "\(checked.proven) record(s) proven in it, \(checked.outcomes) with their results and decisions"
            if checked.proven == 0 { line += " (ask with --prove to have records proven)" }
            if checked.proven > checked.outcomes {
                line += " (\(checked.proven - checked.outcomes) without an outcome proof: results not under a signature)"
            }
            if let since {
                let old = try Self.check(try readInput(since), genesis: genesisFile).head.head
                let new = checked.head.head
                guard old.treeSize <= new.treeSize else {
                    throw TalonError(.verifyFailed, "the earlier head's tree (\(old.treeSize)) is larger than this one's (\(new.treeSize))")
                }
                let proof = try await NodeClient(nodes: node).call("/v1/proofs/consistency?from=\(old.treeSize)&to=\(new.treeSize)")
                guard let body = try JSONSerialization.jsonObject(with: Data(proof)) as? [String: Any],
                      let path = (body["path"] as? [String])?.compactMap(Digest.init(hex:)),
                      path.count == (body["path"] as? [String])?.count,
                      MerkleVerifier.verifyConsistency(oldSize: old.treeSize, newSize: new.treeSize, oldRoot: old.treeRoot,
                                                       newRoot: new.treeRoot, proof: path) else {
                    throw TalonError(.verifyFailed, "the log at tree size \(new.treeSize) does not extend the one at \(old.treeSize)")
                }
                line += "; the log grew from tree size \(old.treeSize) (height \(old.height)) without rewriting it"
            }
            writeOut(Array(line.utf8) + [0x0A])
        }
    }

    /// The head of a saved answer and how many records it proves; throws `verify_failed` naming the first thing that is wrong.
    static func check(_ bytes: [UInt8], genesis: GenesisFile) throws -> (head: SignedHead, proven: Int, outcomes: Int) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw TalonError(.invalidJSON, "the answer is not a JSON object")
        }
        guard let headObject = root["head"], JSONSerialization.isValidJSONObject(headObject) else {
            throw TalonError(.verifyFailed, "the answer names no signed head")
        }
        let head = try JSONForm.decode(SignedHead.self, from: Array(try JSONSerialization.data(withJSONObject: headObject)))
        do { try head.verify(genesis: genesis) } catch {
            throw TalonError(.verifyFailed, "head: \(error.message)")
        }
        var proven = 0, outcomes = 0
        try visit(root) { item, where_ in
            if try checkRecord(item, at: where_, head: head.head, genesis: genesis) { outcomes += 1 }
            proven += 1
        }
        return (head, proven, outcomes)
    }

    /// Calls `body` for every object that carries a `proof`, with its JSON path.
    private static func visit(_ value: Any, at path: String = "$", _ body: ([String: Any], String) throws -> Void) throws {
        if let object = value as? [String: Any] {
            if object["proof"] != nil { try body(object, path) }
            for (key, child) in object where key != "proof" && key != "head" { try visit(child, at: "\(path).\(key)", body) }
        } else if let array = value as? [Any] {
            for (i, child) in array.enumerated() { try visit(child, at: "\(path)[\(i)]", body) }
        }
    }

    /// Checks one proven record; returns whether it carried an outcome proof.
    private static func checkRecord(_ item: [String: Any], at path: String, head: Head, genesis: GenesisFile) throws -> Bool {
        let chainID = genesis.genesis.chainID
        func fail(_ why: String) -> TalonError { TalonError(.verifyFailed, "\(path): \(why)") }
        guard let proof = item["proof"] as? [String: Any], let envelopeObject = proof["envelope"],
              JSONSerialization.isValidJSONObject(envelopeObject), let pathTexts = proof["path"] as? [String] else {
            throw fail("the proof lacks its envelope or path")
        }
        let envelope: Envelope
        do { envelope = try JSONForm.decode(Envelope.self, from: Array(try JSONSerialization.data(withJSONObject: envelopeObject))) } catch {
            throw fail("the envelope does not decode: \(error)")
        }
        guard envelope.hasValidSignature else { throw fail("the envelope's signature does not verify") }
        guard envelope.chainID.utf8.elementsEqual(chainID.utf8) else { throw fail("the envelope belongs to chain '\(envelope.chainID)'") }
        guard let hashText = item["envelope_hash"] as? String, hashText == envelope.hash.hex else {
            throw fail("envelope_hash is not the hash of the proven envelope")
        }
        let audit = pathTexts.compactMap(Digest.init(hex:))
        guard audit.count == pathTexts.count, let leaf = (item["leaf"] as? NSNumber)?.uint64Value,
              MerkleVerifier.verifyInclusion(leafHash: MerkleHash.leaf(envelope.bytes), index: leaf, size: head.treeSize,
                                             proof: audit, root: head.treeRoot) else {
            throw fail("the inclusion proof does not lead to the head's tree root")
        }
        for mismatch in Self.mismatches(item, envelope) { throw fail("the row says \(mismatch), the envelope does not") }
        guard let outcomeObject = proof["outcome"] else { return false }
        let outcome: OutcomeProof
        do {
            guard JSONSerialization.isValidJSONObject(outcomeObject) else { throw fail("the outcome proof is not an object") }
            outcome = try JSONForm.decode(OutcomeProof.self, from: Array(try JSONSerialization.data(withJSONObject: outcomeObject)))
        } catch let e as TalonError { throw e } catch {
            throw fail("the outcome proof does not decode: \(error)")
        }
        try checkOutcome(outcome, item, envelope: envelope, leaf: leaf, genesis: genesis, fail: fail)
        return true
    }

    /// Checks that `outcome` ties the record's result and decision to a head signed by a
    /// member, and that the row reports them.
    private static func checkOutcome(_ outcome: OutcomeProof, _ item: [String: Any], envelope: Envelope, leaf: UInt64,
                                     genesis: GenesisFile, fail: (String) -> TalonError) throws {
        let header = outcome.header
        guard let signed = outcome.head else { throw fail("the outcome proof carries no signed head") }
        do { try signed.verify(genesis: genesis) } catch { throw fail("the outcome's head: \(error.message)") }
        guard header.version >= 2, signed.head == header.head else {
            throw fail("the outcome's block header does not hash to the block its signed head names")
        }
        // Even a signed header is checked for sense before its numbers are added.
        guard header.treeSize >= UInt64(header.count), outcome.position < header.count,
              header.firstLeaf + UInt64(outcome.position) == leaf else {
            throw fail("the outcome's position \(outcome.position) in block \(header.height) is not leaf \(leaf)")
        }
        let entry = Block.Entry(envelopeHash: envelope.hash, result: outcome.result, decision: outcome.decision?.hash)
        guard MerkleVerifier.verifyInclusion(leafHash: entry.leafHash, index: UInt64(outcome.position), size: UInt64(header.count),
                                             proof: outcome.path, root: header.entriesDigest) else {
            throw fail("the result and decision are not the ones block \(header.height) commits to")
        }
        for mismatch in Self.mismatches(item, outcome) { throw fail("the row says \(mismatch), the proven outcome does not") }
    }

    /// The row's fields that contradict the proven outcome: block, result, royalty, reason.
    static func mismatches(_ item: [String: Any], _ outcome: OutcomeProof) -> [String] {
        var out: [String] = []
        func number(_ key: String) -> Int64? { (item[key] as? NSNumber)?.int64Value }
        if let h = item["height"] as? NSNumber, h.uint64Value != outcome.header.height { out.append("height \(h)") }
        if let t = number("timestamp"), t != outcome.header.timestamp { out.append("timestamp \(t)") }
        if let r = item["result"] as? String, r != outcome.result { out.append("result \(r)") }
        let decision = outcome.decision?.decision
        // A royalty is the contract's, on an accepted operation it allowed; otherwise none.
        let royalty = outcome.result == "ok" && decision?.allowed == true ? decision?.royalty ?? 0 : 0
        if let r = number("royalty"), r != royalty { out.append("royalty \(r)") }
        if let reason = item["reason"] as? String, reason != decision?.reason { out.append("reason '\(reason)'") }
        return out
    }

    /// The row's fields that contradict the envelope it is proven by.
    static func mismatches(_ item: [String: Any], _ envelope: Envelope) -> [String] {
        var out: [String] = []
        func same(_ key: String, _ value: String) {
            if let v = item[key], "\(v)" != value { out.append("\(key) \(v)") }
        }
        func sameNumber(_ key: String, _ value: Int64) {
            if let v = item[key] as? NSNumber, v.int64Value != value { out.append("\(key) \(v)") }
        }
        let op = envelope.operation
        same("kind", op.kind.name)
        same("signer", envelope.signer.text)
        switch op {
        case .buyResale(let o):
            same("ticket_id", o.ticketID); same("buyer", envelope.signer.text); same("to", envelope.signer.text)
            sameNumber("price", Int64(clamping: o.price)); sameNumber("fees", Int64(clamping: o.fees))
        case .listResale(let o):
            same("ticket_id", o.ticketID); same("seller", envelope.signer.text)
            sameNumber("price", Int64(clamping: o.price)); sameNumber("fees", Int64(clamping: o.fees))
        case .redeem(let o):
            same("ticket_id", o.ticketID); same("gate", envelope.signer.text); sameNumber("scanned_at", o.scannedAt)
        case .transfer(let o):
            same("ticket_id", o.ticketID); same("to", o.to.text)
        default:
            break
        }
        return out
    }
}
