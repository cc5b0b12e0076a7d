import Testing
import TalonProtocol

/// Strings read from stored and wire forms: valid UTF-8 comes back byte for byte; anything
/// the decoder would have to repair is refused, including a repair of the same length.
@Suite struct ByteReaderStringTests {
    static func read(_ utf8: [UInt8]) -> Result<String, TalonError> {
        var w = ByteWriter()
        w.u32(UInt32(utf8.count))
        var r = ByteReader(w.bytes + utf8)
        do throws(TalonError) { return .success(try r.string(max: 64)) } catch { return .failure(error) }
    }

    @Test func validUTF8RoundTrips() throws {
        for s in ["", "ticket-42", "Salle Pleyel — rang 3", "🎟️ seat 7"] {
            var w = ByteWriter()
            w.string(s)
            var r = ByteReader(w.bytes)
            #expect(try r.string(max: 64) == s)
            #expect(w.bytes.count == 4 + s.utf8.count)
        }
    }

    /// `F0 9F 98` is a four-byte sequence cut short: decoding it with repair gives one
    /// U+FFFD, also three bytes, so only the bytes themselves tell it from valid text.
    @Test(arguments: [[0xF0, 0x9F, 0x98], [0xFF], [0x41, 0xC3], [0xED, 0xA0, 0x80], [0xC0, 0x80]] as [[UInt8]])
    func invalidUTF8IsRefused(_ bytes: [UInt8]) {
        guard case .failure(let error) = Self.read(bytes) else {
            Issue.record("\(bytes) read as a string")
            return
        }
        #expect(error.code == .nonCanonical)
    }
}
