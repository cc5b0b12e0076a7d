#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Logging

/// `talon node run --exit-with-parent`: when the process that started this one exits (this
/// one is then re-parented, to init or a subreaper), the node stops as it does on SIGTERM —
/// gracefully, its store flushed. A test harness that crashes, or a supervisor killed with
/// SIGKILL, then leaves no node running behind it.
enum ParentWatch {
    /// How often the parent is checked.
    static let interval: DispatchTimeInterval = .milliseconds(200)

    /// Starts watching `parent` (the parent as the process started: `getppid()` at once,
    /// before anything that takes time, so a parent that dies meanwhile is still noticed);
    /// does nothing when it is init, which never exits.
    static func start(parent: pid_t, logger: Logger) {
        guard parent > 1 else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "talon.parent-watch"))
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler {
            guard getppid() != parent else { return }
            logger.notice("the process that started this node exited; stopping", metadata: ["parent": "\(parent)"])
            timer.cancel()
            kill(getpid(), SIGTERM)
        }
        timer.resume()
    }
}
