import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TalonGate
import TalonProtocol

/// Talks to a cluster's HTTP API, trying the given nodes in turn: a node that is down, or
/// answers 503 (no leader yet, a leader change), is skipped for the next, for a few rounds.
/// Submitting again is safe: the ledger never appends an envelope twice.
struct NodeClient: NodeAPIClient {
    let nodes: [String]
    let client: HTTPClient
    var rounds = 8
    var timeout: TimeAmount = .seconds(15)

    init(nodes: [String]) throws {
        let urls = nodes.flatMap { $0.split(separator: ",") }.map { Self.normalize(String($0)) }
        guard !urls.isEmpty else { throw TalonError(.noNode, "give --node URL (or --genesis to use its members' API addresses)") }
        self.nodes = urls
        client = HTTPClient.shared
    }

    /// `127.0.0.1:8101` or `http://127.0.0.1:8101/` → `http://127.0.0.1:8101`.
    static func normalize(_ text: String) -> String {
        var url = text.trimmingCharacters(in: .whitespaces)
        if !url.contains("://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// Sends `body` to `path` (GET when nil) and returns the answer's bytes; a problem answer
    /// becomes a `NodeFailure` with its code.
    func call(_ path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        try await call(path, body: body, contentType: "application/json")
    }

    /// Submits `envelopes` in the binary media type (`EnvelopeFrames`, one frame each): the
    /// answer is one result per envelope, in order, as for a JSON array.
    /// - Throws: as `call`; `invalid_json` for an answer that is not `SubmitResults`.
    func submit(_ envelopes: [Envelope]) async throws -> SubmitResults {
        let answer = try await call(APIPath.envelopes, body: EnvelopeFrames.encode(envelopes), contentType: EnvelopeFrames.mediaType)
        return try SubmitResults.decode(json: answer)
    }

    /// `call` with the body's `Content-Type`.
    func call(_ path: String, body: [UInt8]?, contentType: String) async throws -> [UInt8] {
        var lastError: any Error = TalonError(.unreachable, "no node answered")
        for round in 0..<rounds {
            for node in nodes {
                var request = HTTPClientRequest(url: node + path)
                if let body {
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: contentType)
                    request.body = .bytes(ByteBuffer(bytes: body))
                }
                do {
                    let response = try await client.execute(request, timeout: timeout)
                    let bytes = Array(buffer: try await response.body.collect(upTo: 64 << 20))
                    if response.status == .ok { return bytes }
                    let problem = try? JSONForm.decode(ProblemDetails.self, from: bytes)
                    let error = NodeFailure(code: problem?.code ?? "http_\(response.status.code)",
                                            message: "\(node): \(problem?.detail ?? String(decoding: bytes.prefix(200), as: UTF8.self))")
                    guard response.status == .serviceUnavailable else { throw error }
                    lastError = error
                } catch let error as NodeFailure {
                    throw error
                } catch {
                    lastError = TalonError(.unreachable, "\(node): \(error)")
                }
            }
            try await Task.sleep(for: .milliseconds(200 * (round + 1)))
        }
        throw lastError
    }

    /// The same client, trying each node `rounds` times.
    func withRounds(_ rounds: Int) -> NodeClient {
        var copy = self
        copy.rounds = rounds
        return copy
    }
}
