// The only Swift file that touches libqrencode.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CQREncode
public import TalonProtocol

/// A QR code symbol: a square of dark and light modules, without its quiet zone.
public struct QRCode: Sendable, Hashable {
    /// The QR version, 1 to 40.
    public let version: Int
    /// Modules per side (17 + 4 × version).
    public let size: Int
    /// `size × size` modules, row by row from the top left; `true` is dark.
    public let modules: [Bool]

    /// The most bytes any QR code holds (version 40, level L, numeric mode: 7089 digits).
    /// Longer text is refused before it reaches the C library.
    static let maxInputBytes = 7089

    /// Encodes `text` (as UTF-8) at error-correction level Q in the smallest version that
    /// holds it. libqrencode splits the text into segments itself: runs of QR-alphanumeric
    /// characters (0-9 A-Z space $ % * + - . / :) go in alphanumeric mode, digit runs in
    /// numeric mode, the rest in 8-bit mode, case preserved.
    ///
    /// - Throws: `qr_too_long` when the text does not fit version 40 at level Q;
    ///   `qr_encode_failed` otherwise (for example, empty text).
    public init(text: String) throws(TalonError) {
        let utf8Count = text.utf8.count
        guard utf8Count <= QRCode.maxInputBytes else {
            throw TalonError(.qrTooLong, "\(utf8Count) bytes of text do not fit in a QR code at level Q")
        }
        guard utf8Count > 0 else {
            throw TalonError(.qrEncodeFailed, "cannot encode empty text as a QR code")
        }
        let hasNUL = text.utf8.contains(0)
        var savedErrno: Int32 = 0
        let raw: UnsafeMutablePointer<QRcode>?
        if hasNUL {
            // A C string stops at NUL: encode the whole text as 8-bit data instead.
            let bytes = Array(text.utf8)
            raw = bytes.withUnsafeBufferPointer { buf in
                errno = 0
                let r = QRcode_encodeData(Int32(buf.count), buf.baseAddress, 0, QR_ECLEVEL_Q)
                savedErrno = errno
                return r
            }
        } else {
            raw = text.withCString { cstr in
                errno = 0
                let r = QRcode_encodeString(cstr, 0, QR_ECLEVEL_Q, QR_MODE_8, 1)
                savedErrno = errno
                return r
            }
        }
        guard let raw else {
            if savedErrno == ERANGE {
                throw TalonError(.qrTooLong, "\(utf8Count) bytes of text do not fit in a QR code at level Q")
            }
            let reason = savedErrno == 0 ? "unknown error" : String(cString: strerror(savedErrno))
            throw TalonError(.qrEncodeFailed, "libqrencode could not encode the text: \(reason)")
        }
        defer { QRcode_free(raw) }

        let version = Int(raw.pointee.version)
        let width = Int(raw.pointee.width)
        guard (1...40).contains(version), width == 17 + 4 * version, let data = raw.pointee.data else {
            throw TalonError(.qrEncodeFailed, "libqrencode returned an inconsistent symbol (version \(version), width \(width))")
        }
        let count = width * width
        let buffer = UnsafeBufferPointer(start: data, count: count)
        self.version = version
        self.size = width
        self.modules = buffer.map { $0 & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark. Positions outside the symbol are
    /// light, as the quiet zone around it is.
    public subscript(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }
}
