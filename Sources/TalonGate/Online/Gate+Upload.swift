public import TalonProtocol

extension Gate {
    /// What an upload sent, and what the ledger answered.
    public struct UploadSummary: Hashable, Sendable {
        /// Redeems signed and submitted; 0 when every admission was already answered.
        public var redeems: Int
        /// How many got each result (`ok`, `already_redeemed`, …), or `error CODE` when
        /// admission refused them (those stay pending).
        public var counts: [String: Int]
    }

    /// `talon gate upload`: signs a redeem with `key` for every admission the ledger has not
    /// answered yet, submits them to `node` in arrays of `batch`, and keeps each answer in the
    /// store. Each admission's envelope is the same on every run, so a repeated or
    /// interrupted upload changes nothing already recorded.
    /// - Throws: `invalid_argument` for a batch below 1; `wrong_gate_key`; the client's
    ///   errors; `invalid_json` or `invalid_answer` for an answer that is not one result per
    ///   redeem sent, in order; the store's errors.
    public func upload(key: SigningKey, to node: some NodeAPIClient, batch: Int = 500) async throws -> UploadSummary {
        guard batch > 0 else { throw TalonError(.invalidArgument, "a batch holds at least one redeem") }
        let pending = try pendingRedeems(key: key)
        var summary = UploadSummary(redeems: pending.count, counts: [:])
        for start in stride(from: 0, to: pending.count, by: batch) {
            let chunk = Array(pending[start..<min(pending.count, start + batch)])
            let answer = try await node.submit(chunk.map(\.1))
            guard answer.results.count == chunk.count else {
                throw TalonError(.invalidAnswer, "\(chunk.count) redeems sent, \(answer.results.count) results")
            }
            var done: [String: String] = [:]
            for ((admission, envelope), outcome) in zip(chunk, answer.results) {
                guard outcome.hash == envelope.hash else {
                    throw TalonError(.invalidAnswer, "the node answered for another envelope than the one sent")
                }
                guard let result = outcome.receipt?.result else {
                    summary.counts["error " + (outcome.refusal?.code ?? "?"), default: 0] += 1
                    continue
                }
                done[admission.ticketID] = result
                summary.counts[result, default: 0] += 1
            }
            try store.markUploaded(done)
        }
        return summary
    }
}
