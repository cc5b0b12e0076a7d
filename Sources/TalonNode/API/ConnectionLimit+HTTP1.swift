import HummingbirdCore
import Logging
import NIOCore
import NIOHTTPTypes
import TalonLedger
import TalonProtocol

extension HTTPServerBuilder {
    /// An HTTP/1.1 server whose connections `limit` admits: past the limit a newcomer
    /// displaces the connection idle the longest, or is answered 503 when all are busy.
    /// With `submissions`, a `SubmissionHandler` serves `POST /v1/envelopes` on the event loop.
    static func http1(configuration: HTTP1Channel.Configuration, limit: ConnectionLimit,
                      submissions: SubmissionHandler.Settings? = nil) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            LimitedHTTP1Channel(limit: limit, responder: responder, configuration: configuration, submissions: submissions)
        }
    }
}

/// Hummingbird's `HTTP1Channel`, behind `ConnectionLimit`: an admitted connection gets the
/// usual HTTP/1.1 pipeline plus a `ConnectionTracker`; a refused one only a `RefusalHandler`.
struct LimitedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    enum Value: ServerChildChannelValue {
        case served(HTTP1Channel.Value)
        case refused(any Channel)

        var channel: any Channel {
            switch self {
            case .served(let value): value.channel
            case .refused(let channel): channel
            }
        }
    }

    let limit: ConnectionLimit
    let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration
    let submissions: SubmissionHandler.Settings?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        switch limit.admit(channel) {
        case .refused:
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(RefusalHandler(limit: limit))
                return .refused(channel)
            }
        case .admitted(let id):
            channel.closeFuture.whenComplete { [limit] _ in limit.closed(id) }
            var configuration = configuration
            let others = configuration.additionalChannelHandlers
            configuration.additionalChannelHandlers = { [limit] in others() + [ConnectionTracker(limit: limit, id: id)] }
            return HTTP1Channel(responder: responder, configuration: configuration)
                .setup(channel: channel, logger: logger)
                .flatMapThrowing { [submissions] value in
                    if let submissions {
                        // Last before Hummingbird's own handler, so the connection's idle and
                        // quiesce tracking sees its requests and answers too.
                        let pipeline = channel.pipeline.syncOperations
                        let state = try pipeline.handler(type: HTTPConnectionStateHandler.self)
                        try pipeline.addHandler(SubmissionHandler(submissions), position: .after(state))
                    }
                    return .served(value)
                }
        }
    }

    func handle(value: Value, logger: Logger) async {
        switch value {
        case .served(let channel):
            await handleHTTP(asyncChannel: channel, logger: logger)
        case .refused:
            // The RefusalHandler answers and closes on the channel's event loop.
            break
        }
    }
}

/// Tells `ConnectionLimit` when its connection has a request in flight: from a complete
/// request head until that request's end has been read and its response's end written
/// (pipelined requests count until the last one is done).
final class ConnectionTracker: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limit: ConnectionLimit
    private let id: ConnectionTable<any Channel>.ID
    private var heads = 0, requestEnds = 0, responseEnds = 0
    private var busy = false

    init(limit: ConnectionLimit, id: ConnectionTable<any Channel>.ID) {
        self.limit = limit
        self.id = id
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: heads += 1
        case .body: break
        case .end: requestEnds += 1
        }
        guard update() else {
            // Evicted as idle just before this request arrived: the close is on its way, so
            // the request is not started (the client sees the connection close unanswered,
            // as when a keep-alive timeout crosses a request, and may retry).
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            responseEnds += 1
            _ = update()
        }
        context.write(data, promise: promise)
    }

    /// Reports a change between idle and busy; false if the connection was evicted.
    private func update() -> Bool {
        let now = heads > min(requestEnds, responseEnds)
        guard now != busy else { return true }
        busy = now
        if now { return limit.began(id) }
        limit.ended(id)
        return true
    }
}

@available(*, unavailable)
extension ConnectionTracker: Sendable {}

/// Answers a refused connection `503 too_many_connections` without reading its request,
/// then closes it. To keep the answer from being lost to a TCP reset (closing a socket
/// with unread input resets it), it shuts its output down and reads and discards what the
/// client sends until the client closes or `linger` passes; while `ConnectionLimit`'s
/// `maxRefusing` connections already linger, it closes at once instead.
final class RefusalHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let linger = TimeAmount.seconds(1)
    private let limit: ConnectionLimit
    private var answered = false
    private var lingering = false

    init(limit: ConnectionLimit) {
        self.limit = limit
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if lingering {
            lingering = false
            limit.endRefusing()
        }
        context.fireChannelInactive()
    }

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        lingering = limit.beginRefusing()
        let linger = lingering
        let channel = context.channel
        let written = context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: limit.refusal)))
        written.whenComplete { _ in
            guard linger else { return channel.close(promise: nil) }
            channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
            channel.eventLoop.scheduleTask(in: Self.linger) { channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension RefusalHandler: Sendable {}

extension ConnectionLimit {
    /// The whole HTTP/1.1 answer to a refused connection.
    static func refusal(limit: Int) -> [UInt8] {
        let code = Code.tooManyConnections, status = code.kind.httpStatus
        let body = JSONForm.encode(ProblemDetails(
            code: code, detail: "the node serves at most \(limit) API connections at once and every one has a request in flight; retry shortly",
            status: status, title: "Service Unavailable"))
        let head = "HTTP/1.1 \(status) Service Unavailable\r\nServer: talon\r\nContent-Type: application/problem+json\r\n"
            + "Content-Length: \(body.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}
