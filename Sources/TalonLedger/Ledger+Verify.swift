import Dispatch
import Foundation
public import TalonProtocol
import TalonStore

/// What `Ledger.verify` found.
public struct VerifyReport: Sendable, Codable {
    /// The first thing found wrong, with the block it is in.
    public struct Failure: Sendable, Codable, Error {
        /// The block whose data does not check out (0: the genesis or the store's metadata).
        public var height: UInt64
        /// The Merkle leaf of the envelope at fault, when one is.
        public var leaf: UInt64?
        public var message: String
    }

    /// Blocks checked.
    public var blocks: UInt64 = 0
    /// Envelopes checked (signature, hash, Merkle leaf).
    public var envelopes: UInt64 = 0
    /// Whether every block was applied again (contracts re-run) and its results and
    /// decisions compared with the stored ones.
    public var replayed = false
    /// The head the checked chain ends at.
    public var head: Head?
    /// Nil when everything checked out.
    public var failure: Failure?
    /// True when nothing was found wrong.
    public var ok: Bool { failure == nil }
}

extension Ledger {
    /// Re-checks the whole ledger from the stored envelopes alone: every block decodes and
    /// chains to the previous one from the genesis hash, every envelope decodes, hashes to its
    /// block entry and carries a valid signature, every stored contract decision hashes to its
    /// entry, every stored Merkle node and every block's tree root equals what recomputing the
    /// tree gives. With `replay` (the default), every block is also applied again, in a
    /// scratch store, from the genesis: each envelope's result and contract decision
    /// (contracts re-run) must equal the stored ones. Stops at the first mismatch.
    /// Signatures are checked on all cores.
    public func verify(replay: Bool = true, progress: ((UInt64) -> Void)? = nil) throws(TalonError) -> VerifyReport {
        var report = VerifyReport()
        var scratch: ScratchLedger?
        do {
            if replay { scratch = try ScratchLedger(genesis: genesis) }
            try Self.store {
                try env.read { txn in try self.verify(txn, &report, scratch?.ledger, progress) }
            }
        } catch {
            // A store-level error while reading is itself a finding about the next block.
            if report.failure == nil {
                report.failure = .init(height: report.blocks + 1, leaf: nil, message: error.message)
            }
        }
        report.replayed = replay && report.ok
        return report
    }

    private func verify(_ txn: Transaction, _ report: inout VerifyReport, _ scratch: Ledger?, _ progress: ((UInt64) -> Void)?) throws {
        let t = tables
        func fail(_ height: UInt64, leaf: UInt64? = nil, _ message: String) -> VerifyReport.Failure {
            .init(height: height, leaf: leaf, message: message)
        }
        guard let storedHash = try txn.get(t.meta, Schema.MetaKey.genesisHash), storedHash == genesis.hash.bytes else {
            report.failure = fail(0, "the stored genesis hash does not match the stored genesis file")
            return
        }
        var frontier = MerkleFrontier()
        var prev = genesis.hash
        var prevTimestamp = Int64.min
        var expectedHeight: UInt64 = 1
        let merkle = StoredMerkleNodes(txn: txn, tables: t)

        do {
            try txn.scan(t.blocks.table) { key, value in
                let height = Schema.u64(key) ?? 0
                guard height == expectedHeight else { throw fail(expectedHeight, "block \(expectedHeight) is missing (next stored is \(height))") }
                let block: Block
                do { block = try Block(bytes: value) } catch { throw fail(height, "block does not decode: \((error as? TalonError)?.message ?? "\(error)")") }
                guard block.height == height else { throw fail(height, "block stored under height \(height) says it is \(block.height)") }
                guard block.prev == prev else { throw fail(height, "prev is \(block.prev.hex), the previous block hashes to \(prev.hex)") }
                guard block.timestamp >= prevTimestamp else { throw fail(height, "timestamp goes back in time") }
                guard block.firstLeaf == frontier.size else {
                    throw fail(height, "block starts at leaf \(block.firstLeaf), the tree holds \(frontier.size)")
                }

                // Decode and hash every envelope, then check signatures on all cores.
                var envelopes: [Envelope] = []
                var decisions: [Digest?] = []
                envelopes.reserveCapacity(block.entries.count)
                for (i, entry) in block.entries.enumerated() {
                    let leaf = block.firstLeaf + UInt64(i)
                    guard let bytes = try txn.get(t.envelopes.table, Schema.u64(leaf)) else { throw fail(height, leaf: leaf, "envelope is missing") }
                    let envelope: Envelope
                    do { envelope = try Envelope(bytes: bytes) } catch {
                        throw fail(height, leaf: leaf, "envelope does not decode: \((error as? TalonError)?.message ?? "\(error)")")
                    }
                    guard envelope.hash == entry.envelopeHash else {
                        throw fail(height, leaf: leaf, "envelope hashes to \(envelope.hash.hex), the block says \(entry.envelopeHash.hex)")
                    }
                    guard let rb = try txn.get(t.receipts, Schema.u64(leaf)),
                          let receipt = try? Receipt(leaf: leaf, bytes: rb),
                          receipt.height == height, receipt.position == UInt32(i), receipt.result == entry.result
                    else { throw fail(height, leaf: leaf, "receipt does not match the block entry") }
                    let decision: RecordedDecision?
                    do { decision = try self.decision(txn, leaf: leaf) } catch { throw fail(height, leaf: leaf, "the stored decision does not decode") }
                    if block.version >= 2, decision?.hash != entry.decision {
                        throw fail(height, leaf: leaf, "the stored contract decision does not hash to the block entry's")
                    }
                    decisions.append(decision?.hash)
                    envelopes.append(envelope)
                }
                if let bad = Self.firstInvalidSignature(envelopes) {
                    throw fail(height, leaf: block.firstLeaf + UInt64(bad), "signature does not verify")
                }
                if let scratch {
                    let replayed: AppliedBlock
                    do { replayed = try scratch.apply(envelopes, timestamp: block.timestamp) } catch {
                        throw fail(height, "applying the block again failed: \((error as? TalonError)?.message ?? "\(error)")")
                    }
                    for (i, (fresh, stored)) in zip(replayed.block.entries, block.entries).enumerated() {
                        let leaf = block.firstLeaf + UInt64(i)
                        guard fresh.result == stored.result else {
                            throw fail(height, leaf: leaf, "the block records \(stored.result), applying it again gives \(fresh.result)")
                        }
                        guard fresh.decision == decisions[i] else {
                            throw fail(height, leaf: leaf, "the stored contract decision differs from the one re-running the contract takes")
                        }
                    }
                }
                for (i, envelope) in envelopes.enumerated() {
                    for node in frontier.append(leafHash: MerkleHash.leaf(envelope.bytes)) where node.level > 0 {
                        let stored = try? merkle.node(level: node.level, index: node.index)
                        guard stored == node.hash else {
                            throw fail(height, leaf: block.firstLeaf + UInt64(i), "stored Merkle node (\(node.level), \(node.index)) differs from the recomputed one")
                        }
                    }
                }
                guard frontier.size == block.treeSize, frontier.root() == block.treeRoot else {
                    throw fail(height, "tree root after the block is \(frontier.root().hex), the block says \(block.treeRoot.hex)")
                }
                prev = block.hash
                prevTimestamp = block.timestamp
                report.blocks = height
                report.envelopes = frontier.size
                report.head = Head(height: height, blockHash: prev, treeSize: block.treeSize, treeRoot: block.treeRoot, timestamp: block.timestamp)
                expectedHeight += 1
                progress?(height)
                return true
            }
            if let (key, _) = try txn.last(t.envelopes.table), let last = Schema.u64(key), last >= frontier.size {
                throw fail(expectedHeight, leaf: last, "envelopes are stored beyond the last block")
            }
        } catch let failure as VerifyReport.Failure {
            report.failure = failure
        }
    }

    /// The position of the first envelope whose signature does not verify, checking on all cores.
    static func firstInvalidSignature(_ envelopes: [Envelope]) -> Int? {
        let chunk = 256
        let chunks = (envelopes.count + chunk - 1) / chunk
        let firstBad = FirstIndex()
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            for i in c * chunk..<min(envelopes.count, (c + 1) * chunk) where !envelopes[i].hasValidSignature {
                firstBad.offer(i)
                return
            }
        }
        return firstBad.value
    }
}

/// The smallest index offered from any thread.
private final class FirstIndex: @unchecked Sendable {
    // @unchecked: `index` is only touched under `lock`.
    private let lock = DispatchQueue(label: "talon.verify.first")
    private var index: Int?
    func offer(_ i: Int) { lock.sync { index = min(index ?? i, i) } }
    var value: Int? { lock.sync { index } }
}
