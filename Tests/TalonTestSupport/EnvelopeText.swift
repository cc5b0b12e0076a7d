import Foundation
public import Testing

/// `line` (an envelope in the JSON form) with the first hex digit of its signature flipped:
/// the same envelope, no longer signed by its signer.
public func flipFirstSignatureDigit(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    let at = try #require(line.range(of: "\"signature\":\""), sourceLocation: sourceLocation).upperBound
    return line.replacingCharacters(in: at..<line.index(after: at), with: line[at] == "0" ? "1" : "0")
}

/// `text` with its one occurrence of `old` replaced.
public func replacing(_ old: String, with new: String, in text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
    try #require(text.components(separatedBy: old).count == 2, "\(old) should occur once in \(text)", sourceLocation: sourceLocation)
    return text.replacingOccurrences(of: old, with: new)
}
