import Foundation
import Testing
@testable import TalonGate
import TalonProtocol
import TalonRaft  // SplitMix64: every run sees the same bytes and noise

/// QR codes out (libqrencode, PNG via stb, SVG, terminal) and back in (stb, zbar), checked
/// against Debian's zbarimg as an outside reader, plus garbage that must not crash.
@Suite struct QRTests {
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// "TP1:" and the Base45 text of 200 random bytes: 304 QR-alphanumeric characters.
    static let payload = "TP1:" + Base45.encode(randomBytes(200, seed: 0x7A10_0001))

    /// Decoding `bytes` either throws `image_unreadable` or finds nothing; it never crashes.
    static func expectUnreadableOrEmpty(_ bytes: [UInt8], _ what: String) {
        do throws(TalonError) {
            let found = try QRScanner.decode(imageBytes: bytes)
            #expect(found.isEmpty, "\(what): found \(found)")
        } catch {
            #expect(error.code == .imageUnreadable, "\(what): \(error)")
        }
    }

    // MARK: (a), (b) round trips

    @Test func alphanumericPayloadRoundTripsThroughPNG() throws {
        let text = Self.payload
        #expect(text.count == 304)
        let code = try QRCode(text: text)
        #expect(code.version <= 13, "alphanumeric mode keeps ~300 characters at version ≤ 13 (8-bit would need 16)")
        #expect(code.size == 17 + 4 * code.version)
        #expect(code.modules.count == code.size * code.size)
        let png = try code.png()
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let image = try ImageCodec.decodeGray(png)
        #expect(image.width == (code.size + 8) * 8 && image.height == image.width)
        #expect(try QRScanner.decode(width: image.width, height: image.height, gray: image.pixels) == [text])
        #expect(try QRScanner.decode(imageBytes: png) == [text])
    }

    @Test func alphanumericPayloadRoundTripsThroughGrayscale() throws {
        let code = try QRCode(text: Self.payload)
        for (moduleSize, quiet) in [(2, 4), (3, 4), (5, 2)] {
            let image = code.grayscale(moduleSize: moduleSize, quietZone: quiet)
            #expect(image.width == (code.size + 2 * quiet) * moduleSize && image.height == image.width)
            #expect(image.pixels.count == image.width * image.height)
            #expect(Set(image.pixels) == [0, 255])
            #expect(try QRScanner.decode(width: image.width, height: image.height, gray: image.pixels) == [Self.payload])
        }
    }

    @Test func otherTextRoundTripsExactly() throws {
        // zbar's character-set guessing would turn "é" into "矇"; binary mode keeps UTF-8.
        let texts = ["hello World", "é", "Prüfung ✓ 日本語", "a\u{0}b", "0123456789", "https://talon.example/t?id=42"]
        for text in texts {
            let code = try QRCode(text: text)
            let image = code.grayscale(moduleSize: 4)
            #expect(try QRScanner.decode(width: image.width, height: image.height, gray: image.pixels) == [text], "\(text.debugDescription)")
        }
    }

    @Test func sameTextSameCode() throws {
        #expect(try QRCode(text: Self.payload) == QRCode(text: Self.payload))
        #expect(try QRCode(text: "A") != QRCode(text: "a"))
        let code = try QRCode(text: "A")
        #expect(code[-1, 0] == false && code[0, code.size] == false)
        #expect(code[0, 0], "the top-left finder pattern's corner is dark")
    }

    // MARK: (c) an outside reader

    @Test func zbarimgReadsOurPNG() throws {
        let zbarimg = "/usr/bin/zbarimg"
        try #require(FileManager.default.isExecutableFile(atPath: zbarimg), "Debian's zbarimg (zbar-tools) is required")
        let png = try QRCode(text: Self.payload).png()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("talon-qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: zbarimg)
        process.arguments = ["--raw", "-q", file.path]
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("zbarimg did not finish within 20 s")
            return
        }
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == Self.payload)
    }

    // MARK: (d) a QR inside a larger, noisy picture

    /// The payload's QR pasted off-centre into a 600×600 mottled gray canvas, every pixel
    /// jittered by deterministic noise.
    static func noisyCanvas() throws -> (width: Int, height: Int, pixels: [UInt8]) {
        let code = try QRCode(text: payload)
        let side = 600
        let moduleSize = (side - 40) / (code.size + 8)
        let qr = code.grayscale(moduleSize: moduleSize, quietZone: 4)
        var rng = SplitMix64(seed: 0x600_600)
        var canvas = (0..<(side * side)).map { _ in UInt8.random(in: 170...235, using: &rng) }
        let ox = 37, oy = side - qr.height - 23
        for y in 0..<qr.height {
            for x in 0..<qr.width {
                let noise = UInt8.random(in: 0...50, using: &rng)
                canvas[(oy + y) * side + ox + x] = qr.pixels[y * qr.width + x] == 0 ? 20 + noise : 235 - noise
            }
        }
        return (side, side, canvas)
    }

    @Test func findsTheCodeInANoisy600x600Picture() throws {
        let canvas = try Self.noisyCanvas()
        #expect(try QRScanner.decode(width: canvas.width, height: canvas.height, gray: canvas.pixels) == [Self.payload])
        // And the same picture as a PNG.
        let png = try ImageCodec.png(width: canvas.width, height: canvas.height, gray: canvas.pixels)
        #expect(try QRScanner.decode(imageBytes: png) == [Self.payload])
    }

    @Test func findsTwoCodesInOnePicture() throws {
        let a = try QRCode(text: "TICKET-A").grayscale(moduleSize: 4)
        let b = try QRCode(text: "TICKET-B").grayscale(moduleSize: 4)
        let width = a.width + b.width, height = max(a.height, b.height)
        var pixels = [UInt8](repeating: 255, count: width * height)
        for y in 0..<a.height { for x in 0..<a.width { pixels[y * width + x] = a.pixels[y * a.width + x] } }
        for y in 0..<b.height { for x in 0..<b.width { pixels[y * width + a.width + x] = b.pixels[y * b.width + x] } }
        #expect(try Set(QRScanner.decode(width: width, height: height, gray: pixels)) == ["TICKET-A", "TICKET-B"])
    }

    @Test func scansFromManyThreadsAtOnce() async throws {
        let canvas = try Self.noisyCanvas()
        let results = await withTaskGroup(of: [String]?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    // Half the tasks also encode and write PNGs while others scan.
                    if i % 2 == 0, let png = try? QRCode(text: "T\(i)").png() {
                        guard (try? QRScanner.decode(imageBytes: png)) == ["T\(i)"] else { return nil }
                    }
                    return try? QRScanner.decode(width: canvas.width, height: canvas.height, gray: canvas.pixels)
                }
            }
            var all: [[String]?] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 8)
        #expect(results.allSatisfy { $0 == [Self.payload] })
    }

    // MARK: (e) garbage never crashes

    @Test func garbageIsRefusedOrEmpty() throws {
        // Empty input.
        #expect(throws: TalonError(.imageUnreadable)) { try ImageCodec.decodeGray([]) }
        #expect(throws: TalonError(.imageUnreadable)) { try QRScanner.decode(imageBytes: []) }
        // Random bytes, bare and behind the signatures of formats stb reads.
        let signatures: [[UInt8]] = [
            [], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], [0xFF, 0xD8, 0xFF, 0xE0],
            Array("GIF89a".utf8), Array("BM".utf8), Array("P5\n".utf8), Array("8BPS".utf8),
            Array("#?RADIANCE\n".utf8), [0, 0, 2, 0, 0, 0, 0, 0],
        ]
        for (i, signature) in signatures.enumerated() {
            for (j, count) in [1, 7, 64, 1000, 20_000].enumerated() {
                let bytes = signature + Self.randomBytes(count, seed: UInt64(1000 * i + j))
                Self.expectUnreadableOrEmpty(bytes, "random bytes #\(i).\(j)")
            }
        }
        // A truncated PNG (the first half, and other prefixes) of a valid one.
        let png = try QRCode(text: Self.payload).png()
        Self.expectUnreadableOrEmpty(Array(png.prefix(png.count / 2)), "first half of a PNG")
        for cut in stride(from: 1, to: png.count, by: max(1, png.count / 40)) {
            Self.expectUnreadableOrEmpty(Array(png.prefix(cut)), "PNG cut at \(cut)")
        }
        // A valid PNG of an all-white image: readable, no code in it.
        let white = try ImageCodec.png(width: 300, height: 200, gray: [UInt8](repeating: 255, count: 300 * 200))
        #expect(try ImageCodec.decodeGray(white).width == 300)
        #expect(try QRScanner.decode(imageBytes: white) == [])
    }

    @Test func hugeDeclaredSizesAreRefusedBeforeDecoding() throws {
        for (width, height) in [(100_000, 100_000), (8193, 1), (1, 9000), (0x7FFF_FFFF, 0x7FFF_FFFF), (8192, 8192)] {
            let bytes = Self.pngHeader(width: UInt32(width), height: UInt32(height))
            let error = #expect(throws: TalonError.self) { try ImageCodec.decodeGray(bytes) }
            #expect(error?.code == .imageUnreadable)
            Self.expectUnreadableOrEmpty(bytes, "PNG declaring \(width)×\(height)")
        }
    }

    @Test func mismatchedPixelBuffersAreRefused() {
        #expect(throws: TalonError(.imageUnreadable)) { try QRScanner.decode(width: 10, height: 10, gray: [UInt8](repeating: 255, count: 99)) }
        #expect(throws: TalonError(.imageUnreadable)) { try QRScanner.decode(width: 0, height: 0, gray: []) }
        #expect(throws: TalonError(.imageUnreadable)) { try QRScanner.decode(width: -4, height: -4, gray: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: TalonError(.imageUnreadable)) { try QRScanner.decode(width: Int.max, height: 2, gray: [0, 0]) }
        #expect(throws: TalonError(.imageWriteFailed)) { try ImageCodec.png(width: 3, height: 3, gray: [0]) }
        #expect(throws: TalonError(.imageWriteFailed)) { try ImageCodec.png(width: 0, height: 0, gray: []) }
        #expect(throws: TalonError(.imageWriteFailed)) { try QRCode(text: "A").png(moduleSize: 1000) }
    }

    /// A PNG signature and an IHDR chunk (8-bit grayscale, correct CRC) and nothing more.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func be(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
        let chunk = Array("IHDR".utf8) + be(width) + be(height) + [8, 0, 0, 0, 0]
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in chunk {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be(13) + chunk + be(~crc)
    }

    // MARK: (f) SVG and terminal renderings

    @Test func svgPathCoversExactlyTheDarkModules() throws {
        let code = try QRCode(text: Self.payload)
        let quiet = 4
        let svg = code.svg(moduleSize: 8, quietZone: quiet)
        #expect(svg.contains("<svg"))
        #expect(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        let side = code.size + 2 * quiet
        #expect(svg.contains("width=\"\(side * 8)\" height=\"\(side * 8)\" viewBox=\"0 0 \(side) \(side)\""))
        #expect(svg.hasSuffix("</svg>\n"))

        // Rebuild the module grid from the path's runs.
        let d = try #require(svg.firstMatch(of: /<path fill="#000000" d="([^"]*)"\/>/)?.output.1)
        var dark = [Bool](repeating: false, count: code.size * code.size)
        var runs = 0
        for match in d.matches(of: /M(\d+) (\d+)h(\d+)v1h-(\d+)z/) {
            let x = try #require(Int(match.output.1)) - quiet
            let y = try #require(Int(match.output.2)) - quiet
            let n = try #require(Int(match.output.3))
            #expect(Int(match.output.4) == n)
            for i in x..<(x + n) { dark[y * code.size + i] = true }
            runs += 1
        }
        #expect(d.matches(of: /M/).count == runs, "every sub-path is a run")
        #expect(dark == code.modules)
    }

    @Test func terminalIsTwoRowsPerLineAndInverted() throws {
        let code = try QRCode(text: Self.payload)
        for quiet in [0, 1, 2, 3] {
            let text = code.terminal(quietZone: quiet)
            let side = code.size + 2 * quiet
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(text.hasSuffix("\n"))
            #expect(lines.count == (side + 1) / 2)
            #expect(lines.allSatisfy { $0.count == side })
            // Rebuild the light modules (inked) and compare with the code.
            for (row, line) in lines.enumerated() {
                for (x, ch) in line.enumerated() {
                    #expect(["█", "▀", "▄", " "].contains(ch))
                    let top = ch == "█" || ch == "▀", bottom = ch == "█" || ch == "▄"
                    let y = 2 * row
                    #expect(top == !code[x - quiet, y - quiet], "light modules are inked")
                    #expect(bottom == (y + 1 < side && !code[x - quiet, y + 1 - quiet]))
                }
            }
        }
        #expect(code.terminal().split(separator: "\n").first?.allSatisfy { $0 == "█" } == true, "the quiet zone is inked")
    }

    // MARK: (g) too long, empty

    @Test func textTooLongForAnyQRIsRefused() throws {
        #expect(throws: TalonError(.qrTooLong)) { try QRCode(text: String(repeating: "A", count: 8000)) }
        // Below the 7089-byte pre-check, so libqrencode itself says ERANGE: version 40 at
        // level Q holds 2420 alphanumeric characters.
        #expect(throws: TalonError(.qrTooLong)) { try QRCode(text: String(repeating: "A", count: 2421)) }
        #expect(try QRCode(text: String(repeating: "A", count: 2420)).version == 40)
        #expect(throws: TalonError(.qrEncodeFailed)) { try QRCode(text: "") }
    }
}
