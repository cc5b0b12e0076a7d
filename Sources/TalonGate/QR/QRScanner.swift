// The only Swift file that touches zbar.
import CZBar
public import TalonProtocol

/// Finds and reads QR codes in images with zbar. Every call creates and destroys its own
/// zbar scanner and image, so calls from several threads at once are safe.
public enum QRScanner {
    /// zbar's "Y800" format: 8-bit grayscale, one byte per pixel, row by row.
    private static let y800: UInt = 0x3030_3859 // "Y", "8", "0", "0", little end first

    /// The text of every QR code zbar finds in 8-bit grayscale pixels (one byte per pixel,
    /// row by row, 0 black, 255 white), in zbar's order; empty when it finds none.
    ///
    /// Each symbol's bytes are read as UTF-8 (zbar's character-set guessing is switched
    /// off), so text encoded by `QRCode(text:)` comes back exactly. A symbol whose 8-bit
    /// data is in another character set (ISO 8859-1, Shift-JIS) from another encoder comes
    /// back with U+FFFD in place of its non-ASCII bytes.
    ///
    /// - Throws: `image_unreadable` when a side is not 1 to `ImageCodec.maxDimension` pixels,
    ///   `gray.count` is not `width × height`, or zbar fails to scan.
    ///
    /// zbar first looks at every second row and column, which finds a code of two or more
    /// pixels per module in half the time; only when that finds nothing does it look at all.
    public static func decode(width: Int, height: Int, gray: [UInt8]) throws(TalonError) -> [String] {
        let sparse = try decode(width: width, height: height, gray: gray, density: 2)
        return sparse.isEmpty ? try decode(width: width, height: height, gray: gray, density: 1) : sparse
    }

    private static func decode(width: Int, height: Int, gray: [UInt8], density: Int32) throws(TalonError) -> [String] {
        let limit = ImageCodec.maxDimension
        guard width > 0, height > 0, width <= limit, height <= limit else {
            throw TalonError(.imageUnreadable, "a \(width)×\(height) image cannot be scanned: each side must be 1 to \(limit) pixels")
        }
        guard width * height == gray.count else {
            throw TalonError(.imageUnreadable, "\(width)×\(height) pixels need \(width * height) bytes, got \(gray.count)")
        }
        guard let scanner = zbar_image_scanner_create() else {
            throw TalonError(.imageUnreadable, "zbar could not create a scanner")
        }
        defer { zbar_image_scanner_destroy(scanner) }
        // QR codes only: switch every symbology off, then QR back on.
        _ = zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0)
        guard zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1) == 0 else {
            throw TalonError(.imageUnreadable, "zbar could not enable QR scanning")
        }
        // Hand back the symbol's bytes as they are. Without this zbar guesses a character
        // set for 8-bit segments and converts to UTF-8, and guesses wrong for short UTF-8
        // text: "é" (C3 A9) comes back as "矇", read as Big5/Shift-JIS.
        _ = zbar_image_scanner_set_config(scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, 1)
        _ = zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_X_DENSITY, density)
        _ = zbar_image_scanner_set_config(scanner, ZBAR_NONE, ZBAR_CFG_Y_DENSITY, density)
        guard let image = zbar_image_create() else {
            throw TalonError(.imageUnreadable, "zbar could not create an image")
        }
        defer { zbar_image_destroy(image) }
        zbar_image_set_format(image, y800)
        zbar_image_set_size(image, UInt32(width), UInt32(height))

        // The pixels stay borrowed (and alive) for the whole scan; no cleanup handler, so
        // zbar never frees them. The image is destroyed only after the symbols are read.
        return try gray.withUnsafeBufferPointer { (pixels) throws(TalonError) -> [String] in
            zbar_image_set_data(image, pixels.baseAddress, UInt(pixels.count), nil)
            defer { zbar_image_set_data(image, nil, 0, nil) }
            let found = zbar_scan_image(scanner, image)
            guard found >= 0 else {
                throw TalonError(.imageUnreadable, "zbar could not scan the \(width)×\(height) image")
            }
            var texts: [String] = []
            var symbol = zbar_image_first_symbol(image)
            while let current = symbol {
                if zbar_symbol_get_type(current) == ZBAR_QRCODE, let data = zbar_symbol_get_data(current) {
                    let count = Int(zbar_symbol_get_data_length(current))
                    let bytes = UnsafeRawBufferPointer(start: data, count: count)
                    texts.append(String(decoding: bytes, as: UTF8.self))
                }
                symbol = zbar_symbol_next(current)
            }
            return texts
        }
    }

    /// The text of every QR code in an encoded image (PNG, JPEG, …; see
    /// `ImageCodec.decodeGray`); empty when there is none.
    ///
    /// - Throws: `image_unreadable` when the bytes are not a readable image.
    public static func decode(imageBytes: [UInt8]) throws(TalonError) -> [String] {
        let image = try ImageCodec.decodeGray(imageBytes)
        return try decode(width: image.width, height: image.height, gray: image.pixels)
    }
}
