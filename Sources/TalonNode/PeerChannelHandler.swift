import NIOCore
import TalonProtocol
import TalonRaft

/// One peer connection, on its event loop: length-framed bytes, the `PeerHandshake`, then
/// sealed frames. An inbound connection (`responder`) only receives: each frame it opens goes
/// straight to `deliver`, with no task or stream between the socket and the node. An outbound
/// one (`initiator`) only sends: once authenticated it is its outbox's sink, and frames are
/// sealed and written on the event loop. Any failure closes the connection; a `TalonError`
/// (the peer said something wrong) is counted first (`PeerTransport.refused`).
final class PeerChannelHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: every field is used on the channel's event loop only (NIO calls the
    // handler there; `PeerOutbox` calls `write` there).
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum Side {
        /// Waits for the hello, replies, then takes the initiator's proof; holds a handshake
        /// slot until then.
        case responder(PeerHandshake.Responder, slot: UInt64, replied: Bool)
        /// Proven: receives sealed frames from `session.peer`.
        case receiving(PeerSession)
        /// Sent its hello; waits for the responder's reply.
        case initiator(PeerHandshake.Initiator)
        /// Proven: the outbox's sink.
        case sending(PeerSession)
        case closed
    }

    struct Settings: Sendable {
        let me: NodeID
        let maxFrameBytes: Int
        let slots: HandshakeSlots
        let deliver: @Sendable (PeerEvent) -> Void
    }

    private var side: Side
    private let settings: Settings
    private let deadline: Scheduled<Void>
    private let outbox: PeerOutbox?
    /// Set once the handshake completes (read by the link to reset its back-off).
    private let authenticated: @Sendable () -> Void
    private var decoder = FrameDecoder(maxFrameBytes: PeerHandshake.maxFrameBytes)
    private var context: ChannelHandlerContext?
    let eventLoop: any EventLoop

    init(_ side: Side, settings: Settings, deadline: Scheduled<Void>, outbox: PeerOutbox?, eventLoop: any EventLoop,
         authenticated: @escaping @Sendable () -> Void = {}) {
        self.side = side
        self.settings = settings
        self.deadline = deadline
        self.outbox = outbox
        self.eventLoop = eventLoop
        self.authenticated = authenticated
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { sendHello(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        sendHello(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        close()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        close()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        do {
            try read(buffer, context)
        } catch {
            if let error = error as? TalonError { PeerTransport.refused(error) }
            close()
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        close()
        context.close(promise: nil)
    }

    // MARK: -

    private var helloSent = false

    private func sendHello(_ context: ChannelHandlerContext) {
        guard case .initiator(var handshake) = side, !helloSent else { return }
        helloSent = true
        let hello = handshake.hello()
        side = .initiator(handshake)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: hello)), promise: nil)
    }

    private func read(_ buffer: ByteBuffer, _ context: ChannelHandlerContext) throws {
        if case .sending = side { return }  // a responder says nothing after its reply
        decoder.append(buffer.readableBytesView)
        while let body = try decoder.next() {
            switch side {
            case .receiving(var session):
                let frame = try session.open(body)
                side = .receiving(session)
                settings.deliver(try PeerEvent(frame, from: session.peer, to: settings.me))
            case .responder(var handshake, let slot, replied: false):
                let reply = try handshake.reply(to: body)
                side = .responder(handshake, slot: slot, replied: true)
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)), promise: nil)
            case .responder(var handshake, let slot, replied: true):
                let session = try handshake.authenticate(body)
                side = .receiving(session)
                deadline.cancel()
                decoder.maxFrameBytes = settings.maxFrameBytes
                settings.slots.release(slot)
                authenticated()
            case .initiator(var handshake):
                guard decoder.pendingBytes == 0 else {
                    throw TalonError(.peerProtocol, "bytes after the responder's reply")
                }
                let (session, auth) = try handshake.finish(body)
                side = .sending(session)
                deadline.cancel()
                context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: auth)), promise: nil)
                authenticated()
                outbox?.attach(self)
                return
            case .sending, .closed:
                return
            }
        }
    }

    /// Leaves every state: gives back the handshake slot, stops being the outbox's sink.
    private func close() {
        switch side {
        case .responder(_, let slot, _): settings.slots.release(slot)
        case .sending: outbox?.detach(self)
        default: break
        }
        deadline.cancel()
        side = .closed
    }
}

extension PeerChannelHandler: PeerOutbox.Sink {
    func write(_ frames: [PeerFrame]) {
        guard case .sending(var session) = side, let context else { return }
        do {
            for frame in frames {
                context.write(wrapOutboundOut(ByteBuffer(bytes: try session.seal(frame))), promise: nil)
            }
            side = .sending(session)
            context.flush()
        } catch {
            PeerTransport.refused(error)
            close()
            context.close(promise: nil)
        }
    }
}
