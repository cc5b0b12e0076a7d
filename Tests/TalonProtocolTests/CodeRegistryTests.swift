import Testing
import TalonProtocol

/// The registry's own rules: names that fit every place a code is written, one kind per
/// code, and uses that agree with the kinds.
struct CodeRegistryTests {
    @Test func everyNameIsLowerSnakeCaseAndFindsItsCode() {
        for code in Code.allCases {
            let bytes = Array(code.name.utf8)
            #expect((1...64).contains(bytes.count), "\(code)")
            #expect(bytes.first.map { (0x61...0x7A).contains($0) } == true, "\(code) starts with a lower-case letter")
            #expect(bytes.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }, "\(code)")
            #expect(Code(rawValue: code.name) == code)
            #expect("\(code)" == code.name, "interpolation gives the name, not the case")
        }
    }

    /// A gate stores what the ledger recorded for its admissions only when it is lower-case
    /// letters and `_`, and docs/openapi.yaml's `ReasonCode` says the same.
    @Test func resultsAreLettersAndUnderscores() {
        for code in Code.results {
            #expect(code.name.utf8.allSatisfy { (0x61...0x7A).contains($0) || $0 == 0x5F }, "\(code)")
        }
    }

    @Test func successIsOnlyOkAndAdmitted() {
        #expect(Code.allCases.filter { $0.kind == .success } == [.ok, .admitted])
        #expect(Code.results.first == .ok && Code.verdicts.first == .admitted)
        #expect(!Code.problems.contains { $0.kind == .success }, "a problem is a failure")
        #expect(Code.ok.uses == .result && Code.admitted.uses == .verdict)
    }

    @Test func kindsGiveHTTPStatuses() {
        let statuses = Dictionary(uniqueKeysWithValues: Code.Kind.allCases.map { ($0, $0.httpStatus) })
        #expect(statuses == [.success: 200, .invalid: 400, .forbidden: 403, .notFound: 404, .conflict: 409,
                             .tooLarge: 413, .unsupportedMediaType: 415, .fault: 500, .unavailable: 503, .insufficientStorage: 507])
        #expect(Code.unknownTicket.kind.httpStatus == 404 && Code.ticketVoid.kind.httpStatus == 409)
        #expect(Code.noLeader.kind.httpStatus == 503 && Code.storeCorrupt.kind.httpStatus == 500)
    }

    /// The gate answers with the ledger's own codes for what the ledger decided.
    @Test func theGateSharesTheLedgersCodes() {
        for code in [Code.unknownTicket, .superseded, .ticketVoid, .ticketRefunded, .alreadyRedeemed, .eventCancelled, .wrongZone] {
            #expect(code.uses.isSuperset(of: [.result, .verdict]), "\(code)")
        }
    }

    /// A submission of one envelope answers its refusal as a problem, so every refusal
    /// code is a problem code too.
    @Test func everyRefusalIsAlsoAProblem() {
        #expect(!Code.refusals.isEmpty)
        #expect(Code.refusals.allSatisfy { $0.uses.contains(.problem) })
    }

    @Test func anErrorDescribesItselfByNameAndDefaultsToItsCodesSummary() {
        #expect(TalonError(.notHolder, "no").description == "not_holder: no")
        #expect(TalonError(.storeError).message == Code.storeError.summary)
        #expect(TalonError(.notHolder, "no") == TalonError(.notHolder), "equal by code")
    }

    @Test func everyCodeHasWordsForPeople() {
        for code in Code.allCases {
            let words = code.summary
            #expect(!words.isEmpty && words.first?.isUppercase == false || words.hasPrefix("LMDB"), "\(code)")
            #expect(!words.hasSuffix("."), "\(code)")
        }
    }
}
