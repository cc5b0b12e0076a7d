import TalonStore
import Dispatch
import Foundation
import TalonLedger
import TalonProtocol

/// `bench ledger` past `LedgerBench.streamAbove` envelopes: how apply and queries cost as
/// the store grows, streamed so that memory stays flat.
extension LedgerBench {
    static let streamAbove = 1_000_000
    static let growthChunk = 100_000

    /// Per chunk of 100,000: issues the chunk's tickets and signs one transfer per ticket on
    /// all cores (untimed), applies the transfers in blocks of `batch` with synced commits
    /// (timed), then times provenance queries and inclusion proofs on random tickets and
    /// leaves of the whole store so far. Prints one line per chunk, then the last chunk's
    /// figures against the first's.
    func growth(_ ledger: Ledger, path: String, issuer: SigningKey, keys: [SigningKey]) throws {
        let chain = ledger.chainID
        var nonce: UInt64 = 1
        var rng = SystemRandomNumberGenerator()
        var first: GrowthFigures?, last: GrowthFigures?
        print("streaming in chunks of \(Self.growthChunk): per chunk, apply rate and the p50/p99 of 200 provenance queries and 200 inclusion proofs")
        for start in stride(from: 0, to: envelopes, by: Self.growthChunk) {
            let end = min(envelopes, start + Self.growthChunk)
            try issueTickets(start..<end, ledger, issuer: issuer, keys: keys, nonce: &nonce)
            let transfers = self.transfers(start..<end, chain: chain, keys: keys)
            let applyStart = DispatchTime.now()
            for from in stride(from: 0, to: transfers.count, by: batch) {
                try Self.expectAllOK(try ledger.apply(Array(transfers[from..<min(transfers.count, from + batch)]), timestamp: 3))
            }
            let rate = Double(transfers.count) / Self.seconds(since: applyStart)
            let head = try ledger.head()
            let provenance = try Self.millis(200) { _ in
                guard try ledger.provenance(ticket: "BENCH-\(Int.random(in: 0..<end, using: &rng))") != nil else {
                    throw TalonError(.benchFailed, "a ticket issued by the bench has no provenance")
                }
            }
            let proofs = try Self.millis(200) { _ in
                _ = try ledger.inclusionProof(leaf: UInt64.random(in: 0..<head.treeSize, using: &rng), treeSize: head.treeSize)
            }
            let figures = GrowthFigures(rate: rate, provenance: Self.percentile(provenance, 0.5), proof: Self.percentile(proofs, 0.5))
            if first == nil { first = figures }
            last = figures
            let size = Double(Self.storeBytes(path)), live = Double(try ledger.environment.liveBytes())
            print(String(format: "%11d transfers: apply %6.0f/s; provenance p50 %.3f ms p99 %.3f ms; proof p50 %.3f ms p99 %.3f ms; store %.0f MiB (%.0f bytes/transfer, %.0f live, issues included)",
                         end, rate, figures.provenance, Self.percentile(provenance, 0.99), figures.proof, Self.percentile(proofs, 0.99),
                         size / 1_048_576, size / Double(end), live / Double(end)))
            fflush(nil)  // each line as its chunk ends, even into a pipe or a file
        }
        if let first, let last {
            print(String(format: "at the end against the first chunk: apply rate %.0f%%, provenance p50 %.2f×, proof p50 %.2f×",
                         100 * last.rate / first.rate, last.provenance / first.provenance, last.proof / first.proof))
        }
        // What a node restarting on this store waits for: opening it reads the unindexed
        // leaves' keys and fills the hash index's filters from `envelope_hashes`.
        let openStart = DispatchTime.now()
        _ = try Ledger(existingAt: path)
        print(String(format: "opening the store again: %.2f s", Self.seconds(since: openStart)))
    }

    private struct GrowthFigures {
        var rate: Double, provenance: Double, proof: Double
    }
}
