import Foundation
import Testing
import TalonProtocol
import TalonLedger

/// A node's signed head: the signature covers exactly the bytes docs/format.md lists, and
/// any change to the head, the signer or the chain makes it fail.
@Suite struct SignedHeadTests {
    let nodeKey = SigningKey.generate()
    let genesis: GenesisFile
    let head = Head(height: 7, blockHash: SHA256.hash(Array("block".utf8)), treeSize: 42,
                    treeRoot: SHA256.hash(Array("root".utf8)), timestamp: 1_800_000_000_123)

    init() throws {
        genesis = try Self.genesis(chain: "talon-test", member: nodeKey.publicKey)
    }

    static func genesis(chain: String, member: PublicKey) throws -> GenesisFile {
        try GenesisFile(bytes: Genesis(chainID: chain, members: [.init(id: "n1", peer: "127.0.0.1:1", api: "127.0.0.1:2", key: member)],
                                       admins: [SigningKey.generate().publicKey], issuers: []).fileBytes)
    }

    /// The signed bytes, written out from the format's rules rather than taken from the code.
    func specBytes(_ h: Head, genesisHash: Digest) -> [UInt8] {
        func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { (0..<(T.bitWidth / 8)).reversed().map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
        return Array("TALON-HEAD-V1".utf8) + [0] + genesisHash.bytes + be(h.height) + h.blockHash.bytes + be(h.treeSize)
            + h.treeRoot.bytes + be(h.timestamp)
    }

    @Test func theSignatureCoversTheDocumentedBytes() throws {
        let signed = SignedHead(head: head, node: "n1", key: nodeKey, genesis: genesis)
        #expect(nodeKey.publicKey.verify(signed.signature, for: specBytes(head, genesisHash: genesis.hash)))
        try signed.verify(genesis: genesis)
    }

    @Test func anyChangeFailsVerification() throws {
        let signed = SignedHead(head: head, node: "n1", key: nodeKey, genesis: genesis)
        var changes: [SignedHead] = []
        for edit in [{ (h: inout Head) in h.height += 1 }, { $0.treeSize -= 1 }, { $0.timestamp += 1 },
                     { $0.blockHash = SHA256.hash(Array("other".utf8)) }, { $0.treeRoot = SHA256.hash(Array("other".utf8)) }] {
            var s = signed
            edit(&s.head)
            changes.append(s)
        }
        var otherSigner = signed
        otherSigner.node = "n2"
        changes.append(otherSigner)
        var flipped = signed
        var sig = flipped.signature.bytes
        sig[10] ^= 1
        flipped.signature = try #require(Signature(bytes: sig))
        changes.append(flipped)
        for s in changes {
            #expect(throws: TalonError.self) { try s.verify(genesis: genesis) }
        }
        // The same head under another chain's genesis, even with the same node key.
        let other = try Self.genesis(chain: "talon-other", member: nodeKey.publicKey)
        #expect(throws: TalonError.self) { try signed.verify(genesis: other) }
    }

    @Test func jsonRoundTripsAndRejectsABadSignatureText() throws {
        let signed = SignedHead(head: head, node: "n1", key: nodeKey, genesis: genesis)
        let bytes = JSONForm.encode(signed)
        #expect(try JSONForm.decode(SignedHead.self, from: bytes) == signed)
        let text = String(decoding: bytes, as: UTF8.self)
        let broken = text.replacingOccurrences(of: signed.signature.hex, with: "zz")
        #expect(throws: (any Error).self) { try JSONForm.decode(SignedHead.self, from: Array(broken.utf8)) }
    }
}
