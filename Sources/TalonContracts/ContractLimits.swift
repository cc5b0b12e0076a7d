/// The budgets every evaluation of a contract runs under. Every node must use the same
/// limits (they decide where `contract_budget` starts): they are compiled in
/// (`ContractLimits.standard`) and change only with a release every member runs.
public struct ContractLimits: Hashable, Sendable {
    /// Instructions one evaluation may use: Lua VM instructions (the top level, which runs
    /// on every call, included) plus work charged by library functions that loop in C
    /// (`pairs`, `table.sort`, `string.rep`, ...).
    public var instructions: Int64
    /// VM instructions are counted in steps of this many (the count hook's period), so
    /// reported usage is a multiple of it plus charged work. 1 counts exactly.
    public var instructionStep: Int64
    /// Bytes one evaluation may allocate. The collector does not run during an evaluation,
    /// so garbage counts too.
    public var memoryBytes: Int64
    /// Bytes the state may hold while the contract is compiled and loaded.
    public var loadMemoryBytes: Int64
    /// The longest string a contract may create. Bounds the work of one VM instruction
    /// (string comparison, concatenation) that the instruction count cannot see.
    public var maxStringBytes: Int64
    /// The longest source accepted.
    public var maxSourceBytes: Int64
    /// Bytes one evaluation may touch: every byte it allocates (garbage and the copies of
    /// growing buffers included) plus every byte string comparisons look at. Counted where
    /// the work happens (the allocator, the comparison), independently of the instruction
    /// charges, so a mistake in those is still bounded.
    public var touchBytes: Int64
    /// The largest amount (royalty, refund) a decision may carry, in minor units.
    public var maxAmount: Int64

    /// Limits with the given values; the defaults are `standard`'s.
    public init(instructions: Int64 = 100_000, instructionStep: Int64 = 1, memoryBytes: Int64 = 4 << 20,
                loadMemoryBytes: Int64 = 16 << 20, maxStringBytes: Int64 = 16 << 10,
                maxSourceBytes: Int64 = 64 << 10, touchBytes: Int64 = 64 << 20,
                maxAmount: Int64 = 1_000_000_000_000_000) {
        self.instructions = instructions
        self.instructionStep = instructionStep
        self.memoryBytes = memoryBytes
        self.loadMemoryBytes = loadMemoryBytes
        self.maxStringBytes = maxStringBytes
        self.maxSourceBytes = maxSourceBytes
        self.touchBytes = touchBytes
        self.maxAmount = maxAmount
    }

    /// 100,000 instructions counted exactly, 4 MiB per evaluation, 64 MiB touched per
    /// evaluation, 16 KiB strings, 64 KiB sources, amounts up to 10^15 minor units. The shipped contracts use a few hundred
    /// instructions and a few KiB.
    public static let standard = ContractLimits()
}
