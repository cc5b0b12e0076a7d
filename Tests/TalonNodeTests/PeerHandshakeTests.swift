import Testing
import TalonProtocol
import TalonLedger
import TalonNode
import TalonRaft
import TalonTestSupport

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

    func initiator(_ id: NodeID, to peer: NodeID, key: SigningKey? = nil) -> PeerHandshake.Initiator {
        PeerHandshake.Initiator(members: members, me: id, key: key ?? keys[Int(id - 1)], connectingTo: peer)
    }

    func responder(_ id: NodeID, key: SigningKey? = nil) -> PeerHandshake.Responder {
        PeerHandshake.Responder(members: members, me: id, key: key ?? keys[Int(id - 1)])
    }
}

/// The bytes of a length-prefixed frame after its prefix.
func body(_ framed: [UInt8]) throws(TalonError) -> [UInt8] {
    var decoder = FrameDecoder()
    decoder.append(framed)
    guard let out = try decoder.next(), decoder.pendingBytes == 0 else { throw TalonError(.peerMalformed, "not one frame") }
    return out
}

/// A whole handshake through real frame bytes; returns both ends' sessions.
func connect(_ i: inout PeerHandshake.Initiator, _ r: inout PeerHandshake.Responder) throws(TalonError) -> (PeerSession, PeerSession) {
    let reply = try r.reply(to: try body(i.hello()))
    let (initiator, auth) = try i.finish(try body(reply))
    let responder = try r.authenticate(try body(auth))
    return (initiator, responder)
}

@Suite struct PeerHandshakeTests {
    static let vote = Message(kind: .vote, from: 3, to: 1, term: 9, logTerm: 2, index: 4)

    @Test func membersAuthenticateEachOtherAndTalk() throws {
        let c = try Cluster()
        var i = c.initiator(3, to: 1), r = c.responder(1)
        var (out, inbound) = try connect(&i, &r)
        #expect(out.peer == 1 && inbound.peer == 3)
        for n in 0..<3 {
            let frame = PeerFrame.raft(Message(kind: .heartbeat, from: 3, to: 1, term: UInt64(n)))
            #expect(try inbound.open(try body(out.seal(frame))) == frame)
        }
    }

    @Test func anotherGenesisIsRefused() throws {
        let c = try Cluster(), other = try Cluster(chainID: "talon-elsewhere")
        var i = c.initiator(1, to: 2), r = other.responder(2)
        #expect(throws: TalonError(.peerWrongChain)) { _ = try connect(&i, &r) }
    }

    /// A process with a key the genesis does not list cannot pass as a member, on either side.
    @Test func anUnlistedKeyCannotPassAsAMember() throws {
        let c = try Cluster()
        var impostor = c.initiator(2, to: 1, key: SigningKey.generate()), r = c.responder(1)
        #expect(throws: TalonError(.peerBadProof)) { _ = try connect(&impostor, &r) }
        var i = c.initiator(1, to: 2), fake = c.responder(2, key: SigningKey.generate())
        #expect(throws: TalonError(.peerBadProof)) { _ = try connect(&i, &fake) }
    }

    @Test func unknownIdsOneselfAndTheWrongMemberAreRefused() throws {
        let c = try Cluster()
        for claimed: NodeID in [0, 1, 4, .max] {
            var i = PeerHandshake.Initiator(members: c.members, me: claimed, key: c.keys[0], connectingTo: 1)
            var r = c.responder(1)
            #expect(throws: TalonError(.peerUnknownMember), "id \(claimed)") { _ = try connect(&i, &r) }
        }
        // Dialling member 2 and reaching member 3 (a moved address, or a redirect).
        var i = c.initiator(1, to: 2), r = c.responder(3)
        #expect(throws: TalonError(.peerUnknownMember)) { _ = try connect(&i, &r) }
    }

    /// The old attack: a keyless client connects to two members and relays each one's proof to
    /// the other. Now a proof signs its connection's handshake hash and role, so spliced into
    /// another connection (or reflected back as an initiator's) it fails.
    @Test func aRelayedProofDoesNotLogIn() throws {
        let c = try Cluster()
        var a = c.responder(1), b = c.responder(2)
        var toA = KeylessInitiator(c.members), toB = KeylessInitiator(c.members)
        var (proofOfA, sendToA) = try toA.finish(try body(a.reply(to: try body(toA.hello()))))
        var (proofOfB, sendToB) = try toB.finish(try body(b.reply(to: try body(toB.hello()))))
        // Each member's genuine proof, presented to the other as the initiator's auth.
        #expect(throws: TalonError(.peerBadProof)) { _ = try a.authenticate(try sendToA.seal(.auth(node: 2, signature: proofOfB.signature))) }
        #expect(throws: TalonError(.peerBadProof)) { _ = try b.authenticate(try sendToB.seal(.auth(node: 1, signature: proofOfA.signature))) }
        // Reflected: a member's own proof, as itself or as another member.
        var a2 = c.responder(1), again = KeylessInitiator(c.members)
        (proofOfA, sendToA) = try again.finish(try body(a2.reply(to: try body(again.hello()))))
        #expect(throws: TalonError(.peerUnknownMember)) { _ = try a2.authenticate(try sendToA.seal(.auth(node: 1, signature: proofOfA.signature))) }
        var a3 = c.responder(1), third = KeylessInitiator(c.members)
        (proofOfA, sendToA) = try third.finish(try body(a3.reply(to: try body(third.hello()))))
        #expect(throws: TalonError(.peerBadProof)) { _ = try a3.authenticate(try sendToA.seal(.auth(node: 3, signature: proofOfA.signature))) }
        _ = (proofOfB, sendToB)
    }

    /// Relaying whole handshakes unchanged between two members only makes the attacker a
    /// wire: the members get a session whose keys it cannot know, so it can inject nothing.
    @Test func aTransparentRelayCanOnlyCarryBytes() throws {
        let c = try Cluster()
        var i = c.initiator(2, to: 1), r = c.responder(1)
        var (sender, receiver) = try connect(&i, &r)
        // The attacker saw every byte; its best guess at a frame is a key of its own.
        var s = Noise.SymmetricState(protocolName: PeerHandshake.protocolName)
        s.mixKey(secureRandomBytes(32))
        var guess = s.split().initiatorToResponder
        let injected = FrameDecoder.framed(try guess.encrypt(ad: [UInt8](), PeerFrame.raft(Self.vote).bytes))
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receiver.open(try body(injected)) }
        _ = sender
    }

    /// Reflection into a member's own outgoing connection: member 1 dials member 2 and the
    /// attacker answers with member 1's own reply to that very hello.
    @Test func aReflectedHandshakeIsRefused() throws {
        let c = try Cluster()
        var out = c.initiator(1, to: 2)
        var self1 = c.responder(1)
        let reflected = try self1.reply(to: try body(out.hello()))
        #expect(throws: TalonError(.peerUnknownMember)) { _ = try out.finish(try body(reflected)) }
    }

    /// Replay: every byte a member sent on a recorded connection, sent again on a new one. The
    /// responder's fresh ephemeral key makes the recorded auth and frames undecryptable.
    @Test func aReplayedHandshakeIsRefused() throws {
        let c = try Cluster()
        var i = c.initiator(2, to: 1), r = c.responder(1)
        let hello = i.hello()
        let (sessionFrom, auth) = try i.finish(try body(r.reply(to: try body(hello))))
        var sender = sessionFrom
        let recorded = try sender.seal(.raft(Message(kind: .heartbeat, from: 2, to: 1, term: 4)))
        _ = try r.authenticate(try body(auth))

        var victim = c.responder(1)
        _ = try victim.reply(to: try body(hello))
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try victim.authenticate(try body(auth)) }
        var again = c.responder(1)
        _ = try again.reply(to: try body(hello))
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try again.authenticate(try body(recorded)) }
    }

    /// Frames that were tampered with, replayed, reordered, skipped, or belong to another
    /// connection between the same two members all fail to open.
    @Test func framesOutsideTheirPlaceFailToOpen() throws {
        let c = try Cluster()
        var i1 = c.initiator(2, to: 1), r1 = c.responder(1)
        var (send1, receive1) = try connect(&i1, &r1)
        var i2 = c.initiator(2, to: 1), r2 = c.responder(1)
        var (send2, _) = try connect(&i2, &r2)
        let frames = try (0..<4).map { n in try body(send1.seal(.raft(Message(kind: .heartbeat, from: 2, to: 1, term: UInt64(n))))) }
        let other = try body(send2.seal(.raft(Message(kind: .heartbeat, from: 2, to: 1, term: 0))))

        var tampered = frames[0]
        tampered[3] ^= 1
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receive1.open(tampered) }
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receive1.open(other) }       // another connection's
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receive1.open(frames[1]) }   // reordered
        _ = try receive1.open(frames[0])
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receive1.open(frames[0]) }   // replayed
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receive1.open(frames[2]) }   // one skipped
        _ = try receive1.open(frames[1])
        #expect(throws: TalonError(.peerFrameRejected)) { _ = try receive1.open(Array(frames[2].prefix(16))) } // truncated
    }

    /// Before its auth, an initiator may send nothing else, even correctly encrypted.
    @Test func framesBeforeTheAuthAreRefused() throws {
        let c = try Cluster()
        var r = c.responder(1), keyless = KeylessInitiator(c.members)
        var (_, send) = try keyless.finish(try body(r.reply(to: try body(keyless.hello()))))
        #expect(throws: TalonError(.peerUnauthenticated)) { _ = try r.authenticate(try send.seal(.raft(Self.vote))) }
        var fresh = c.responder(1)
        #expect(throws: TalonError(.peerProtocol)) { _ = try fresh.authenticate([0, 1, 2]) }
    }

    /// A low-order ephemeral key would make the session keys public: refused on both sides.
    @Test func lowOrderEphemeralKeysAreRefused() throws {
        let c = try Cluster()
        let zero = [UInt8](repeating: 0, count: 32)
        var r = c.responder(1)
        let hello = HandshakeFrame.hello(genesis: c.members.genesis.hash, ephemeral: zero).bytes
        #expect(throws: TalonError(.peerMalformed)) { _ = try r.reply(to: try body(hello)) }
        var i = c.initiator(1, to: 2)
        _ = i.hello()
        let reply = HandshakeFrame.reply(ephemeral: zero, sealedAuth: [UInt8](repeating: 0, count: 88)).bytes
        #expect(throws: TalonError(.peerMalformed)) { _ = try i.finish(try body(reply)) }
    }

    /// Signatures are domain-separated by role: a responder's signature is no initiator's.
    @Test func theSignedBytesNameTheRole() {
        let hash = [UInt8](repeating: 7, count: 32)
        let a = PeerHandshake.signedBytes(role: .initiator, handshakeHash: hash, node: 2)
        let b = PeerHandshake.signedBytes(role: .responder, handshakeHash: hash, node: 2)
        #expect(a != b)
        #expect(a.starts(with: Array("TALON-PEER-AUTH-V2\0".utf8)))
        #expect(a.count == 19 + 1 + 32 + 8)
    }
}

@Suite struct FrameDecoderTests {
    static let frames: [[UInt8]] = [[1, 2, 3], [], Array(repeating: 9, count: 300)]

    /// The stream cut at every byte boundary gives back the same frames.
    @Test func framesSurviveAnySplitOfTheStream() throws {
        let stream = Self.frames.flatMap(FrameDecoder.framed)
        for cut in 0...stream.count {
            var d = FrameDecoder()
            var out: [[UInt8]] = []
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
        #expect(throws: TalonError(.peerFrameTooLarge)) { try d.next() }
        var huge = FrameDecoder()
        huge.append([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: TalonError(.peerFrameTooLarge)) { try huge.next() }
    }

    @Test func malformedPlaintextsAreRefused() {
        let bodies: [[UInt8]] = [
            [], [9, 0], [6] + [UInt8](repeating: 0, count: 71),   // empty, unknown type, short auth
            [3, 1, 99], [4, 0, 0], [5, 0, 0, 0, 0, 0, 0, 0, 1, 7],  // broken Raft, forward, reply
            [5, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 5] + Array("bogus".utf8) + [0, 0],  // a failure with an unregistered code
        ]
        for body in bodies {
            #expect(throws: TalonError(.peerMalformed), "\(body.prefix(4))") { _ = try PeerFrame(bytes: body) }
        }
    }

    @Test func malformedHandshakeFramesAreRefused() {
        let bodies: [[UInt8]] = [
            [], [2], [1, 1] + [UInt8](repeating: 0, count: 64),   // too short, old version
            [2, 9], [2, 1] + [UInt8](repeating: 0, count: 63),    // unknown type, short hello
            [2, 2] + [UInt8](repeating: 0, count: 119),           // short reply
        ]
        for body in bodies {
            #expect(throws: TalonError(.peerMalformed), "\(body.prefix(4))") { _ = try HandshakeFrame(body: body) }
        }
    }

    @Test func framesRoundTrip() throws {
        let key = SigningKey(seed: [UInt8](repeating: 1, count: 32))
        let frames: [PeerFrame] = [
            .auth(node: 2, signature: try #require(key).sign([9])),
            .raft(Message(kind: .append, from: 1, to: 2, term: 3, logTerm: 2, index: 4,
                          entries: [Entry(term: 3, index: 5, data: [1, 2, 3])], commit: 4)),
            .forwardReply(request: 7, .failed(TalonError(.noLeader, "elections"))),
            .forwardReply(request: 8, .outcomes([.rejected(TalonError(.badSignature))])),
        ]
        for f in frames { #expect(try PeerFrame(bytes: f.bytes) == f) }
        guard case .forwardReply(_, .failed(let e)) = try PeerFrame(bytes: frames[2].bytes) else {
            Issue.record("not a failure")
            return
        }
        #expect(e.code == .noLeader && e.message == "elections", "the code travels by its registered name")
    }
}
