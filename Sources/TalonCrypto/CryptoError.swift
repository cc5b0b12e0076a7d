/// An error from TalonCrypto, with a stable `code` and a human message. Equal when codes are equal.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The stable, machine-readable code, e.g. `key_file_permissions`.
    public let code: String
    /// What went wrong, for a person.
    public let message: String

    init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
    public static func == (a: CryptoError, b: CryptoError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }

    /// A public key's text form is not `ed25519:` followed by 64 lowercase hex digits.
    public static let invalidKeyText = CryptoError("invalid_key_text", "")
    /// A private key file is readable or writable by group or others.
    public static let keyFilePermissions = CryptoError("key_file_permissions", "")
    /// A private key file could not be read or written.
    public static let keyFileIO = CryptoError("key_file_io", "")
    /// A private key file is not a Talon key file.
    public static let keyFileMalformed = CryptoError("key_file_malformed", "")
    /// Refused to overwrite an existing key file.
    public static let keyFileExists = CryptoError("key_file_exists", "")
}

extension CryptoError {
    /// An authenticated ciphertext does not verify: wrong key, nonce, associated data, or tampered bytes.
    public static let decryptionFailed = CryptoError("decryption_failed", "ciphertext does not authenticate")
    /// A cipher state used every nonce it has.
    public static let nonceExhausted = CryptoError("nonce_exhausted", "the cipher state has used every nonce")
}
