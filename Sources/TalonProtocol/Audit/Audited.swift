/// A report read on one snapshot of the ledger, with that snapshot's head: `Head` as the
/// ledger answers, `SignedHead` as a node's API does (`AuditAnswer`). Every figure and proof
/// of the report is against that head. The report's fields are read through it
/// (`answer.steps`), and on the wire they stand beside `head`.
@dynamicMemberLookup
public struct Audited<Report: Sendable, At: Sendable>: Sendable {
    /// The head of the snapshot the report was read on.
    public var head: At
    /// What was read.
    public var report: Report

    /// `report`, read at `head`.
    public init(head: At, report: Report) { self.head = head; self.report = report }

    /// A field of the report.
    public subscript<T>(dynamicMember field: KeyPath<Report, T>) -> T { report[keyPath: field] }

    enum HeadKey: String, CodingKey { case head }
}

/// An audit answer as a node's API sends it: the report and the signed head it was read at.
public typealias AuditAnswer<Report: Sendable> = Audited<Report, SignedHead>

extension Audited where At == Head {
    /// The same report with its head signed by `sign`.
    public func signed(_ sign: (Head) -> SignedHead) -> AuditAnswer<Report> { AuditAnswer(head: sign(head), report: report) }
}

extension Audited: Equatable where Report: Equatable, At: Equatable {}
extension Audited: Hashable where Report: Hashable, At: Hashable {}

extension Audited: Encodable where Report: Encodable, At: Encodable {
    /// The report's fields, and `head`.
    public func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var c = encoder.container(keyedBy: HeadKey.self)
        try c.encode(head, forKey: .head)
    }
}

extension Audited: Decodable where Report: Decodable, At: Decodable {
    /// The report from the answer's fields, and `head`.
    public init(from decoder: any Decoder) throws {
        report = try Report(from: decoder)
        head = try decoder.container(keyedBy: HeadKey.self).decode(At.self, forKey: .head)
    }
}
