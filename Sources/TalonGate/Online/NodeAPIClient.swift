public import TalonProtocol

/// A node's HTTP API as a gate reaches it while online: the CLI's HTTP client in the field,
/// a fake in tests. TalonGate holds no HTTP client of its own.
public protocol NodeAPIClient: Sendable {
    /// The body of the node's 200 answer at `path`: a GET, or a POST of the JSON `body` when
    /// there is one.
    /// - Throws: whatever stood in the answer's way: the node's problem, no node reachable.
    func call(_ path: String, body: [UInt8]?) async throws -> [UInt8]
    /// Submits `envelopes` to `POST /v1/envelopes` and returns one result per envelope, in
    /// order. The default posts a JSON array through `call`; a client may send the binary
    /// media type (`EnvelopeFrames`), which answers the same.
    /// - Throws: as `call`; `invalid_json` for an answer that is not `SubmitResults`.
    func submit(_ envelopes: [Envelope]) async throws -> SubmitResults
}

extension NodeAPIClient {
    /// Posts `envelopes` as a JSON array.
    public func submit(_ envelopes: [Envelope]) async throws -> SubmitResults {
        try SubmitResults.decode(json: try await call(APIPath.envelopes, body: JSONForm.encode(envelopes)))
    }

    /// The answer at `path` (GET) read as `T`.
    /// - Throws: the client's errors; `invalid_json` when the answer is not a `T`.
    func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try JSONForm.decode(T.self, from: try await call(path, body: nil))
    }
}
