import TalonLedger
public import TalonProtocol

/// What became of one submitted envelope: its receipt once applied (the first receipt when
/// it was in the ledger already), or why admission refused it (`bad_signature`,
/// `not_authorized`, `wrong_chain`, …). A refused envelope never enters the log.
public enum EnvelopeOutcome: Sendable, Hashable {
    case receipt(Receipt)
    case rejected(TalonError)

    /// The receipt, or nil when refused.
    public var receipt: Receipt? {
        if case .receipt(let r) = self { r } else { nil }
    }

    /// The refusal, or nil when applied.
    public var rejection: TalonError? {
        if case .rejected(let e) = self { e } else { nil }
    }
}
