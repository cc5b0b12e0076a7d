#if canImport(Glibc)
import Glibc
#endif

/// A process's soft limit on file size (`RLIMIT_FSIZE`), set from outside as
/// `prlimit --fsize` does: a full disk without root. A write that would grow a file past the
/// limit fails with EFBIG (and SIGXFSZ, which every `talon` command ignores).
public enum FileSizeLimit {
    /// Sets process `pid`'s soft limit to `bytes` (at most its hard limit), or back to its
    /// hard limit when nil. True when it was set; false where the platform has no `prlimit`.
    @discardableResult
    public static func set(_ pid: Int32, to bytes: Int?) -> Bool {
        #if canImport(Glibc)
        // glibc's prlimit(2) wrapper, looked up at run time: Swift's Glibc module does not
        // export GNU extensions.
        typealias Prlimit = @convention(c) (pid_t, Int32, UnsafePointer<rlimit>?, UnsafeMutablePointer<rlimit>?) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "prlimit") else { return false }
        let prlimit = unsafeBitCast(symbol, to: Prlimit.self)
        let resource = Int32(RLIMIT_FSIZE.rawValue)
        var current = rlimit()
        guard prlimit(pid, resource, nil, &current) == 0 else { return false }
        var wanted = current
        wanted.rlim_cur = bytes.map { min(rlim_t(max(0, $0)), current.rlim_max) } ?? current.rlim_max
        return prlimit(pid, resource, &wanted, nil) == 0
        #else
        return false
        #endif
    }
}
