public import TalonProtocol
import TalonStore

/// How far a node checks a submission: a follower makes only the checks that cost nothing
/// and forwards; the node that proposes admits.
public enum AdmissionStage: Sendable {
    /// Size, chain and fields: what a follower checks before forwarding.
    case forward
    /// Size, chain, fields, signature and the signer's standing: what the proposer checks.
    case propose
}

/// What admission decided for one envelope of a submission.
public enum AdmissionDecision: Sendable, Equatable {
    /// Already in the ledger: answered with the receipt of the leaf that first took it, and
    /// never proposed again.
    case known(Receipt)
    /// Refused with one of `Code.refusals`; the envelope never enters the log.
    case refused(TalonError)
    /// Passed the forwarding checks; the leader admits it.
    case checked(Envelope)
    /// Admitted for proposal.
    case admitted(AdmittedEnvelope)
}

/// Admission: the one place that decides what an envelope needs before the node proposes it
/// (docs/architecture.md, "The write path"). What fails never enters the log, and the
/// client gets the error.
extension Ledger {
    /// Admits the envelopes of one submission, in order, with one outcome each.
    ///
    /// An envelope already in the ledger is answered with its first receipt (`firstReceipt`,
    /// the rule apply drops repeats by), whatever the checks would say now. For the others:
    /// the stateless checks (size, chain, fields; at `.propose` also the signature, before
    /// any state is read for it, so a forged envelope costs one verify), then at `.propose`
    /// the signer's standing as of the current state, where an envelope admitted earlier in
    /// the array grants standing to those after it (an issuer it registers, tickets it
    /// issues or moves, a gate it registers), as apply would. Safe from any thread; reads
    /// concurrently with apply.
    ///
    /// `verified` are envelopes this node admitted before (a submission admitted again after a
    /// ReadIndex barrier): their signatures are not checked twice. Only TalonLedger makes an
    /// `AdmittedEnvelope`, after its signature verified, and the hash covers the signature,
    /// so an envelope matching one by hash is that same signed envelope.
    /// - Throws: only what fails the whole submission (`Code.AtAdmission.failsSubmission`):
    ///   a store code when the state cannot be read.
    public func admit(_ envelopes: [Envelope], for stage: AdmissionStage,
                      verified: [AdmittedEnvelope] = []) throws(TalonError) -> [AdmissionDecision] {
        let verifiedHashes = Set(verified.map(\.hash))
        var outcomes: [AdmissionDecision?] = try read { txn in
            let lookup = try EnvelopeLookup(self, txn)
            return try envelopes.map { envelope in try firstReceipt(lookup, envelope.hash).map(AdmissionDecision.known) }
        }
        for (i, envelope) in envelopes.enumerated() where outcomes[i] == nil {
            do throws(TalonError) {
                switch stage {
                case .forward:
                    try envelope.check(chainID: chainID)
                    outcomes[i] = .checked(envelope)
                case .propose where !verifiedHashes.isEmpty && verifiedHashes.contains(envelope.hash):
                    try envelope.check(chainID: chainID)
                case .propose:
                    try envelope.check(chainID: chainID)
                    countVerifiedSignature()
                    try envelope.verifySignature()
                }
            } catch {
                outcomes[i] = .refused(error)
            }
        }
        if stage == .propose, outcomes.contains(where: { $0 == nil }) {
            try read { txn in
                var standing = Standing(txn: txn, tables: tables, admins: Set(genesis.genesis.admins))
                for (i, envelope) in envelopes.enumerated() where outcomes[i] == nil {
                    do throws(TalonError) {
                        try standing.check(envelope)
                        // What it grants matters only to the envelopes after it.
                        if i < envelopes.count - 1 { standing.grant(envelope) }
                        outcomes[i] = .admitted(AdmittedEnvelope(envelope))
                    } catch where error.code.atAdmission == .failsSubmission {
                        throw error
                    } catch {
                        outcomes[i] = .refused(error)
                    }
                }
            }
        }
        return outcomes.map { $0 ?? .refused(TalonError(.internal, "admission left an envelope undecided")) }
    }

    /// Admits one envelope that is not in the ledger yet: the stateless checks, then the
    /// signer's standing. For tools and tests; the node admits whole submissions.
    /// - Throws: the refusal (`overlong_length`, `wrong_chain`, `invalid_field`,
    ///   `bad_signature`, `not_authorized`), or a store code.
    @discardableResult
    public func admit(_ envelope: Envelope) throws(TalonError) -> AdmittedEnvelope {
        try envelope.admit(chainID: chainID)
        return try read { txn in
            var standing = Standing(txn: txn, tables: tables, admins: Set(genesis.genesis.admins))
            try standing.check(envelope)
            return AdmittedEnvelope(envelope)
        }
    }

    /// The receipt of the leaf that first took the envelope with `hash`, or nil when the
    /// ledger does not hold it: the one rule for repeats, used by admission (to answer a
    /// resubmission) and by apply (to keep the chain free of them).
    func firstReceipt(_ lookup: EnvelopeLookup, _ hash: Digest) throws -> Receipt? {
        guard let leaf = try lookup.firstLeaf(hash) else { return nil }
        return try receipt(lookup.txn, leaf: leaf)
    }
}
