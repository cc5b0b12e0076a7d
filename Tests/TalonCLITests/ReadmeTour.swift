import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A ```sh block of README.md, cut into steps and run by bash as written, except for the
/// substitutions a test names (`substitute`), each of which must apply at least once (so that
/// a README change that makes one moot fails here instead of passing unnoticed): e.g.
/// `.build/release/talon` becomes the talon binary under test.
///
/// A step is a line, with the lines its trailing `\` continues, or a `{ … }` group. Comment
/// lines between steps (`# open http://…` in a browser) run nothing. A step's comments are
/// what it promises; the tests check those promises against what the step printed.
///
/// Every step runs in one bash, in order, in the sandbox directory, so the variables one sets
/// (`T`, `G`, `I`) hold for the next; each step's standard output, error and exit status are
/// kept apart. Standard input is /dev/null and output is not a terminal, so `talon pass show`
/// draws its QR once instead of every 30 s. bash leads its own process group and is killed
/// with everything it started if the tour outlives `timeout`.
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

    /// The one step whose README text contains `fragment` or, when several do, the one
    /// whose text ends with it.
    func step(_ fragment: String) throws -> Step {
        var matches = steps.filter { $0.text.contains(fragment) }
        if matches.count > 1 { matches = matches.filter { $0.text.hasSuffix(fragment) } }
        try #require(matches.count == 1, "\(matches.count) steps of the tour contain \(fragment.debugDescription)")
        return matches[0]
    }

    /// Runs the steps, in `dir`, with `environment` added to the test's.
    func run(in dir: String, environment: [String: String], timeout: Double) async throws -> [Int: Outcome] {
        let work = dir + "/.readme-tour"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var script = "# The README's tour, as Tests/TalonCLITests/ReadmeTour.swift runs it.\ncd '\(dir)' || exit 1\n"
        for step in steps {
            let n = step.number
            script += "{ \(step.shell)\n} >'\(work)/\(n).out' 2>'\(work)/\(n).err'; echo $? >'\(work)/\(n).status'\n"
        }
        try Data(script.utf8).write(to: URL(fileURLWithPath: work + "/tour.sh"))

        var env = ProcessInfo.processInfo.environment
        env["TALON_NODE_ARGS"] = nil
        for (k, v) in environment { env[k] = v }
        // Not Foundation's Process: it learns that a child ended only once every process that
        // inherited the child's end of its socket has, and the nodes `scripts/cluster up`
        // starts would keep a tour that overran "running" until they are stopped.
        let pid = try Self.spawnBash(script: work + "/tour.sh", log: work + "/bash.log", environment: env)
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() >= deadline {
                // bash leads its own process group: kill it with every command it started, and
                // whatever else runs from this directory (nodes started with setsid).
                kill(-pid, SIGKILL)
                for other in processesMentioning(dir) { kill(other, SIGKILL) }
                _ = waitpid(pid, &status, 0)
                Issue.record("the README tour ran longer than \(Int(timeout)) s and was killed")
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }

        var outcomes: [Int: Outcome] = [:]
        for step in steps {
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

    /// Starts `bash script` as the leader of a new process group, standard input /dev/null,
    /// output and errors to `log`. A first bash closes every descriptor it inherited past 2
    /// (other tests' pipes and their Foundation processes' sockets) and then runs the script.
    private static func spawnBash(script: String, log: String, environment: [String: String]) throws -> pid_t {
        #if canImport(Glibc)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let closeInherited = #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done; exec /bin/bash "$0""#
        let arguments: [String] = ["/bin/bash", "-c", closeInherited, script]
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, "/bin/bash", &actions, &attributes, argv, envp)
        guard rc == 0 else { throw SandboxError("cannot start bash: posix_spawn error \(rc)") }
        return pid
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
        for step in tour.steps {
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
