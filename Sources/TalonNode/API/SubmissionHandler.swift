import Dispatch
import HTTPTypes
import Metrics
import NIOCore
import NIOHTTPTypes
import Synchronization
import TalonProtocol

/// Serves `POST /v1/envelopes` on the connection's event loop: the body is read and decoded
/// there, handed to the node with a callback, and the answer written from the event loop
/// once the node has it. Through Hummingbird's router a submission crosses threads four
/// times (event loop → connection task → node loop → task → event loop); here twice.
///
/// Everything else passes through to Hummingbird untouched, and so does a submission that
/// arrives while Hummingbird still owes this connection an answer, or that asks to close the
/// connection, or whose body outgrows the limit: answers leave in the order the requests
/// came. What arrives while a submission waits for the node is held (and reading paused)
/// until its answer is written. Both ways decode and answer through `Submission`, so the
/// bytes are the same; the answer carries Hummingbird's `Date` and `Server` headers and is
/// counted in its request metrics (`hb_requests`, `http_server_request_duration`,
/// `http_server_active_requests`).
final class SubmissionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Submits envelopes and calls back once with their outcomes (`Node.submit(_:answer:)`).
    typealias Submit = @Sendable ([Envelope], @escaping @Sendable (Result<[EnvelopeOutcome], TalonError>) -> Void) -> Void

    /// What every connection's handler shares.
    struct Settings: Sendable {
        let submit: Submit
        let maxBodyBytes: Int
        let serverName: String
        let metrics: SubmissionMetrics
    }

    private enum State {
        case idle
        /// A submission whose body is being read (`started`: uptime in nanoseconds).
        case reading(HTTPRequest, ByteBuffer, started: UInt64)
        /// A submission handed to the node.
        case submitted
    }

    /// What arrived while a submission waited for the node, passed on after its answer.
    private enum Held {
        case part(HTTPRequestPart)
        case error(any Error)
        case event(Any)
    }

    private let settings: Settings
    private var state = State.idle
    private var held: [Held] = []
    /// Requests passed to Hummingbird whose answer has not ended yet.
    private var owed = 0
    /// The current request's remaining parts go to Hummingbird.
    private var passing = false
    /// A read asked for while a submission waited, issued after its answer.
    private var readWanted = false
    private var removed = false

    init(_ settings: Settings) {
        self.settings = settings
    }

    private var waiting: Bool {
        if case .submitted = state { true } else { false }
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if waiting {
            held.append(.part(part))
        } else {
            take(part, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if waiting {
            held.append(.error(error))
            return
        }
        if case .reading(let head, let body, _) = state {
            // A parse error inside a body: Hummingbird answers it, after the request it began.
            state = .idle
            passOn(head, body, context: context)
        }
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client's half-close would end Hummingbird's side of the connection (and its
        // output) before the answer is written. (Something is held only while a submission
        // waits: its answer passes everything held on before it waits again.)
        if waiting {
            held.append(.event(event))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        removed = true
    }

    private func take(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        if passing {
            if case .end = part { passing = false }
            context.fireChannelRead(wrapInboundOut(part))
            return
        }
        switch (part, state) {
        case (.head(let head), .idle):
            if owed == 0 && Self.serves(head) {
                state = .reading(head, context.channel.allocator.buffer(capacity: 0), started: DispatchTime.now().uptimeNanoseconds)
            } else {
                passOn(head, nil, context: context)
            }
        case (.body(var chunk), .reading(let head, var body, let started)):
            state = .idle
            if body.readableBytes + chunk.readableBytes > settings.maxBodyBytes {
                // Hummingbird answers 413 in its words.
                passOn(head, body, context: context)
                context.fireChannelRead(wrapInboundOut(.body(chunk)))
            } else {
                body.writeBuffer(&chunk)
                state = .reading(head, body, started: started)
            }
        case (.end, .reading(let head, let body, let started)):
            state = .submitted
            submit(head, body, started: started, context: context)
        default:
            // Out of order: Hummingbird's reading of the connection decides.
            context.fireChannelRead(wrapInboundOut(part))
        }
    }

    /// Hands a request (and the body read so far) to Hummingbird; its later parts follow.
    private func passOn(_ head: HTTPRequest, _ body: ByteBuffer?, context: ChannelHandlerContext) {
        owed += 1
        passing = true
        context.fireChannelRead(wrapInboundOut(.head(head)))
        if let body, body.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(.body(body))) }
    }

    /// True for a request this handler answers itself.
    static func serves(_ head: HTTPRequest) -> Bool {
        guard head.method == .post, head.path == "/v1/envelopes" else { return false }
        return !head.headerFields[values: .connection].contains { $0.lowercased().contains("close") }
    }

    // MARK: Answer

    private func submit(_ head: HTTPRequest, _ body: ByteBuffer, started: UInt64, context: ChannelHandlerContext) {
        settings.metrics.active.increment()
        let loop = context.eventLoop, submit = settings.submit, contentType = head.headerFields[.contentType]
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        @Sendable func reply(_ answer: @escaping @Sendable () -> HTTPAnswer) {
            loop.execute { bound.value.handler.answer(answer(), started: started, context: bound.value.context) }
        }
        @Sendable func run() {
            let submission: Submission
            do {
                submission = try Submission(media: try Submission.media(contentType), body: body.readableBytesView)
            } catch {
                return reply { Problem(error).answer }
            }
            submit(submission.envelopes) { result in
                reply {
                    do {
                        return HTTPAnswer(body: try submission.answer(try result.get()))
                    } catch {
                        return Problem(error).answer
                    }
                }
            }
        }
        // Decoding and (on the leader) verifying take about 25 and 60 µs per envelope: a large
        // body is worked on off the event loop, which every connection on it shares.
        if body.readableBytes <= Self.inlineBodyBytes { run() } else { Task { run() } }
    }

    /// The largest body decoded and admitted on the event loop itself (a dozen envelopes).
    static let inlineBodyBytes = 4096

    /// Writes an answer and goes on with what was held.
    private func answer(_ answer: HTTPAnswer, started: UInt64, context: ChannelHandlerContext) {
        settings.metrics.answered(answer.status, nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
        state = .idle
        guard !removed else { return }
        var fields = answer.fields
        fields[.contentLength] = "\(answer.body.count)"
        fields[.date] = HTTPDate.shared.now
        fields[.server] = settings.serverName
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(context.channel.allocator.buffer(bytes: answer.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        while !held.isEmpty && !waiting {
            switch held.removeFirst() {
            case .part(let part): take(part, context: context)
            case .error(let error): errorCaught(context: context, error: error)
            case .event(let event): context.fireUserInboundEventTriggered(event)
            }
        }
        if !waiting && readWanted {
            readWanted = false
            context.read()
        }
    }

    // MARK: Outbound

    func read(context: ChannelHandlerContext) {
        if waiting {
            readWanted = true
        } else {
            context.read()
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { owed = max(0, owed - 1) }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension SubmissionHandler: Sendable {}

/// The request metrics Hummingbird's `MetricsMiddleware` keeps, for submissions answered by
/// `SubmissionHandler` (same labels and dimensions, so both ways add to the same series).
final class SubmissionMetrics: Sendable {
    let active = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", "POST")])
    private let byStatus = Mutex<[Int: (requests: Counter, duration: Timer)]>([:])

    /// Counts an answered submission and its duration.
    func answered(_ status: HTTPResponse.Status, nanoseconds: UInt64) {
        let metrics = byStatus.withLock { table in
            if let known = table[status.code] { return known }
            let dimensions = [("http.route", "/v1/envelopes"), ("http.request.method", "POST"),
                              ("http.response.status_code", "\(status.code)")]
            let made = (Counter(label: "hb.requests", dimensions: dimensions),
                        Timer(label: "http.server.request.duration", dimensions: dimensions, preferredDisplayUnit: .seconds))
            table[status.code] = made
            return made
        }
        metrics.requests.increment()
        metrics.duration.recordNanoseconds(Int64(clamping: nanoseconds))
        active.decrement()
    }
}
