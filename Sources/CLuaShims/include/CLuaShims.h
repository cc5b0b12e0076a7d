// The C side of Talon's contract sandbox. Lua raises errors with longjmp, which must
// never cross a Swift frame, so everything that can raise -- building the sandbox,
// compiling, running a hook under its budgets, converting the context into Lua tables
// and reading the result back -- happens here under lua_pcall. Swift sees only these
// functions, their return codes and plain data.
#ifndef CLUASHIMS_H
#define CLUASHIMS_H

#include <stddef.h>
#include <stdint.h>

/// Budgets of one loaded contract.
typedef struct CLuaShims_Limits {
    /// Instructions one evaluation may use (VM instructions plus work charged by library functions).
    int64_t instructions;
    /// The count hook fires every `hook_period` VM instructions; usage is counted in these steps.
    int64_t hook_period;
    /// Bytes one evaluation may allocate (the collector does not run during an evaluation).
    int64_t call_memory;
    /// Bytes the whole state may hold while the contract is being loaded.
    int64_t load_memory;
    /// The longest string a contract may create, in bytes.
    int64_t max_string;
    /// The longest source accepted, in bytes.
    int64_t max_source;
    /// Bytes one evaluation may touch: allocated (garbage included) plus compared. A bound
    /// independent of the instruction charges, so a metering mistake is still bounded.
    int64_t touch_bytes;
} CLuaShims_Limits;

/// How an evaluation or a load ended.
enum {
    CLuaShims_OK = 0,
    CLuaShims_BUDGET_INSTRUCTIONS = 1,
    CLuaShims_BUDGET_MEMORY = 2,
    CLuaShims_BUDGET_STRING = 3,
    CLuaShims_ERROR = 4,
    CLuaShims_RESULT = 5,
    CLuaShims_INVALID = 6,
    CLuaShims_BUDGET_BYTES = 7,
};

/// Hook numbers; bit `1 << n` of `CLuaShims_Outcome.hooks` says the contract defines hook n.
enum {
    CLuaShims_ON_TRANSFER = 0,
    CLuaShims_ON_LIST = 1,
    CLuaShims_ON_BUY = 2,
    CLuaShims_ON_REFUND = 3,
    CLuaShims_ON_CANCEL = 4,
    CLuaShims_ON_REBIND = 5,
    CLuaShims_HOOK_COUNT = 6,
};

#define CLuaShims_TEXT_CAPACITY 512

/// Everything an evaluation (or a load) reports, as plain data.
typedef struct CLuaShims_Outcome {
    int32_t status;
    /// 1 if the hook allowed the operation (meaningful when status is OK).
    int32_t allow;
    /// 0 if the contract does not define the hook (then `allow` is 1).
    int32_t has_hook;
    /// 1 if the result named a royalty / a refund.
    int32_t has_royalty;
    int32_t has_refund;
    /// Line of the error (0 if unknown).
    int32_t line;
    int64_t royalty;
    int64_t refund;
    /// Instructions charged to this evaluation.
    int64_t instructions;
    /// The most bytes the evaluation had allocated at any point.
    int64_t memory_peak;
    /// After a load: the hooks the contract defines (bit n for hook n).
    uint32_t hooks;
    /// Length of `text`: the deny reason when OK, else the error message.
    uint32_t text_len;
    char text[CLuaShims_TEXT_CAPACITY];
} CLuaShims_Outcome;

/// One compiled contract with its own Lua state. Used by one thread at a time.
typedef struct talon_lua_contract talon_lua_contract;

/// Compiles `source` (text only) in a fresh sandboxed state and runs its top level once to
/// find its hooks. Returns NULL with `out->status` set when the contract cannot be loaded.
talon_lua_contract *talon_lua_load(const CLuaShims_Limits *limits, const char *source, size_t length,
                                   CLuaShims_Outcome *out);

/// Runs hook `hook` with the encoded context and parameters (see wire.c for the encoding).
/// `previous` (may be NULL) is the old parameters for on_rebind. Never raises.
void talon_lua_evaluate(talon_lua_contract *contract, int32_t hook,
                        const uint8_t *context, size_t context_length,
                        const uint8_t *parameters, size_t parameters_length,
                        const uint8_t *previous, size_t previous_length,
                        CLuaShims_Outcome *out);

/// Bytes the contract's state holds now.
int64_t talon_lua_memory(const talon_lua_contract *contract);

/// Frees the state.
void talon_lua_close(talon_lua_contract *contract);

#endif
