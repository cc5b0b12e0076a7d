import ArgumentParser
import Foundation
import TalonProtocol
import TalonGate
import TalonLedger

/// The holder's side of the gate: a rotating QR pass.
struct PassCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pass", abstract: "A holder's rotating QR pass.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Shows a ticket's pass as a QR code, redrawn every 30 s window.",
            discussion: """
                Fetches the ticket's ownership certificate from a node (checked against the \
                genesis: a member's signature, and the holder is --key), then signs a pass for \
                the current window with --key. In a terminal it draws the QR and redraws it each \
                window until interrupted; --png or --svg writes one image instead, and --text \
                prints the pass text (what a QR holds, for a hand scanner or a test).
                """)
        @Option(name: .long, help: "The genesis file of the chain.") var genesis: String
        @Option(name: .long, help: "The ticket id.") var ticket: String
        @Option(name: .long, help: "The holder's key file.") var key: String
        @Option(name: .long, help: "A node's API URL (repeat or comma-separate for fall-backs; default: the genesis members').") var node: [String] = []
        @Option(name: .long, help: "Write the QR as a PNG image to this file.") var png: String?
        @Option(name: .long, help: "Write the QR as an SVG image to this file.") var svg: String?
        @Flag(name: .long, help: "Print the pass text only.") var text = false
        @Flag(name: .long, help: "Draw once and exit instead of redrawing every window.") var once = false
        @Option(name: .long, help: "Sign for the window of this time (ms since the Unix epoch) instead of now.") var at: Int64?

        func run() async throws {
            try await reportingErrors {
                let genesis = try GenesisFile(path: self.genesis)
                let holder = try SigningKey.load(from: key)
                let bytes = try await NodeClient(nodes: try NodeOptions.urls(node, genesis: genesis)).call("/v1/tickets/\(NodeClient.pathSegment(ticket))/certificate")
                let certificate = try JSONForm.decode(OwnershipCertificate.self, from: bytes)
                try certificate.verify(genesis: genesis)
                guard certificate.ticketID == ticket else { throw TalonError(.invalidCertificate, "the node certified \(certificate.ticketID), not \(ticket)") }
                guard certificate.holder == holder.publicKey else {
                    throw TalonError(.notHolder, "\(ticket) is held by \(certificate.holder), not by the key in \(key)")
                }
                let members = genesis.genesis.members.map(\.id)
                func pass(at ms: Int64) throws -> (String, QRCode) {
                    let p = Pass(certificate: certificate, window: Pass.window(at: ms), holder: holder, chainID: genesis.genesis.chainID)
                    let text = try p.text(members: members)
                    return (text, try QRCode(text: text))
                }
                let now = at ?? nowMillis()
                let (payload, qr) = try pass(at: now)
                if text { print(payload); return }
                if png != nil || svg != nil {
                    if let png { try write(try qr.png(), to: png) }
                    if let svg { try write(Array(qr.svg().utf8), to: svg) }
                    writeErr("pass of \(ticket) for window \(Pass.window(at: now)) (valid ±30 s around it), QR version \(qr.version)\n")
                    return
                }
                var ms = now
                while true {
                    let (payload, qr) = try pass(at: ms)
                    let window = Pass.window(at: ms)
                    writeOut(Array(("\u{1B}[2J\u{1B}[H" + qr.terminal() + "\(ticket) · sequence \(certificate.sequence) · window \(window) · \(payload.count) characters\n").utf8))
                    if once || at != nil || isatty(STDOUT_FILENO) == 0 { return }
                    // Now is the system clock, so the next window starts within 30 s.
                    try await Task.sleep(for: .milliseconds(Pass.windowSeconds * 1000 - ms % (Pass.windowSeconds * 1000) + 50))
                    ms = nowMillis()
                }
            }
        }

        private func write(_ bytes: [UInt8], to path: String) throws {
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                throw TalonError(.ioError, "cannot write \(path)")
            }
        }
    }
}
