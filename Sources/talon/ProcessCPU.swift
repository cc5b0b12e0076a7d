import Foundation

/// The CPU time (user + system) of local processes picked by their command line, read from
/// `/proc/PID/stat`: what a benchmark's timed window cost the servers, whatever else the
/// machine was doing. Linux only; elsewhere it finds no process.
struct ProcessCPU {
    /// The processes measured.
    let pids: [Int32]

    /// Every process whose command line (arguments joined by spaces) contains `fragment`,
    /// except this one.
    static func matching(_ fragment: String) -> ProcessCPU {
        let me = ProcessInfo.processInfo.processIdentifier
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let pids = entries.compactMap(Int32.init).filter { pid in
            guard pid != me, let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let line = String(decoding: raw.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
            return line.contains(fragment)
        }
        return ProcessCPU(pids: pids.sorted())
    }

    /// The processes' CPU time so far, in seconds; a process that ended counts 0.
    func seconds() -> Double {
        let ticks = Self.ticksPerSecond
        guard ticks > 0 else { return 0 }
        return pids.reduce(0) { sum, pid in sum + Double(Self.ticks(pid) ?? 0) / ticks }
    }

    /// Clock ticks per second, the unit of `/proc`'s CPU times (0 when unknown).
    static var ticksPerSecond: Double { Double(sysconf(Int32(_SC_CLK_TCK))) }

    /// utime + stime of `pid` in clock ticks: fields 14 and 15 of `/proc/PID/stat`, counted
    /// after the command name, which is in parentheses and may hold spaces.
    static func ticks(_ pid: Int32) -> UInt64? {
        guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/stat"),
              let close = raw.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = raw[(close + 1)...].split(separator: UInt8(ascii: " "))
        // fields[0] is the state (field 3), so utime (field 14) is fields[11].
        guard fields.count > 12, let user = UInt64(String(decoding: fields[11], as: UTF8.self)),
              let system = UInt64(String(decoding: fields[12], as: UTF8.self)) else { return nil }
        return user + system
    }
}

/// The whole machine's busy CPU time, read from the first line of `/proc/stat`: every
/// process and every kernel thread (writeback, the file system's journal, interrupts),
/// which per-process figures leave out. Linux only; elsewhere 0.
enum MachineCPU {
    /// Seconds of CPU time spent not idle (user, nice, system, irq, softirq, steal) since boot,
    /// summed over all CPUs; 0 when `/proc/stat` cannot be read.
    static func busySeconds() -> Double {
        let ticks = ProcessCPU.ticksPerSecond
        guard ticks > 0, let raw = FileManager.default.contents(atPath: "/proc/stat"),
              let line = raw.split(separator: UInt8(ascii: "\n")).first else { return 0 }
        let fields = line.split(separator: UInt8(ascii: " ")).dropFirst().map { UInt64(String(decoding: $0, as: UTF8.self)) ?? 0 }
        // user nice system idle iowait irq softirq steal (guest time is counted in user already).
        guard fields.count >= 8 else { return 0 }
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return Double(busy) / ticks
    }
}
