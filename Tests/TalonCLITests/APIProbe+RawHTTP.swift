import TalonTestSupport

extension APIProbe {
    /// A probe of the `talon` process whose API listens at `address`, one connection per call.
    convenience init(doc: OpenAPIDocument, address: String) {
        self.init(doc: doc) { method, target, headers, body in
            let reply = try await RawHTTP.request(method, address, target, headers: headers,
                                                  bytes: body, timeout: 30)
            return APIProbe.Reply(status: reply.status, headers: reply.headers, body: Array(reply.body.utf8))
        }
    }
}
