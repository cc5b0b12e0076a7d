import Foundation
import TalonTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ClusterTests {
    /// A node started with `--exit-with-parent` by a process that then dies (SIGKILL, so
    /// it cleans nothing up) stops by itself; one started without the flag runs on, an
    /// orphan, until killed here.
    @Test func aNodeWhoseParentDiesStopsWithExitWithParent() async throws {
        try await withCluster(size: 1) { c in
            for watch in [true, false] {
                let pidFile = c.sandbox.path("node-\(watch).pid")
                let node = ([TalonBinary.path, "node", "run", "--data", c.sandbox.path("data/n1"), "--genesis", c.chain.genesis,
                             "--node", "n1", "--key", c.sandbox.path("net/keys/n1.key")] + (watch ? ["--exit-with-parent"] : []))
                    .map { "'\($0)'" }.joined(separator: " ")
                // The shell starts the node, writes its pid, and waits: the node's parent.
                let shell = Process()
                shell.executableURL = URL(fileURLWithPath: "/bin/sh")
                shell.arguments = ["-c", "\(node) >>'\(c.sandbox.path("n1.log"))' 2>&1 & echo $! >'\(pidFile)'; wait"]
                try shell.run()
                let pid = try await Self.readPid(pidFile)
                defer { kill(pid, SIGKILL) }
                #expect(await Self.alive(pid, for: 1), "the node runs while its parent does")
                _ = try await c.waitForLeader(timeout: 20)
                kill(shell.processIdentifier, SIGKILL)
                // Not `waitUntilExit()`: once the shell's child is re-parented, Foundation may
                // miss the shell's own exit and spin.
                #expect(await Self.exits(shell.processIdentifier, within: 10))
                if watch {
                    #expect(await Self.exits(pid, within: 20), "with --exit-with-parent the node stops once its parent is gone")
                    #expect(try String(contentsOfFile: c.sandbox.path("n1.log"), encoding: .utf8).contains("started this node exited"))
                } else {
                    #expect(await Self.alive(pid, for: 2), "without the flag it runs on after its parent")
                    kill(pid, SIGKILL)
                    #expect(await Self.exits(pid, within: 20))
                }
            }
        }
    }

    /// The pid a shell wrote to `path`, once it is there (up to 10 s).
    private static func readPid(_ path: String) async throws -> Int32 {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 { return pid }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("no pid in \(path)")
    }

    /// True when `pid` is still running after `seconds`.
    private static func alive(_ pid: Int32, for seconds: Double) async -> Bool {
        try? await Task.sleep(for: .seconds(seconds))
        return running(pid)
    }

    /// True when `pid` is gone within `seconds`.
    private static func exits(_ pid: Int32, within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if !running(pid) { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// True while `pid` exists and has not exited: a re-parented child that exited stays a
    /// zombie (state Z) until its new parent reaps it, which a container's init may never do.
    private static func running(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        return !stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }
}
