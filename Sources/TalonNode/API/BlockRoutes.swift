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
}
