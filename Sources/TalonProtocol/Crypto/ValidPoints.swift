#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The public keys this process has found to be valid points. Checking one is a scalar
/// multiplication (about 40 µs); the recipients of transfers come back again and again, and
/// a node checks each envelope's keys when it forwards and again when it admits. Only valid
/// keys are remembered (at most `capacity`; when full, the set starts over), so the answer
/// is always the one libsodium would give.
final class ValidPoints: @unchecked Sendable {
    // @unchecked: `keys` is only touched under `lock`.
    private var lock = pthread_mutex_t()
    private var keys: Set<Bytes32> = []
    private let capacity: Int

    /// The process-wide set.
    static let shared = ValidPoints(capacity: 1 << 16)

    package init(capacity: Int) {
        self.capacity = capacity
        pthread_mutex_init(&lock, nil)
    }

    deinit { pthread_mutex_destroy(&lock) }

    /// Whether `key` is a valid point, from the set or from libsodium.
    func contains(_ key: Bytes32) -> Bool {
        pthread_mutex_lock(&lock)
        let known = keys.contains(key)
        pthread_mutex_unlock(&lock)
        if known { return true }
        guard key.withUnsafeBytes({ Sodium.isValidEd25519Point($0) }) else { return false }
        pthread_mutex_lock(&lock)
        if keys.count >= capacity { keys.removeAll(keepingCapacity: true) }
        keys.insert(key)
        pthread_mutex_unlock(&lock)
        return true
    }
}
