import Foundation
import Prometheus
import TalonTestSupport
import Testing

/// The routes an operator and a browser use, through the router in process: `/healthz`,
/// `/metrics` and the `/audit` page.
@Suite(.timeLimit(.minutes(3)))
struct RouterServiceTests {
    @Test func healthzAnswersTheRoleWhileTheLoopKeepsUpAnd503Stalled() async throws {
        try await InProcessAPI.run { api in
            let health = try await api.call("GET", "/healthz", expect: 200)
            #expect(health.json == .object(["status": .string("ok"), "role": .string("leader")]))
            // A stopped loop is not ready (docs/openapi.yaml: "or the loop has stopped").
            await api.solo.stop()
            let stalled = try await api.call("GET", "/healthz", expect: 503, code: "stalled")
            #expect(stalled.reply.headers["retry-after"] == "1" && stalled["detail"]?.string?.isEmpty == false)
            APIProbe.expectCovered(api.probe.seen, api.probe.doc, operations: ["GET /healthz"])
        }
    }

    /// `/metrics` serves the registry the API was given in the Prometheus text format 0.0.4.
    @Test func metricsServeTheRegistryInTheTextFormat() async throws {
        try await InProcessAPI.run { api in
            let requests = MetricNameDescriptor(metricName: "talon_test_requests", unitName: "total", helpText: "Requests seen by the test.")
            api.registry.makeCounter(descriptor: requests, labels: [("route", "head")]).increment(by: Int64(3))
            api.registry.makeGauge(descriptor: MetricNameDescriptor(metricName: "talon_test_height", unitName: "", helpText: "A height.")).set(Int64(7))
            let metrics = try await api.call("GET", "/metrics", expect: 200)
            #expect(metrics.reply.headers["content-type"] == "text/plain; version=0.0.4")
            let lines = metrics.reply.text.split(separator: "\n").map(String.init)
            /// The value of the sample line `series` (name and labels), read as a number.
            func sample(_ series: String) -> Double? {
                lines.first { $0.hasPrefix(series + " ") }.flatMap { Double($0.dropFirst(series.count + 1)) }
            }
            #expect(lines.contains("# TYPE talon_test_requests_total counter") && sample(#"talon_test_requests_total{route="head"}"#) == 3,
                    "\(metrics.reply.text)")
            #expect(lines.contains("# TYPE talon_test_height gauge") && sample("talon_test_height") == 7, "\(metrics.reply.text)")
        }
    }

    @Test func theAuditPageLoadsNothingFromElsewhere() async throws {
        try await InProcessAPI.run { api in
            let page = try await api.call("GET", "/audit", expect: 200)
            #expect(page.reply.headers["content-type"] == "text/html; charset=utf-8" && page.reply.headers["cache-control"] == "no-cache")
            #expect(page.reply.text.hasPrefix("<!doctype html>") && page.reply.text.contains("<title>Talon audit</title>"))
            #expect(!page.reply.text.contains("http://") && !page.reply.text.contains("https://") && !page.reply.text.contains("//cdn"))
            // Every path the page's script fetches is an operation the document lists.
            let fetched = Self.fetchedPaths(page.reply.text)
            #expect(fetched == ["/v1/audit/events", "/v1/audit/events/{id}/resales", "/v1/audit/events/{id}/holders",
                                "/v1/audit/events/{id}/entries", "/v1/audit/tickets/{id}"])
            for path in fetched { #expect(api.probe.doc.operation("GET", path) != nil, "\(path)") }
        }
    }

    /// The API paths the page's script passes to its `get(…)`, as templates: the text between the
    /// quote and the quote or `?`, with `${encodeURIComponent(id)}` read as `{id}`.
    static func fetchedPaths(_ html: String) -> Set<String> {
        var paths: Set<String> = []
        for part in html.components(separatedBy: "get(").dropFirst() {
            guard let quote = part.first, quote == "`" || quote == "\"" else { continue }
            let path = String(part.dropFirst().prefix { $0 != quote && $0 != "?" })
            guard path.hasPrefix("/") else { continue }   // `state.get("event")` reads the URL fragment
            paths.insert(path.replacingOccurrences(of: "${encodeURIComponent(id)}", with: "{id}"))
        }
        return paths
    }
}
