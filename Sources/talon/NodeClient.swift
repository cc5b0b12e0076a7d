import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TalonLedger
import TalonProtocol

/// Talks to a cluster's HTTP API, trying the given nodes in turn: a node that is down, or
/// answers 503 (no leader yet, a leader change), is skipped for the next, for a few rounds.
/// Submitting again is safe: the ledger never appends an envelope twice.
struct NodeClient {
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

    /// An id as one path segment: everything but unreserved characters percent-encoded, `/`
    /// too (the API decodes `%2F` back; a raw `/` would split the path).
    static func pathSegment(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? id
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
        var lastError: any Error = TalonError(.unreachable, "no node answered")
        for round in 0..<rounds {
            for node in nodes {
                var request = HTTPClientRequest(url: node + path)
                if let body {
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: body))
                }
                do {
                    let response = try await client.execute(request, timeout: timeout)
                    let bytes = Array(buffer: try await response.body.collect(upTo: 64 << 20))
                    if response.status == .ok { return bytes }
                    let problem = (try? JSONDecoder().decode(ProblemText.self, from: Data(bytes)))
                        ?? ProblemText(code: "http_\(response.status.code)", detail: String(decoding: bytes.prefix(200), as: UTF8.self))
                    let error = NodeFailure(code: problem.code, message: "\(node): \(problem.detail)")
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

    /// Decodes the answer at `path` as `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try JSONDecoder().decode(T.self, from: Data(try await call(path)))
    }

    struct ProblemText: Decodable {
        let code: String
        let detail: String
    }
}
