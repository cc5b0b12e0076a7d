import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Synchronization
@testable import TalonNode
import TalonProtocol
import TalonTestSupport
import Testing

/// `SubmissionHandler` in a channel of its own, with a stand-in node: which requests it
/// answers and which it passes on to Hummingbird (the channel's inbound end), that answers
/// leave in request order, and what it writes.
@Suite(.timeLimit(.minutes(3)))
struct SubmissionHandlerTests {
    typealias Answer = @Sendable (Result<[EnvelopeOutcome], TalonError>) -> Void

    /// Records each submission; the test answers it when it likes.
    final class StandIn: Sendable {
        private let calls = Mutex<[(envelopes: [Envelope], answer: Answer)]>([])
        let maxBodyBytes: Int

        init(maxBodyBytes: Int = 4096) { self.maxBodyBytes = maxBodyBytes }

        var settings: SubmissionHandler.Settings {
            SubmissionHandler.Settings(submit: { envelopes, answer in self.calls.withLock { $0.append((envelopes, answer)) } },
                                       maxBodyBytes: maxBodyBytes, serverName: "talon", metrics: SubmissionMetrics())
        }

        var submitted: [[Envelope]] { calls.withLock { $0.map(\.envelopes) } }

        func answer(_ call: Int, _ result: Result<[EnvelopeOutcome], TalonError>) {
            let answer = calls.withLock { $0[call].answer }
            answer(result)
        }
    }

    /// Counts the reads that reach the channel (it sits before the handler).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = Never
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    static let key = SigningKey.generate()
    static func envelope(_ nonce: UInt64) -> Envelope {
        Envelope(chainID: "talon-test", nonce: nonce, operation: .transfer(Transfer(ticketID: "T-\(nonce)", to: key.publicKey)),
                 signedBy: key)
    }

    static func head(_ method: HTTPRequest.Method = .post, _ path: String = "/v1/envelopes",
                     _ fields: HTTPFields = [.contentType: EnvelopeFrames.mediaType]) -> HTTPRequestPart {
        .head(HTTPRequest(method: method, scheme: nil, authority: nil, path: path, headerFields: fields))
    }

    static func body(_ bytes: [UInt8]) -> HTTPRequestPart { .body(ByteBuffer(bytes: bytes)) }

    /// A framed submission of `envelopes`, whole.
    static func submission(_ envelopes: [Envelope]) -> [HTTPRequestPart] {
        [head(), body(EnvelopeFrames.encode(envelopes)), .end(nil)]
    }

    static func channel(_ standIn: StandIn) throws -> (EmbeddedChannel, ReadCounter) {
        let counter = ReadCounter()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers([counter, SubmissionHandler(standIn.settings)])
        return (channel, counter)
    }

    static func send(_ parts: [HTTPRequestPart], to channel: EmbeddedChannel) throws {
        for part in parts { try channel.writeInbound(part) }
    }

    /// What reached Hummingbird.
    static func passed(_ channel: EmbeddedChannel) throws -> [HTTPRequestPart] {
        var parts: [HTTPRequestPart] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) { parts.append(part) }
        return parts
    }

    /// The answer written: head, whole body, and whether it ended.
    static func written(_ channel: EmbeddedChannel) throws -> (head: HTTPResponse?, body: [UInt8], ended: Bool) {
        var head: HTTPResponse?, body: [UInt8] = [], ended = false
        while let part = try channel.readOutbound(as: HTTPResponsePart.self) {
            switch part {
            case .head(let h): head = h
            case .body(let b): body += Array(b.readableBytesView)
            case .end: ended = true
            }
        }
        return (head, body, ended)
    }

    @Test func aSubmissionIsAnsweredOnTheEventLoopWhenTheNodeCallsBack() throws {
        let standIn = StandIn()
        let (channel, _) = try Self.channel(standIn)
        let envelopes = [Self.envelope(1), Self.envelope(2)]
        try Self.send(Self.submission(envelopes), to: channel)
        #expect(try Self.passed(channel).isEmpty, "a submission does not reach Hummingbird")
        #expect(standIn.submitted.map { $0.map(\.hash) } == [envelopes.map(\.hash)])
        #expect(try Self.written(channel).head == nil, "nothing is written before the node answers")

        let receipt = Receipt(leaf: 7, height: 3, position: 0, result: "ok")
        standIn.answer(0, .success([.receipt(receipt), .rejected(TalonError(.badSignature, "no"))]))
        channel.embeddedEventLoop.run()
        let answer = try Self.written(channel)
        let head = try #require(answer.head)
        #expect(head.status == .ok && answer.ended)
        #expect(head.headerFields[.contentType] == "application/json")
        #expect(head.headerFields[.contentLength] == "\(answer.body.count)")
        #expect(head.headerFields[.server] == "talon")
        #expect(head.headerFields[.date]?.hasSuffix(" GMT") == true)
        let json = try JSONValue.parse(answer.body)
        let results = try #require(json["results"]?.array)
        #expect(results.map { $0["hash"]?.string } == envelopes.map(\.hash.hex))
        #expect(results[0]["leaf"]?.int == 7 && results[0]["height"]?.int == 3 && results[0]["result"]?.string == "ok")
        #expect(results[1]["error"]?["code"]?.string == "bad_signature")
        #expect(answer.body.last == 0x0A)
    }

    @Test func whatFollowsASubmissionWaitsForItsAnswer() throws {
        let standIn = StandIn()
        let (channel, counter) = try Self.channel(standIn)
        try Self.send(Self.submission([Self.envelope(1)]), to: channel)
        // Pipelined behind it: a read for Hummingbird and a second submission.
        try Self.send([Self.head(.get, "/v1/head", [:]), .end(nil)] + Self.submission([Self.envelope(2)]), to: channel)
        let readsBefore = counter.reads
        channel.read()
        #expect(counter.reads == readsBefore, "reading pauses while a submission waits")
        #expect(try Self.passed(channel).isEmpty && standIn.submitted.count == 1)

        standIn.answer(0, .failure(TalonError(.noLeader, "none")))
        channel.embeddedEventLoop.run()
        let first = try Self.written(channel)
        #expect(first.head?.status.code == 503 && first.head?.headerFields[.retryAfter] == "1" && first.ended)
        #expect(try JSONValue.parse(first.body)["code"]?.string == "no_leader")
        // The read went to Hummingbird; the submission behind it passes through too, since
        // Hummingbird has not answered the read yet, and the held read is issued.
        let passed = try Self.passed(channel)
        #expect(passed.count == 5, "\(passed)")
        if case .head(let h) = passed.first { #expect(h.path == "/v1/head") } else { Issue.record("\(passed)") }
        if case .head(let h) = passed[2] { #expect(h.path == "/v1/envelopes") } else { Issue.record("\(passed)") }
        #expect(standIn.submitted.count == 1)
        #expect(counter.reads == readsBefore + 1)
    }

    @Test func submissionsPassThroughWhileHummingbirdOwesAnAnswer() throws {
        let standIn = StandIn()
        let (channel, _) = try Self.channel(standIn)
        try Self.send([Self.head(.get, "/v1/status", [:]), .end(nil)], to: channel)
        try Self.send(Self.submission([Self.envelope(1)]), to: channel)
        #expect(try Self.passed(channel).count == 5 && standIn.submitted.isEmpty)
        // Hummingbird answers both; then a submission is the handler's again.
        for _ in 0..<2 {
            try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        _ = try Self.written(channel)
        try Self.send(Self.submission([Self.envelope(2)]), to: channel)
        #expect(try Self.passed(channel).isEmpty && standIn.submitted.count == 1)
    }

    @Test func otherRequestsPassThroughUntouched() throws {
        let standIn = StandIn()
        let (channel, _) = try Self.channel(standIn)
        let others: [HTTPRequestPart] = [
            Self.head(.get, "/v1/envelopes"), Self.head(.post, "/v1/envelopes/"), Self.head(.post, "/v1/envelopes?x=1"),
            Self.head(.post, "/v1/envelopes", [.contentType: EnvelopeFrames.mediaType, .connection: "close"]),
        ]
        for head in others {
            try Self.send([head, Self.body([1, 2, 3]), .end(nil)], to: channel)
            let passed = try Self.passed(channel)
            #expect(passed == [head, Self.body([1, 2, 3]), .end(nil)])
            try channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        #expect(standIn.submitted.isEmpty)
    }

    @Test func aBodyOverTheLimitGoesToHummingbirdWhole() throws {
        let standIn = StandIn(maxBodyBytes: 100)
        let (channel, _) = try Self.channel(standIn)
        let parts = [Self.head(), Self.body(Array(repeating: 1, count: 60)), Self.body(Array(repeating: 2, count: 60)), .end(nil)]
        try Self.send(parts, to: channel)
        #expect(try Self.passed(channel) == parts)
        #expect(standIn.submitted.isEmpty)
    }

    @Test func aBodyThatDoesNotDecodeIsAnsweredWithItsProblem() throws {
        let standIn = StandIn()
        let (channel, _) = try Self.channel(standIn)
        try Self.send([Self.head(), Self.body([0, 0]), .end(nil)], to: channel)
        channel.embeddedEventLoop.run()
        let answer = try Self.written(channel)
        #expect(answer.head?.status == .badRequest && answer.head?.headerFields[.contentType] == "application/problem+json")
        #expect(try JSONValue.parse(answer.body)["code"]?.string == "truncated")
        try Self.send([Self.head(.post, "/v1/envelopes", [.contentType: "text/plain"]), Self.body([1]), .end(nil)], to: channel)
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel).head?.status == .unsupportedMediaType)
        let passed = try Self.passed(channel)
        #expect(standIn.submitted.isEmpty && passed.isEmpty)
    }

    /// A body over `inlineBodyBytes` is decoded and submitted off the event loop; its answer
    /// still comes back through it.
    @Test func aLargeBodyIsWorkedOnOffTheEventLoop() async throws {
        let standIn = StandIn(maxBodyBytes: 1 << 20)
        let (channel, _) = try Self.channel(standIn)
        let envelopes = (1...40).map { Self.envelope($0) }
        let frames = EnvelopeFrames.encode(envelopes)
        try #require(frames.count > SubmissionHandler.inlineBodyBytes)
        try Self.send([Self.head(), Self.body(frames), .end(nil)], to: channel)
        for _ in 0..<2_000 where standIn.submitted.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        #expect(standIn.submitted.map(\.count) == [40])
        standIn.answer(0, .success(envelopes.map { _ in .rejected(TalonError(.badSignature, "no")) }))
        channel.embeddedEventLoop.run()
        let answer = try Self.written(channel)
        #expect(answer.head?.status == .ok && answer.ended)
        #expect(try JSONValue.parse(answer.body)["results"]?.array?.count == 40)
    }

    @Test func anAnswerAfterTheConnectionClosedIsDropped() throws {
        let standIn = StandIn()
        let (channel, _) = try Self.channel(standIn)
        try Self.send(Self.submission([Self.envelope(1)]), to: channel)
        _ = try channel.finish(acceptAlreadyClosed: true)
        standIn.answer(0, .failure(TalonError(.timeout, "late")))
        channel.embeddedEventLoop.run()
        #expect(try Self.written(channel).head == nil)
    }
}
