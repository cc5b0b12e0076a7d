import Testing
@testable import TalonGate
import TalonProtocol

/// RFC 9285's own examples, and what it says must be refused.
@Suite struct Base45Tests {
    @Test func theRFCExamplesRoundTrip() {
        let vectors = [("AB", "BB8"), ("Hello!!", "%69 VD92EX0"), ("base-45", "UJCLQE7W581"), ("ietf!", "QED8WEX0")]
        for (plain, text) in vectors {
            #expect(Base45.encode(Array(plain.utf8)) == text)
            #expect(Base45.decode(text) == Array(plain.utf8))
        }
        #expect(Base45.encode([]) == "" && Base45.decode("") == [])
    }

    @Test func everyByteValueSurvives() {
        let bytes = (0...255).map(UInt8.init) + [0xFF, 0xFF, 0x00]
        #expect(Base45.decode(Base45.encode(bytes)) == bytes)
    }

    @Test func nonBase45IsRefused() {
        #expect(Base45.decode("GGW") == nil, "65536 is above two bytes")
        #expect(Base45.decode("GG") == nil, "16 + 16 × 45 = 736 is above one byte")
        #expect(Base45.decode("A") == nil, "a dangling character")
        #expect(Base45.decode("ab8") == nil, "lower case is not in the alphabet")
        #expect(Base45.decode("BB8\n") == nil)
        #expect(Base45.decode("é12") == nil)
    }
}
