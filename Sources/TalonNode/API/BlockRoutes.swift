import Hummingbird
import NIOCore
import TalonProtocol
import TalonLedger

/// What a verifier walking the chain needs from one request: a block with its records, and
/// the canonical bytes of blocks and envelopes (`application/octet-stream`).
extension NodeAPI {
    func addBlockRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/blocks/{height}/records") { _, context in
            let height = try blockHeight(context)
            guard let (block, records) = try node.ledger.blockRecords(height: height) else {
                throw TalonError(.notFound, "no block at height \(height)")
            }
            return try json(BlockRecords(block: block, records: records.map(BlockRecord.init)))
        }
    }

    /// The `{height}` path parameter: decimal digits only (no sign, no spaces).
    /// - Throws: 400 `invalid_parameter` for anything else; 404 `not_found` past 2^64 − 1, a
    ///   height no ledger reaches.
    func blockHeight(_ context: BasicRequestContext) throws -> UInt64 {
        let text = try context.parameters.require("height")
        switch Self.decimal(text) {
        case .value(let height): return height
        case .tooLarge: throw TalonError(.notFound, "no block at height \(text.prefix(40))")
        case .malformed: throw TalonError(.invalidParameter, "height must be a non-negative integer, got \(text.prefix(40))")
        }
    }

    /// Whether the request asks for canonical bytes rather than JSON.
    static func wantsBytes(_ request: Request) -> Bool {
        request.headers[.accept]?.contains("application/octet-stream") == true
    }

    /// `bytes` as `application/octet-stream`.
    func octets(_ bytes: [UInt8]) -> Response {
        Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// A block with its records.
    struct BlockRecords: Encodable {
        let block: Block
        let records: [BlockRecord]
    }

    /// One record of a block: where it sits, its result, its envelope in both forms (JSON,
    /// and the canonical bytes in hex that it is hashed and signed over), and the contract's
    /// decision when one was taken.
    struct BlockRecord: Encodable {
        let leaf: UInt64, position: UInt32, result: String
        let envelope: Envelope
        let bytes: String
        let decision: RecordedDecision?

        init(_ r: LedgerRecord) {
            leaf = r.receipt.leaf; position = r.receipt.position; result = r.receipt.result
            envelope = r.envelope; bytes = Hex.encode(r.envelope.bytes); decision = r.decision
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(leaf, forKey: .leaf); try c.encode(position, forKey: .position); try c.encode(result, forKey: .result)
            try c.encode(envelope.hash, forKey: .hash)
            try c.encode(envelope, forKey: .envelope); try c.encode(bytes, forKey: .bytes)
            try c.encodeIfPresent(decision, forKey: .decision)
        }

        enum CodingKeys: String, CodingKey { case leaf, position, result, hash, envelope, bytes, decision }
    }
}
