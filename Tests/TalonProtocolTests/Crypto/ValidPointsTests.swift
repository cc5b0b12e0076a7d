import Testing
@testable import TalonProtocol

/// The process's memory of valid keys answers exactly as libsodium does, whatever it holds.
@Suite struct ValidPointsTests {
    @Test func rememberedOrNotTheAnswerIsLibsodiums() throws {
        let set = ValidPoints(capacity: 4)
        let keys = (0..<10).map { _ in SigningKey.generate().publicKey }
        // Speccheck case 3's key (a component of order 8) and the all-zero key.
        let invalid = [try #require(PublicKey(bytes: Hex.decode("cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d")!)),
                       try #require(PublicKey(bytes: [UInt8](repeating: 0, count: 32)))]
        for _ in 0..<3 {
            for key in keys {
                let bytes = try #require(Bytes32(key.bytes))
                #expect(set.contains(bytes), "a valid key, asked again past the set's capacity")
            }
            for key in invalid {
                let bytes = try #require(Bytes32(key.bytes))
                #expect(!set.contains(bytes), "an invalid key is never remembered as valid")
                #expect(!key.isValidPoint)
            }
        }
        let allValid = keys.allSatisfy { $0.isValidPoint }
        #expect(allValid)
    }
}
