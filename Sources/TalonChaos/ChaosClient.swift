import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import TalonProtocol

/// The harness's HTTP client of the members' APIs: submissions and ticket reads as
/// `Outcome`s, and status.
struct ChaosClient: Sendable {
    let http: HTTPClient
    let apiPorts: [Int]

    /// One request; nil status on any error (connection refused, timeout).
    func request(_ node: Int, _ method: HTTPMethod, _ path: String, body: [UInt8]? = nil,
                 timeout: TimeAmount = .seconds(5)) async -> (status: Int, body: [UInt8])? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(apiPorts[node])\(path)")
        request.method = method
        if let body {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let bytes = try await response.body.collect(upTo: 4 << 20)
            return (Int(response.status.code), Array(buffer: bytes))
        } catch {
            return nil
        }
    }

    /// Submits `envelope` to `node` and says what the client was told: a receipt
    /// (acknowledged), a refusal that stores nothing (4xx), or nothing certain (timeout, 5xx).
    func submit(_ envelope: Envelope, to node: Int) async -> Outcome {
        guard let (status, body) = await request(node, .POST, APIPath.envelopes, body: JSONForm.encode(envelope)) else {
            return .unknown(reason: "no answer")
        }
        if status == 200, let outcome = try? JSONForm.decode(SubmitOutcome.self, from: body) {
            if let r = outcome.receipt { return .acknowledged(leaf: r.leaf, height: r.height, result: r.result) }
            if let refusal = outcome.refusal { return .failed(status: status, code: refusal.code) }
        }
        let code = (try? JSONForm.decode(ProblemDetails.self, from: body))?.code ?? "status_\(status)"
        return (400..<500).contains(status) ? .failed(status: status, code: code) : .unknown(reason: "\(status) \(code)")
    }

    /// `GET /v1/status` of `node`.
    func status(_ node: Int) async -> NodeStatus? {
        guard let (status, body) = await request(node, .GET, "/v1/status", timeout: .seconds(2)), status == 200 else { return nil }
        return try? JSONForm.decode(NodeStatus.self, from: body)
    }

    /// Reads `ticket` from `node`, linearizably (ReadIndex) or from the node's local state,
    /// and says what came back: its state, nil for a 404 `unknown_ticket`, a refusal, or
    /// nothing certain (no answer within `timeout`, a 5xx).
    func read(_ ticket: String, at node: Int, linearizable: Bool, timeout: TimeAmount = .seconds(2)) async -> Outcome {
        let path = "/v1/tickets/\(ticket)" + (linearizable ? "?consistency=linearizable" : "")
        guard let (status, body) = await request(node, .GET, path, timeout: timeout) else { return .unknown(reason: "no answer") }
        if status == 200, let answer = try? JSONForm.decode(TicketResponse.self, from: body) {
            let t = answer.ticket
            return .read(value: ReadValue(holder: t.holder.text, sequence: t.sequence, status: t.status.rawValue))
        }
        let code = (try? JSONForm.decode(ProblemDetails.self, from: body))?.code ?? "status_\(status)"
        if status == 404, code == Code.unknownTicket.name { return .read(value: nil) }
        return (400..<500).contains(status) ? .failed(status: status, code: code) : .unknown(reason: "\(status) \(code)")
    }

    /// The member a majority of the answering members name as leader, if any.
    func leader() async -> Int? {
        var named: [String: Int] = [:]
        for i in apiPorts.indices { if let s = await status(i), let l = s.leader { named[l, default: 0] += 1 } }
        guard let (name, votes) = named.max(by: { $0.value < $1.value }), votes > apiPorts.count / 2,
              let n = Int(name.dropFirst()) else { return nil }
        return n - 1
    }
}
