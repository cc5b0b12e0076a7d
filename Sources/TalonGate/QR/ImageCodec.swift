// The only Swift file that touches stb (stb_image, stb_image_write).
import CStb
public import TalonProtocol

/// Grayscale PNG encoding and image decoding (PNG and JPEG only) to 8-bit grayscale, for QR
/// codes going out and photos of them coming in.
public enum ImageCodec {
    /// Encoded images larger than this are refused unread.
    public static let maxEncodedBytes = 32 << 20
    /// Images wider or taller than this are refused before their pixels are decoded.
    public static let maxDimension = 8192

    /// A PNG of 8-bit grayscale pixels (one byte per pixel, row by row, 0 black, 255 white).
    ///
    /// - Throws: `image_write_failed` when the size is not positive, above `maxDimension`,
    ///   does not match `gray.count`, or stb cannot write the PNG.
    public static func png(width: Int, height: Int, gray: [UInt8]) throws(TalonError) -> [UInt8] {
        guard width > 0, height > 0, width <= maxDimension, height <= maxDimension else {
            throw TalonError(.imageWriteFailed, "cannot write a \(width)×\(height) PNG: each side must be 1 to \(maxDimension) pixels")
        }
        guard width * height == gray.count else {
            throw TalonError(.imageWriteFailed, "\(width)×\(height) pixels need \(width * height) bytes, got \(gray.count)")
        }
        // stb_image_write.h declares only the callback form publicly; stbi_write_png_to_func
        // builds the PNG in memory, hands it over in one call and frees it itself.
        var out: [UInt8] = []
        let ok = gray.withUnsafeBufferPointer { pixels in
            withUnsafeMutablePointer(to: &out) { outPointer in
                stbi_write_png_to_func(
                    { context, data, size in
                        guard let context, let data, size > 0 else { return }
                        let sink = context.assumingMemoryBound(to: [UInt8].self)
                        let bytes = UnsafeRawBufferPointer(start: data, count: Int(size))
                        sink.pointee.append(contentsOf: bytes)
                    },
                    outPointer, Int32(width), Int32(height), 1, pixels.baseAddress, Int32(width))
            }
        }
        guard ok != 0, !out.isEmpty else {
            throw TalonError(.imageWriteFailed, "stb could not write a \(width)×\(height) PNG")
        }
        return out
    }

    /// The pixels of an encoded image as 8-bit grayscale (one byte per pixel, row by row).
    /// Colour is reduced to luma; an alpha channel is dropped, not composited (a
    /// transparent pixel keeps its colour, often black).
    ///
    /// - Throws: `image_unreadable` when `bytes` is empty, above `maxEncodedBytes`, not an
    ///   PNG or JPEG, truncated or corrupt, or wider or taller than `maxDimension`.
    public static func decodeGray(_ bytes: [UInt8]) throws(TalonError) -> (width: Int, height: Int, pixels: [UInt8]) {
        guard !bytes.isEmpty else {
            throw TalonError(.imageUnreadable, "the image is empty")
        }
        guard bytes.count <= maxEncodedBytes else {
            throw TalonError(.imageUnreadable, "the image is \(bytes.count) bytes, above the \(maxEncodedBytes)-byte limit")
        }
        // PNG and JPEG only: stb_image's other decoders (GIF, PSD, PIC, HDR, …) are less
        // hardened against hostile input, and a gate needs none of them.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], jpeg: [UInt8] = [0xFF, 0xD8, 0xFF]
        guard bytes.starts(with: png) || bytes.starts(with: jpeg) else {
            throw TalonError(.imageUnreadable, "not a PNG or JPEG image")
        }
        return try bytes.withUnsafeBufferPointer { (buf) throws(TalonError) -> (width: Int, height: Int, pixels: [UInt8]) in
            let length = Int32(buf.count)
            var w: Int32 = 0, h: Int32 = 0, channels: Int32 = 0
            // Read the declared size first, so a small file declaring a huge image is
            // refused before any pixel memory is allocated.
            guard stbi_info_from_memory(buf.baseAddress, length, &w, &h, &channels) != 0 else {
                throw TalonError(.imageUnreadable, "not a readable image: \(failureReason())")
            }
            try checkSize(Int(w), Int(h))
            guard let data = stbi_load_from_memory(buf.baseAddress, length, &w, &h, &channels, 1) else {
                throw TalonError(.imageUnreadable, "cannot decode the image: \(failureReason())")
            }
            defer { stbi_image_free(data) }
            let width = Int(w), height = Int(h)
            try checkSize(width, height)
            let pixels = Array(UnsafeBufferPointer(start: data, count: width * height))
            return (width, height, pixels)
        }
    }

    private static func checkSize(_ width: Int, _ height: Int) throws(TalonError) {
        guard width > 0, height > 0 else {
            throw TalonError(.imageUnreadable, "the image declares an empty size \(width)×\(height)")
        }
        guard width <= maxDimension, height <= maxDimension else {
            throw TalonError(.imageUnreadable, "the image is \(width)×\(height), above the \(maxDimension)×\(maxDimension) limit")
        }
    }

    /// stb's reason for the last failure on this thread (stb keeps the pointer
    /// thread-local). For an unknown critical PNG chunk stb writes the chunk's type into a
    /// shared static message, which is empty or clipped when the type holds NUL bytes (as
    /// in a truncated file).
    private static func failureReason() -> String {
        guard let pointer = stbi_failure_reason() else { return "unknown reason" }
        let reason = String(cString: pointer)
        return reason.isEmpty ? "corrupt or truncated image data" : reason
    }
}

extension QRCode {
    /// The symbol as a grayscale PNG, `moduleSize` pixels per module, with a `quietZone`
    /// of light modules around it (see `grayscale(moduleSize:quietZone:)`).
    ///
    /// - Throws: `image_write_failed` when the image would exceed
    ///   `ImageCodec.maxDimension` pixels a side.
    public func png(moduleSize: Int = 8, quietZone: Int = 4) throws(TalonError) -> [UInt8] {
        let scale = max(1, moduleSize), quiet = max(0, quietZone)
        let limit = ImageCodec.maxDimension
        guard scale <= limit, quiet <= limit, (size + 2 * quiet) * scale <= limit else {
            throw TalonError(.imageWriteFailed, "a PNG with \(scale)-pixel modules would be too large")
        }
        let image = grayscale(moduleSize: scale, quietZone: quiet)
        return try ImageCodec.png(width: image.width, height: image.height, gray: image.pixels)
    }
}
