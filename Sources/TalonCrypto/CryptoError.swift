public import TalonProtocol

/// An error from TalonCrypto: a registered code and a human message. Equal when codes are equal.
public struct CryptoError: CodedError, Hashable {
    /// The stable code, e.g. `key_file_permissions`.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Equal when the codes are equal; the message is ignored.
    public static func == (a: CryptoError, b: CryptoError) -> Bool { a.code == b.code }
    /// Hashes the code only, consistent with `==`.
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// A public key's text form is not `ed25519:` followed by 64 lowercase hex digits.
    public static let invalidKeyText = CryptoError(.invalidKeyText, "")
    /// A private key file is readable or writable by group or others.
    public static let keyFilePermissions = CryptoError(.keyFilePermissions, "")
    /// A private key file could not be read or written.
    public static let keyFileIO = CryptoError(.keyFileIO, "")
    /// A private key file is not a Talon key file.
    public static let keyFileMalformed = CryptoError(.keyFileMalformed, "")
    /// Refused to overwrite an existing key file.
    public static let keyFileExists = CryptoError(.keyFileExists, "")
}

extension CryptoError {
    /// An authenticated ciphertext does not verify: wrong key, nonce, associated data, or tampered bytes.
    public static let decryptionFailed = CryptoError(.decryptionFailed, "ciphertext does not authenticate")
    /// A cipher state used every nonce it has.
    public static let nonceExhausted = CryptoError(.nonceExhausted, "the cipher state has used every nonce")
}
