
/// A signed operation: the only way anything enters the ledger.
///
/// Binary form (version 1): `u8 version, string chain_id, key signer, u64 nonce,
/// operation, signature[64]`. The signature covers `"TALON-ENVELOPE-V1\0"` followed by
/// every byte before the signature. The envelope's hash is SHA-256 of all its bytes.
public struct Envelope: Hashable, Sendable {
    /// The only version this build reads and writes.
    public static let version: UInt8 = 1
    /// The prefix that separates envelope signatures from every other thing Talon signs.
    public static let signingDomain: [UInt8] = Array("TALON-ENVELOPE-V1".utf8) + [0]

    public let chainID: String
    public let signer: PublicKey
    /// A number the signer never used before on this chain.
    public let nonce: UInt64
    public let operation: LedgerOperation
    public let signature: Signature
    /// The canonical encoding, signature included.
    public let bytes: [UInt8]
    /// SHA-256 of `bytes`: the envelope's identity.
    public let hash: Digest

    /// Builds and signs an envelope with `key`.
    public init(chainID: String, nonce: UInt64, operation: LedgerOperation, signedBy key: SigningKey) {
        let body = Self.body(chainID: chainID, signer: key.publicKey, nonce: nonce, operation: operation)
        let signature = key.sign(Self.signingDomain + body)
        self.init(chainID: chainID, signer: key.publicKey, nonce: nonce, operation: operation, signature: signature, body: body)
    }

    /// Assembles an envelope from its parts without checking the signature.
    public init(chainID: String, signer: PublicKey, nonce: UInt64, operation: LedgerOperation, signature: Signature) {
        let body = Self.body(chainID: chainID, signer: signer, nonce: nonce, operation: operation)
        self.init(chainID: chainID, signer: signer, nonce: nonce, operation: operation, signature: signature, body: body)
    }

    private init(chainID: String, signer: PublicKey, nonce: UInt64, operation: LedgerOperation, signature: Signature, body: [UInt8]) {
        self.chainID = chainID
        self.signer = signer
        self.nonce = nonce
        self.operation = operation
        self.signature = signature
        self.bytes = body + signature.bytes
        self.hash = SHA256.hash(bytes)
    }

    private static func body(chainID: String, signer: PublicKey, nonce: UInt64, operation: LedgerOperation) -> [UInt8] {
        var w = ByteWriter()
        w.u8(version)
        w.string(chainID)
        w.key(signer)
        w.u64(nonce)
        operation.encode(into: &w)
        return w.bytes
    }

    /// The bytes the signature covers: the domain prefix and the envelope without its signature.
    public var signedMessage: [UInt8] { Self.signingDomain + bytes.dropLast(64) }

    /// True when the signature verifies for `signer` over `signedMessage`.
    public var hasValidSignature: Bool { signer.verify(signature, for: signedMessage) }

    /// Decodes the canonical binary form, refusing anything else.
    /// - Throws: `TalonError(.unknownVersion)`, `.unknownOperation`, `.truncated`,
    ///   `.overlongLength`, `.trailingBytes`, `.nonCanonical`.
    public init(bytes: [UInt8]) throws(TalonError) {
        guard bytes.count <= Limits.envelopeBytes else {
            throw TalonError(.overlongLength, "envelope of \(bytes.count) bytes exceeds \(Limits.envelopeBytes)")
        }
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == Self.version else { throw TalonError(.unknownVersion, "envelope version \(version) is not \(Self.version)") }
        let chainID = try r.string(max: Limits.textBytes)
        let signer = try r.key()
        let nonce = try r.u64()
        let operation = try LedgerOperation.decode(from: &r)
        guard let signature = Signature(bytes: try r.raw(64)) else { throw TalonError(.truncated) }
        try r.finish()
        // Re-encode from the decoded fields: the result must be the input, byte for byte.
        self.init(chainID: chainID, signer: signer, nonce: nonce, operation: operation, signature: signature)
        // Decoding then re-encoding must give the same bytes; anything else was not canonical.
        guard self.bytes == bytes else { throw TalonError(.nonCanonical) }
    }

    /// The signer and operation kind of stored envelope `bytes`, with a reader at the
    /// operation's fields: one field of a large envelope without decoding the rest.
    package static func peek(_ bytes: [UInt8]) throws(TalonError) -> (signer: PublicKey, kind: LedgerOperation.Kind, fields: ByteReader) {
        var r = ByteReader(bytes)
        let version = try r.u8()
        guard version == Self.version else { throw TalonError(.unknownVersion, "envelope version \(version) is not \(Self.version)") }
        _ = try r.view(max: Limits.textBytes)
        let signer = try r.key()
        try r.skip(8)
        let kind = try LedgerOperation.kind(from: &r)
        return (signer, kind, r)
    }

    /// The stateless admission check: within the size limit, the right chain, fields in
    /// range (`check(chainID:)`), then a valid signature. What the single-process path
    /// (`talon ledger append`) checks; a node's proposer uses `Ledger.admit`, which adds the
    /// signer's standing.
    /// - Throws: `TalonError(.overlongLength)`, `.wrongChain`, `.invalidField`, `.badSignature`.
    public func admit(chainID expected: String) throws(TalonError) {
        try check(chainID: expected)
        try verifySignature()
    }

    /// The signature check alone (Ed25519, libsodium).
    /// - Throws: `TalonError(.badSignature)`.
    public func verifySignature() throws(TalonError) {
        guard hasValidSignature else {
            throw TalonError(.badSignature, "signature does not verify for \(signer.text)")
        }
    }

    /// The cheap stateless check, without the signature: within the size limit, the right
    /// chain, fields in range. What a node that only forwards checks.
    /// - Throws: `TalonError(.overlongLength)`, `.wrongChain`, `.invalidField`.
    public func check(chainID expected: String) throws(TalonError) {
        guard bytes.count <= Limits.envelopeBytes else {
            throw TalonError(.overlongLength, "envelope of \(bytes.count) bytes exceeds \(Limits.envelopeBytes)")
        }
        // Bytes, not String ==: canonically equivalent spellings are different chains.
        guard chainID.utf8.elementsEqual(expected.utf8) else {
            throw TalonError(.wrongChain, "envelope is for chain '\(chainID.prefix(64))', this ledger is '\(expected)'")
        }
        try operation.validateFields()
        // A buyer needs no standing and becomes the ticket's holder: its key must pass the
        // rule every key that receives a ticket passes (a mixed-order key can verify).
        if case .buyResale = operation { try LedgerOperation.key(signer, "the buyer's signer key") }
    }
}

/// Envelopes are stored in their canonical form.
