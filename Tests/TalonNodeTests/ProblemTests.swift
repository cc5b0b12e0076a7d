import Hummingbird
import Testing
import TalonContracts
import TalonProtocol
import TalonLedger
@testable import TalonNode
import TalonRaft
import TalonStore

/// An API problem carries the code of whatever error reached it, and its status is the
/// code's kind's: no error type is special.
struct ProblemTests {
    @Test func everyErrorKeepsItsCodeAndTakesItsKindsStatus() {
        let errors: [TalonError] = [
            TalonError(.unknownTicket), TalonError(.notAuthorized), TalonError(.invalidJSON), TalonError(.storeCorrupt),
            TalonError(.noLeader), TalonError(.batchTooLarge), TalonError(.leaderTransferring), TalonError(.storeError),
            TalonError(.contractBudget), TalonError(.proofOutOfRange),
        ]
        for error in errors {
            let problem = Problem(error)
            #expect(problem.code == error.code && problem.detail == error.message, "\(error)")
            #expect(Int(problem.status.code) == error.code.kind.httpStatus, "\(error)")
        }
        #expect(Problem(TalonError(.unknownTicket)).status.code == 404)
        #expect(Problem(TalonError(.leaderTransferring)).status.code == 503, "a leader handing over answers retry, not 500")
        #expect(Problem(TalonError(.merkleNodeMissing)).status.code == 500, "a missing stored node is the node's fault, not the client's")
    }

    @Test func anythingElseIsInternal() {
        struct Odd: Error {}
        #expect(Problem(Odd()).code == .internal && Problem(Odd()).status.code == 500)
    }

    @Test func hummingbirdsOwnErrorsGetRegisteredCodes() {
        #expect(Problem(HTTPError(.notFound)).code == .notFound)
        #expect(Problem(HTTPError(.badRequest, message: "Parameter 'id' cannot be converted")).code == .invalidParameter)
        #expect(Problem(HTTPError(.contentTooLarge)).code == .bodyTooLarge)
        #expect(Problem(HTTPError(.badGateway)).code == .internal)
    }

    @Test func aRouteNamingACodeAnswersItsKindsStatus() {
        let p = Problem(.invalidParameter, "after must be a leaf number")
        #expect(p.code == .invalidParameter && p.status == .badRequest && p.detail == "after must be a leaf number")
        #expect(Problem(.notFound, "no block at height 9").status == .notFound)
    }

    /// The problem's `title` is the reason phrase of its status (docs/openapi.yaml, `Problem`),
    /// for every kind a code can have.
    @Test func everyStatusHasItsReasonPhrase() {
        let phrases = [200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
                       500: "Internal Server Error", 503: "Service Unavailable", 507: "Insufficient Storage"]
        for code in Code.allCases {
            let status = Problem(code, "detail").status
            #expect(Int(status.code) == code.kind.httpStatus && status.reasonPhrase == phrases[code.kind.httpStatus], "\(code): \(status)")
        }
    }

    @Test func anUnavailableProblemAsksForARetry() {
        #expect(Problem(TalonError(.noLeader)).response.headers[.retryAfter] == "1")
        #expect(Problem(TalonError(.storeFull)).response.headers[.retryAfter] == "1")
        #expect(Problem(TalonError(.unknownTicket)).response.headers[.retryAfter] == nil)
        #expect(Problem(TalonError(.noLeader)).response.headers[.contentType] == "application/problem+json")
    }
}
