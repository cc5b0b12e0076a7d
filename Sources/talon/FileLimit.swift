#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open file descriptors (`RLIMIT_NOFILE`).
enum FileLimit {
    /// Raises the soft limit to the hard limit (on macOS, also to `OPEN_MAX`, which the
    /// kernel caps it at) and returns the soft limit now in force and the hard limit; nil
    /// when the limits cannot be read.
    static func raiseToHard() -> (soft: Int, hard: Int)? {
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return nil }
        var target = limits.rlim_max
        #if canImport(Darwin)
        target = min(target, rlim_t(OPEN_MAX))
        #endif
        if limits.rlim_cur < target {
            var raised = limits
            raised.rlim_cur = target
            if setrlimit(resource, &raised) == 0 { limits = raised }
        }
        return (clamp(limits.rlim_cur), clamp(limits.rlim_max))
    }

    private static func clamp(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)  // RLIM_INFINITY included
    }

    #if canImport(Glibc)
    private static let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resource = RLIMIT_NOFILE
    #endif
}
