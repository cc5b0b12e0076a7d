import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ```sh block of README.md, cut into steps and run by bash as written, except for the
/// rules below, each of which must apply at least once (so that a README change that makes a
/// rule moot fails here instead of passing unnoticed).
///
/// - A step is a line, with the lines its trailing `\` continues, or a `{ … }` group.
///   Comment lines between steps (`# open http://…`) run nothing. A step's comments are what
///   it promises; the tests check those promises against what the step printed.
/// - `substitutions`: the tour's text is rewritten before it runs, e.g. `.build/release/talon`
///   becomes the talon binary under test (the debug build `scripts/test` names in `TALON_BIN`).
/// - `skipped`: steps that cannot run in a test (the interactive pass, redrawn every 30 s
///   until Ctrl-C); each is named by its exact README text and a reason.
///
/// Every step runs in one bash, in order, in the sandbox directory, so the variables one sets
/// (`T`, `G`, `I`) hold for the next; each step's standard output, error and exit status are
/// kept apart. bash runs in its own session and is killed with everything it started if the
/// tour outlives `timeout`.
struct ReadmeTour {
    struct Step: Sendable, CustomStringConvertible {
        /// 1-based, in README order.
        let number: Int
        /// The step as the README writes it, comments removed, lines joined with "\n".
        let text: String
        /// Its comments, joined with " ".
        let comment: String
        /// What bash runs.
        var shell: String
        /// Why it does not run, if it does not.
        var skipped: String?

        var description: String { "README step \(number): \(text)" }
    }

    struct Outcome: Sendable, CustomStringConvertible {
        let step: Step
        let status: Int32
        let stdout: String
        let stderr: String
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        var description: String { "\(step)\n→ exit \(status)\n--- stdout\n\(stdout.suffix(3000))--- stderr\n\(stderr.suffix(3000))" }
    }

    static let root = ContractCLITests.root
    static var readme: String {
        get throws { try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8) }
    }

    var steps: [Step]

    /// The first ```sh block after the heading `heading` (a whole line of README.md), before
    /// the next `## ` heading.
    init(section heading: String) throws {
        let lines = try Self.readme.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex(of: heading), "README.md has no heading \(heading)")
        var block: [String] = []
        var inside = false
        for line in lines[(start + 1)...] {
            if !inside {
                if line.hasPrefix("## ") { break }
                if line == "```sh" { inside = true }
            } else if line == "```" {
                break
            } else {
                block.append(line)
            }
        }
        try #require(inside && !block.isEmpty, "no ```sh block under \(heading)")
        steps = try Self.split(block)
    }

    /// Cuts a block into steps.
    static func split(_ block: [String]) throws -> [Step] {
        var steps: [Step] = []
        var code: [String] = [], comments: [String] = []
        var group = false
        func finish() {
            let text = code.joined(separator: "\n")
            steps.append(Step(number: steps.count + 1, text: text, comment: comments.joined(separator: " "), shell: text))
            code = []; comments = []; group = false
        }
        for line in block {
            let (lineCode, lineComment) = splitComment(line)
            let trimmed = lineCode.trimmingCharacters(in: .whitespaces)
            if code.isEmpty {
                if trimmed.isEmpty { continue }  // a blank or comment-only line between steps
                group = trimmed == "{"
            }
            code.append(lineCode.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
            if let lineComment { comments.append(lineComment) }
            if group ? trimmed.hasPrefix("}") : !trimmed.hasSuffix("\\") { finish() }
        }
        try #require(code.isEmpty, "the block ends inside a step: \(code)")
        return steps
    }

    /// A line's code and its comment: a `#` that starts a word outside quotes starts the comment.
    static func splitComment(_ line: String) -> (code: String, comment: String?) {
        var quote: Character?
        var previous: Character = " "
        for i in line.indices {
            let c = line[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#", previous.isWhitespace {
                let comment = line[line.index(after: i)...].trimmingCharacters(in: .whitespaces)
                return (String(line[..<i]), comment)
            }
            previous = c
        }
        return (line, nil)
    }

    /// Rewrites every step's shell text, `old` → `new`; requires at least one occurrence.
    mutating func substitute(_ old: String, _ new: String) throws {
        var count = 0
        for i in steps.indices {
            count += steps[i].shell.components(separatedBy: old).count - 1
            steps[i].shell = steps[i].shell.replacingOccurrences(of: old, with: new)
        }
        try #require(count > 0, "no step of the tour contains \(old.debugDescription): update the test's rules with the README")
    }

    /// Skips the step whose README text is exactly `text`.
    mutating func skip(_ text: String, because reason: String) throws {
        let matches = steps.indices.filter { steps[$0].text == text }
        try #require(matches.count == 1, "\(matches.count) steps of the tour are \(text.debugDescription): update the test's rules with the README")
        steps[matches[0]].skipped = reason
    }

    /// The one step whose README text contains `fragment` or, when several do, the one
    /// whose text ends with it.
    func step(_ fragment: String) throws -> Step {
        var matches = steps.filter { $0.text.contains(fragment) }
        if matches.count > 1 { matches = matches.filter { $0.text.hasSuffix(fragment) } }
        try #require(matches.count == 1, "\(matches.count) steps of the tour contain \(fragment.debugDescription)")
        return matches[0]
    }

    /// Runs the steps that are not skipped, in `dir`, with `environment` added to the test's.
    func run(in dir: String, environment: [String: String], timeout: Double) async throws -> [Int: Outcome] {
        let work = dir + "/.readme-tour"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var script = "# The README's tour, as Tests/TalonCLITests/ReadmeTour.swift runs it.\necho $$ > '\(work)/pid'\nexec </dev/null\n"
        for step in steps where step.skipped == nil {
            let n = step.number
            script += "{ \(step.shell)\n} >'\(work)/\(n).out' 2>'\(work)/\(n).err'; echo $? >'\(work)/\(n).status'\n"
        }
        try Data(script.utf8).write(to: URL(fileURLWithPath: work + "/tour.sh"))

        let process = Process()
        // bash leads its own session and process group, so that a tour that overruns is
        // killed with every command it started (`setsid --wait` returns bash's status).
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["--wait", "/bin/bash", work + "/tour.sh"]
        process.currentDirectoryURL = URL(fileURLWithPath: dir)
        var env = ProcessInfo.processInfo.environment
        env["TALON_NODE_ARGS"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: work + "/bash.log", isDirectory: false).creatingFile())
        defer { try? log.close() }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        let finished = (try? await onOwnThread { exited.wait(timeout: .now() + timeout) == .success }) ?? false
        if !finished {
            if let text = try? String(contentsOfFile: work + "/pid", encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                kill(-pid, SIGKILL)
            }
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
            Issue.record("the README tour ran longer than \(Int(timeout)) s and was killed")
        }

        var outcomes: [Int: Outcome] = [:]
        for step in steps where step.skipped == nil {
            let base = "\(work)/\(step.number)"
            guard let status = (try? String(contentsOfFile: base + ".status", encoding: .utf8)).flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
                continue  // never finished
            }
            outcomes[step.number] = Outcome(step: step, status: status,
                                            stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                                            stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
        }
        return outcomes
    }
}

extension URL {
    /// Creates an empty file here if there is none; returns self.
    fileprivate func creatingFile() -> URL {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        return self
    }
}

/// What a tour's run gave, and the checks of its promises.
struct TourRun {
    let tour: ReadmeTour
    let outcomes: [Int: ReadmeTour.Outcome]

    /// The outcome of the one step containing `fragment`, whose comment must contain each of
    /// `promises` (the README's words, which the caller then checks in the output).
    func outcome(_ fragment: String, promising promises: String...) throws -> ReadmeTour.Outcome {
        let step = try tour.step(fragment)
        for promise in promises {
            #expect(step.comment.contains(promise), "\(step) no longer promises \(promise.debugDescription) (its comment: \(step.comment))")
        }
        return try #require(outcomes[step.number], "\(step) did not run to the end")
    }

    /// Every step that ran exited 0, except those in `nonZero` (fragment → expected status).
    func expectEveryOtherStepSucceeded(except nonZero: [String: Int32]) throws {
        var expected: [Int: Int32] = [:]
        for (fragment, status) in nonZero { expected[try tour.step(fragment).number] = status }
        for step in tour.steps where step.skipped == nil {
            guard let outcome = outcomes[step.number] else {
                Issue.record("\(step) did not run to the end")
                continue
            }
            #expect(outcome.status == expected[step.number] ?? 0, "\(outcome)")
        }
    }
}

/// Processes whose command line mentions `path` (Linux: from /proc), to find any a tour
/// left running.
func processesMentioning(_ path: String) -> [pid_t] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
    return entries.compactMap { name -> pid_t? in
        guard let pid = pid_t(name), pid != getpid(),
              let cmdline = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
        return String(decoding: cmdline, as: UTF8.self).contains(path) ? pid : nil
    }
}

/// Copies the repository's genesis/ directory into `dir`.
func copyGenesisDirectory(into dir: String) throws {
    try FileManager.default.copyItem(atPath: ReadmeTour.root.appendingPathComponent("genesis").path, toPath: dir + "/genesis")
}
