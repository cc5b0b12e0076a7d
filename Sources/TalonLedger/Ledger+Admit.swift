public import TalonProtocol
import TalonStore

/// Admission: the checks an envelope passes before the node proposes it. What fails them
/// never enters the log, and the client gets the error.
extension Ledger {
    /// The cheap stateless check, for a node that only forwards: within the size limit, the
    /// right chain, fields in range. No signature check and no state: the leader that
    /// proposes the envelope admits it fully (`admit`). Safe from any thread.
    /// - Throws: `TalonError(.overlongLength)`, `.wrongChain`, `.invalidField`.
    public func check(_ envelope: Envelope) throws(TalonError) {
        try envelope.check(chainID: chainID)
    }

    /// Admits one envelope for proposal: the stateless checks (size, chain, fields,
    /// signature) and the signer's standing as of the ledger's current state (see
    /// docs/operations.md, "Admission"). Safe from any thread; reads concurrently with apply.
    /// - Throws: `TalonError(.overlongLength)`, `.wrongChain`, `.invalidField`,
    ///   `.badSignature`, `.notAuthorized`; a store code when the state cannot be read.
    @discardableResult
    public func admit(_ envelope: Envelope) throws(TalonError) -> AdmittedEnvelope {
        try admit([envelope])[0].get()
    }

    /// Admits the envelopes of one submission, in order, with one outcome each. An envelope
    /// admitted earlier in the array grants standing to those after it (an issuer it
    /// registers, tickets it issues or moves, a gate it registers), as apply would.
    /// Signatures are checked before any state is read, so a forged envelope costs one
    /// verify. A store failure fails every envelope not yet decided with its code.
    public func admit(_ envelopes: [Envelope]) -> [Result<AdmittedEnvelope, TalonError>] {
        var results: [Result<AdmittedEnvelope, TalonError>?] = envelopes.map { envelope in
            do throws(TalonError) {
                try envelope.admit(chainID: chainID)
                return nil
            } catch {
                return .failure(error)
            }
        }
        guard results.contains(where: { $0 == nil }) else { return results.compactMap { $0 } }
        do throws(TalonError) {
            try Self.store {
                try env.read { txn in
                    var standing = Standing(txn: txn, tables: tables, admins: Set(genesis.genesis.admins))
                    for (i, envelope) in envelopes.enumerated() where results[i] == nil {
                        do throws(TalonError) {
                            try standing.check(envelope)
                            standing.grant(envelope)
                            results[i] = .success(AdmittedEnvelope(envelope))
                        } catch where error.code.kind == .fault {
                            throw error
                        } catch {
                            results[i] = .failure(error)
                        }
                    }
                }
            }
        } catch {
            for i in results.indices where results[i] == nil { results[i] = .failure(error) }
        }
        return results.map { $0 ?? .failure(TalonError(.storeCorrupt)) }
    }
}
