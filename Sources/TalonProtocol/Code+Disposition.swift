extension Code {
    /// What a code met while applying one envelope of a block does.
    public enum AtApply: Sendable {
        /// The envelope stays in the block with the code as its result.
        case recorded
        /// Not a verdict on the envelope (a damaged store, a failed write): the block's
        /// transaction is rolled back and the node stops rather than diverge.
        case aborts
    }

    /// Whether apply records this code as an envelope's result or aborts the block: a code of
    /// `.result` use is recorded, every other aborts. The same on every node of a build.
    public var atApply: AtApply { uses.contains(.result) ? .recorded : .aborts }

    /// What a code met while admitting one envelope of a submission does.
    public enum AtAdmission: Sendable {
        /// That envelope alone is refused; the others of the submission go on.
        case refusesEnvelope
        /// The node cannot judge any envelope now (its store failed): the whole submission
        /// fails and resubmitting is safe.
        case failsSubmission
    }

    /// Whether admission refuses one envelope with this code or fails the whole submission:
    /// Talon's own faults and a full disk fail the submission, every other code refuses the
    /// envelope.
    public var atAdmission: AtAdmission { kind == .fault || kind == .insufficientStorage ? .failsSubmission : .refusesEnvelope }
}
