import Testing
import TalonCrypto
import TalonLedger
import TalonNode
import TalonRaft

/// Three members with their keys, from a genesis built in the test.
struct Cluster {
    let keys: [SigningKey]
    let members: ClusterMembers

    init(chainID: String = "talon-peer-test", count: Int = 3) throws {
        keys = (0..<count).map { _ in SigningKey.generate() }
        let genesis = Genesis(chainID: chainID,
                              members: keys.enumerated().map { i, k in
                                  .init(id: "n\(i + 1)", peer: "127.0.0.1:\(7100 + i)", api: "127.0.0.1:\(8100 + i)", key: k.publicKey)
                              },
                              admins: [SigningKey.generate().publicKey])
        members = ClusterMembers(try GenesisFile(bytes: genesis.fileBytes))
    }

    func side(_ id: NodeID, key: SigningKey? = nil) -> PeerHandshake {
        PeerHandshake(members: members, me: id, key: key ?? keys[Int(id - 1)])
    }
}

/// Runs both sides' handshakes through real frame bytes until neither has more to say.
func connect(_ a: inout PeerHandshake, _ b: inout PeerHandshake) throws(NodeError) {
    var toB = [a.challenge], toA = [b.challenge]
    while !toA.isEmpty || !toB.isEmpty {
        let forB = toB, forA = toA
        toB = []; toA = []
        for f in forB { toA += try b.receive(try roundTrip(f)) }
        for f in forA { toB += try a.receive(try roundTrip(f)) }
    }
}

func roundTrip(_ frame: PeerFrame) throws(NodeError) -> PeerFrame {
    var decoder = FrameDecoder()
    decoder.append(frame.bytes)
    guard let out = try decoder.next() else { throw NodeError.malformedFrame.with("incomplete") }
    return out
}

@Suite struct PeerHandshakeTests {
    @Test func membersProveThemselvesToEachOther() throws {
        let c = try Cluster()
        var a = c.side(1), b = c.side(3)
        try connect(&a, &b)
        #expect(a.peer == 3 && b.peer == 1)
    }

    @Test func anotherGenesisIsRefused() throws {
        let c = try Cluster(), other = try Cluster(chainID: "talon-elsewhere")
        var a = c.side(1), b = other.side(2)
        #expect(throws: NodeError.wrongChain) { try connect(&a, &b) }
    }

    /// A process with a key the genesis does not list cannot pass as a member.
    @Test func anUnlistedKeyCannotPassAsAMember() throws {
        let c = try Cluster()
        var a = c.side(1), impostor = c.side(2, key: SigningKey.generate())
        #expect(throws: NodeError.badProof) { try connect(&impostor, &a) }
        #expect(!a.isAuthenticated)
    }

    @Test func unknownIdsAndOneselfAreRefused() throws {
        let c = try Cluster()
        for claimed: NodeID in [0, 1, 4, .max] {
            var a = c.side(1), peer = PeerHandshake(members: c.members, me: claimed, key: c.keys[0])
            #expect(throws: NodeError.unknownMember, "id \(claimed)") { try connect(&peer, &a) }
        }
    }

    /// A proof recorded on one connection is worthless on the next: it signs that
    /// connection's nonces.
    @Test func aRecordedProofCannotBeReplayed() throws {
        let c = try Cluster()
        var a1 = c.side(1)
        var b = c.side(2)
        _ = try b.receive(a1.challenge)
        let proof = try a1.receive(b.challenge)  // a1's proof for b's first nonce
        #expect(proof.count == 1)

        // A new connection to node 2: the attacker replays a1's challenge and proof word for
        // word, but node 2's nonce is new.
        var victim = c.side(2)
        _ = try victim.receive(a1.challenge)
        #expect(throws: NodeError.badProof) { _ = try victim.receive(proof[0]) }
    }

    @Test func raftMessagesBeforeTheProofAreRefused() throws {
        let c = try Cluster()
        var a = c.side(1)
        let m = Message(kind: .vote, from: 2, to: 1, term: 9)
        #expect(throws: NodeError.unauthenticated) { _ = try a.receive(.raft(m)) }
        var b = c.side(2)
        #expect(throws: NodeError.protocolViolation) {
            _ = try b.receive(.proof(node: 1, signature: c.keys[0].sign([1])))
        }
    }
}

@Suite struct FrameDecoderTests {
    static let frames: [PeerFrame] = [
        .challenge(nonce: [UInt8](repeating: 7, count: 32), genesisHash: SHA256.hash([1])),
        .proof(node: 2, signature: SigningKey(seed: [UInt8](repeating: 1, count: 32))!.sign([9])),
        .raft(Message(kind: .append, from: 1, to: 2, term: 3, logTerm: 2, index: 4,
                      entries: [Entry(term: 3, index: 5, data: [1, 2, 3])], commit: 4)),
    ]

    /// The stream cut at every byte boundary gives back the same frames.
    @Test func framesSurviveAnySplitOfTheStream() throws {
        let stream = Self.frames.flatMap(\.bytes)
        for cut in 0...stream.count {
            var d = FrameDecoder()
            var out: [PeerFrame] = []
            d.append(stream[..<cut])
            while let f = try d.next() { out.append(f) }
            d.append(stream[cut...])
            while let f = try d.next() { out.append(f) }
            #expect(out == Self.frames, "cut at \(cut)")
            #expect(d.pendingBytes == 0)
        }
    }

    /// An oversized length is refused from the 4-byte header, before its body is awaited.
    @Test func anOversizedFrameIsRefusedFromItsLength() {
        var d = FrameDecoder(maxFrameBytes: 1024)
        d.append([0x00, 0x00, 0x04, 0x01])
        #expect(throws: NodeError.frameTooLarge) { try d.next() }
        var huge = FrameDecoder()
        huge.append([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: NodeError.frameTooLarge) { try huge.next() }
    }

    @Test func malformedBodiesAreRefused() {
        let bodies: [[UInt8]] = [
            [], [1], [2, 1] + [UInt8](repeating: 0, count: 64),      // too short, wrong version
            [1, 9, 0], [1, 1] + [UInt8](repeating: 0, count: 63),    // unknown type, short challenge
            [1, 1] + [UInt8](repeating: 0, count: 65),               // long challenge
            [1, 2] + [UInt8](repeating: 0, count: 71),               // short proof
            [1, 3, 1, 99],                                           // a broken Raft message
        ]
        for body in bodies {
            var d = FrameDecoder()
            d.append(withUnsafeBytes(of: UInt32(body.count).bigEndian) { Array($0) } + body)
            #expect(throws: NodeError.malformedFrame, "\(body.prefix(4))") { try d.next() }
        }
    }
}
