import TalonProtocol
import TalonTestSupport
import Testing

/// docs/openapi.yaml's code lists are the registry's, in both directions: `ReasonCode` is
/// exactly `Code.results` (what a block can record; apply records nothing else),
/// `ProblemCode` exactly `Code.problems`, `RefusalCode` exactly `Code.refusals`, and
/// `Problem`'s `x-problem-codes` gives each problem code the HTTP status of its kind. The API
/// tests then hold every answer to these lists.
struct OpenAPICodeTests {
    @Test func reasonCodeListsExactlyTheCodesABlockCanRecord() throws {
        let doc = try OpenAPIDocument.load()
        let listed = try #require(doc.enumeration("ReasonCode"))
        Self.expectSame(listed, Code.results, "ReasonCode")
    }

    @Test func problemCodeListsExactlyTheCodesAProblemCanCarry() throws {
        let doc = try OpenAPIDocument.load()
        let listed = try #require(doc.enumeration("ProblemCode"))
        Self.expectSame(listed, Code.problems, "ProblemCode")
        let code = try #require(doc.root["components"]?["schemas"]?["Problem"]?["properties"]?["code"])
        #expect(code["$ref"]?.scalar == "#/components/schemas/ProblemCode", "a problem's code is a ProblemCode")
    }

    @Test func refusalCodeListsExactlyTheCodesAdmissionRefusesAnEnvelopeWith() throws {
        let doc = try OpenAPIDocument.load()
        let listed = try #require(doc.enumeration("RefusalCode"))
        Self.expectSame(listed, Code.refusals, "RefusalCode")
    }

    @Test func everyProblemCodeHasItsKindsStatus() throws {
        let doc = try OpenAPIDocument.load()
        let mapped = try #require(doc.root["components"]?["schemas"]?["Problem"]?["x-problem-codes"]?.entries).map(\.key)
        Self.expectSame(mapped, Code.problems, "x-problem-codes")
        for code in Code.problems {
            #expect(doc.problemStatus(code.name) == code.kind.httpStatus, "\(code) is a \(code.kind) code")
        }
    }

    /// The codes each operation lists under a status are problem codes (their statuses are
    /// checked against `x-problem-codes` by OpenAPITests).
    @Test func operationsListOnlyProblemCodes() throws {
        let doc = try OpenAPIDocument.load()
        let problems = Set(Code.problems.map(\.name))
        for name in doc.operations.sorted() {
            let (method, path) = OpenAPIDocument.split(name)
            let op = try #require(doc.operation(method, path))
            for status in doc.statuses(of: op) {
                let response = try #require(try doc.response(op, status: status))
                for code in doc.problemCodes(of: response) {
                    #expect(problems.contains(code), "\(name) \(status) lists \(code), not a problem code")
                }
            }
        }
    }

    /// `listed` holds each of `codes` once and nothing else.
    static func expectSame(_ listed: [String], _ codes: [Code], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let registry = Set(codes.map(\.name))
        #expect(listed.count == Set(listed).count, "\(what) repeats a code", sourceLocation: sourceLocation)
        #expect(Set(listed).subtracting(registry).sorted() == [], "\(what) lists codes the registry does not give it", sourceLocation: sourceLocation)
        #expect(registry.subtracting(listed).sorted() == [], "\(what) lacks codes of the registry", sourceLocation: sourceLocation)
    }
}
