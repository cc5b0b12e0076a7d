import Foundation
public import TalonProtocol
public import Testing

/// What a node's signatures cover, rebuilt from docs/format.md ("Head", "Ownership
/// certificate") and checked with the genesis file's member keys.
extension FormatModel {
    /// The genesis key of member `node`, read from the genesis file's bytes.
    public static func memberKey(_ node: String, genesis: [UInt8]) throws -> PublicKey {
        guard let members = try JSONValue.parse(genesis)["members"]?.array else { throw TestFailure("the genesis file lists no members") }
        guard let text = members.first(where: { $0["id"]?.string == node })?["key"]?.string else {
            throw TestFailure("\(node) is not a genesis member")
        }
        return try PublicKey(text: text)
    }

    /// The bytes a head's signature covers: "TALON-HEAD-V1\0", the genesis hash, height, block
    /// hash, tree size, tree root and timestamp, integers big-endian.
    public static func headBytes(_ head: JSONValue, genesisHash: [UInt8]) throws -> [UInt8] {
        guard let height = head["height"]?.int, let size = head["tree_size"]?.int, let time = head["timestamp"]?.int,
              let blockHash = head["block_hash"]?.string, let treeRoot = head["tree_root"]?.string else {
            throw TestFailure("not a head: \(head)")
        }
        return Array("TALON-HEAD-V1".utf8) + [0] + genesisHash + be(UInt64(height)) + (try unhex(blockHash))
            + be(UInt64(size)) + (try unhex(treeRoot)) + be(time)
    }

    /// The bytes an ownership certificate's signature covers: "TALON-OWNERSHIP-V1\0", the
    /// genesis hash, ticket id and event id (u32 length + UTF-8), the holder's 32 key bytes,
    /// sequence and height (u64), integers big-endian.
    public static func certificateBytes(genesisHash: [UInt8], ticket: String, event: String, holder: String,
                                        sequence: UInt64, height: UInt64) throws -> [UInt8] {
        Array("TALON-OWNERSHIP-V1".utf8) + [0] + genesisHash + str(ticket) + str(event) + (try key(holder)) + be(sequence) + be(height)
    }
}

/// Checks a `SignedHead` object (`{head, node, signature}`) by docs/format.md's rules: Ed25519
/// by the genesis key of member `node` over `FormatModel.headBytes`.
public func verifySignedHead(_ answer: JSONValue, genesis: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let node = try #require(answer["node"]?.string, "no node in \(answer)", sourceLocation: sourceLocation)
    let key = try FormatModel.memberKey(node, genesis: genesis)
    let message = try FormatModel.headBytes(try #require(answer["head"], sourceLocation: sourceLocation), genesisHash: FormatModel.sha256(genesis))
    let signature = try #require(answer["signature"]?.string.flatMap { Signature(hex: $0) }, "no signature in \(answer)", sourceLocation: sourceLocation)
    #expect(key.verify(signature, for: message), "the head's signature does not verify with \(node)'s genesis key", sourceLocation: sourceLocation)
}

/// Checks the signed head an answer is.
public func verifySignedHead(_ answer: APIProbe.Answer, genesis: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
    try verifySignedHead(answer.json, genesis: genesis, sourceLocation: sourceLocation)
}
