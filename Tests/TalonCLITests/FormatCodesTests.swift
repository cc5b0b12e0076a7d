import Foundation
import TalonProtocol
import TalonTestSupport
import Testing

/// docs/format.md's apply rules name every code a block can record (`ok` aside), and no
/// other: the same list as `Code.results` and docs/openapi.yaml's `ReasonCode`.
struct FormatCodesTests {
    @Test func theApplyRulesNameExactlyTheResultCodes() throws {
        let path = URL(fileURLWithPath: OpenAPIDocument.path).deletingLastPathComponent().appendingPathComponent("format.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: "*Apply* (on every node"))
        let end = try #require(text.range(of: "A rejected envelope changes", range: start.upperBound..<text.endIndex))
        let named = text[start.upperBound..<end.lowerBound].split(separator: "`", omittingEmptySubsequences: false)
            .enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        OpenAPICodeTests.expectSame(["ok"] + named, Code.results, "docs/format.md's apply rules")
    }
}
