import Foundation
import HTTPTypes
import TalonLedger
import TalonProtocol

/// A `POST /v1/envelopes` body, decoded: one envelope or an array in JSON, or frames of
/// canonical envelopes (`EnvelopeFrames.mediaType`). Both ways the route is served
/// (`SubmissionHandler` on the event loop, Hummingbird's router otherwise) decode and answer
/// through this type, so they give the same bytes.
struct Submission: Sendable {
    /// The envelopes, in the body's order.
    let envelopes: [Envelope]
    /// True for an array or frames (answered with `SubmitResults`, one outcome per envelope);
    /// false for a single JSON envelope (answered with its `SubmitOutcome`, or its refusal as
    /// a problem).
    let isList: Bool

    /// How a submission's body is written.
    enum Media: Equatable {
        /// One envelope or an array, in JSON.
        case json
        /// `EnvelopeFrames`.
        case frames
    }

    /// Decodes a body written as `media` (`media(_:)` reads it from the `Content-Type`).
    /// - Throws: the decoding's code (`invalid_json`, `truncated`, `invalid_batch`, …).
    init(media: Media, body: some Collection<UInt8>) throws(TalonError) {
        switch media {
        case .frames:
            envelopes = try EnvelopeFrames.decode(Array(body))
            isList = true
        case .json:
            guard let first = body.first(where: { !Self.whitespace.contains($0) }) else {
                throw TalonError(.invalidJSON, "empty body: send one envelope or an array of envelopes")
            }
            isList = first == UInt8(ascii: "[")
            envelopes = isList ? try JSONForm.decode([Envelope].self, from: body) : [try JSONForm.decode(Envelope.self, from: body)]
            guard !envelopes.isEmpty else { throw TalonError(.invalidBatch, "the array holds no envelope") }
        }
    }

    /// The answer's JSON body (newline-terminated) for the node's outcomes, one per envelope.
    /// - Throws: the refusal of a single JSON envelope, answered as a problem.
    func answer(_ outcomes: [EnvelopeOutcome]) throws(TalonError) -> [UInt8] {
        let results = zip(envelopes, outcomes).map { envelope, outcome -> SubmitOutcome in
            switch outcome {
            case .receipt(let receipt): SubmitOutcome(hash: envelope.hash, receipt: receipt)
            case .rejected(let error): SubmitOutcome(hash: envelope.hash, refusal: SubmitRefusal(error))
            }
        }
        guard isList else {
            if case .rejected(let error)? = outcomes.first { throw error }
            return JSONForm.encode(results[0]) + [0x0A]
        }
        var body = SubmitResults(results: results).jsonBytes
        body.append(0x0A)
        return body
    }

    /// The body's media type from its `Content-Type` (parameters such as `charset` ignored,
    /// names compared without case): none or `application/json` is JSON, as before the framed
    /// form existed.
    /// - Throws: `TalonError(.unsupportedMediaType)` (415) for any other type.
    static func media(_ contentType: String?) throws(TalonError) -> Media {
        guard let contentType else { return .json }
        // The two exact spellings clients send, without the general parse.
        if contentType == EnvelopeFrames.mediaType { return .frames }
        if contentType == "application/json" { return .json }
        let type = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json": return .json
        case EnvelopeFrames.mediaType: return .frames
        default:
            throw TalonError(.unsupportedMediaType,
                             "Content-Type '\(contentType.prefix(80))': send application/json or \(EnvelopeFrames.mediaType)")
        }
    }

    private static let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
}
