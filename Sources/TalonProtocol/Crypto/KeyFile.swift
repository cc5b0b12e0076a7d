#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Private key files.
///
/// A key file is three lines of text, written with mode 0600:
/// ```
/// talon-secret-key-v1
/// public ed25519:<64 hex>
/// seed <64 hex>
/// ```
/// Loading refuses a file that group or others may read or write.
extension SigningKey {
    private static let magic = "talon-secret-key-v1"

    /// Writes this key to `path` with mode 0600.
    /// - Throws: `TalonError(.keyFileExists)` unless `overwrite`, `TalonError(.keyFileIO)`.
    public func write(to path: String, overwrite: Bool = false) throws(TalonError) {
        let text = "\(Self.magic)\npublic \(publicKey.text)\nseed \(Hex.encode(seed))\n"
        var flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC
        if !overwrite { flags |= O_EXCL }
        let fd = open(path, flags, 0o600)
        if fd < 0 {
            if errno == EEXIST { throw TalonError(.keyFileExists, "key file \(path) already exists; not overwriting it") }
            throw TalonError(.keyFileIO, "cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        // An overwritten file keeps its old mode; tighten it before the secret goes in.
        guard fchmod(fd, 0o600) == 0 else {
            throw TalonError(.keyFileIO, "cannot set mode 0600 on \(path): \(String(cString: strerror(errno)))")
        }
        var bytes = Array(text.utf8)
        defer { Sodium.memzero(&bytes) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw TalonError(.keyFileIO, "cannot write key file \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Reads a key file written by `write(to:)`.
    /// - Throws: `TalonError(.keyFilePermissions)` when group or others have any access,
    ///   `TalonError(.keyFileIO)`, `TalonError(.keyFileMalformed)`.
    public static func load(from path: String) throws(TalonError) -> SigningKey {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TalonError(.keyFileIO, "cannot open key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TalonError(.keyFileIO, "cannot stat key file \(path): \(String(cString: strerror(errno)))")
        }
        let mode = st.st_mode & 0o777
        if mode & 0o077 != 0 {
            throw TalonError(
                .keyFilePermissions,
                "key file \(path) has mode \(String(mode, radix: 8)); a private key must be readable by its owner only (chmod 600 \(path))"
            )
        }
        guard st.st_size <= 4096 else { throw TalonError(.keyFileMalformed, "\(path) is too large to be a Talon key file") }
        var buffer = [UInt8](repeating: 0, count: Int(st.st_size))
        defer { Sodium.memzero(&buffer) }
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n == buffer.count else {
            throw TalonError(.keyFileIO, "cannot read key file \(path)")
        }
        let lines = String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        guard lines.count == 3, lines[0] == magic,
              lines[1].hasPrefix("public "), lines[2].hasPrefix("seed "),
              var seed = Hex.decode(lines[2].dropFirst(5)), seed.count == 32,
              let key = SigningKey(seed: seed)
        else {
            throw TalonError(.keyFileMalformed, "\(path) is not a Talon key file (expected '\(magic)', a public line and a seed line)")
        }
        Sodium.memzero(&seed)
        guard key.publicKey.text == lines[1].dropFirst(7) else {
            throw TalonError(.keyFileMalformed, "\(path): the public key line does not match the seed")
        }
        return key
    }
}
