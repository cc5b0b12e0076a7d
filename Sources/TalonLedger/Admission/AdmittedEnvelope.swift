public import TalonProtocol

/// An envelope this process admitted itself: its size, chain, fields and signature were
/// checked, and its signer had standing for the operation (`Ledger.admit`). Only TalonLedger
/// can make one, so code that takes an `AdmittedEnvelope` (the node's proposer) can never be
/// handed an unsigned or unverified envelope, whatever a peer or a caller sends.
public struct AdmittedEnvelope: Hashable, Sendable {
    /// The envelope, as it was checked.
    public let envelope: Envelope

    /// Only `Ledger.admit` calls this, after every check passed.
    init(_ envelope: Envelope) { self.envelope = envelope }

    /// SHA-256 of the envelope's bytes: its identity.
    public var hash: Digest { envelope.hash }
    /// The envelope's canonical bytes.
    public var bytes: [UInt8] { envelope.bytes }
}
