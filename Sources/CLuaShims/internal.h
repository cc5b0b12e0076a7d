// Shared between the C files of the sandbox; not visible to Swift.
#ifndef CLUASHIMS_INTERNAL_H
#define CLUASHIMS_INTERNAL_H

#include "CLuaShims.h"
#include <lua.h>
#include <lauxlib.h>

/// Accounting for one state: its allocator and its instruction budget. Reached from
/// the allocator's user data and from the state's extra space.
typedef struct talon_box {
    CLuaShims_Limits limits;
    int64_t total;     // live bytes of the whole state
    int64_t limit;     // the ceiling for `total` right now
    int64_t base;      // `total` when the evaluation started
    int64_t peak;      // the highest `total` during the evaluation
    int64_t used;      // instructions charged to the evaluation
    int64_t touched;   // bytes allocated or compared during the evaluation (the byte budget)
    int64_t compared;  // bytes string comparisons looked at during the evaluation
    int metering;      // 1 while an evaluation runs
    int collected;     // 1 if nothing ran since the last full collection
    int failure;       // the first budget that ran out (a CLuaShims_BUDGET_* status), sticky
    int line;          // line where the last error was raised, from the message handler
} talon_box;

struct talon_lua_contract {
    lua_State *L;
    talon_box box;
    uint32_t hooks;
};

// alloc.c
void *talon_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);
talon_box *talon_lua_box(lua_State *L);
void talon_lua_count_hook(lua_State *L, lua_Debug *ar);
void talon_lua_charge(lua_State *L, int64_t instructions);
void talon_lua_touch(lua_State *L, int64_t bytes);
void talon_lua_begin_budget(talon_box *box, int64_t memory);
void talon_lua_end_budget(talon_box *box);

// sandbox.c
void talon_lua_open_sandbox(lua_State *L);
void talon_lua_freeze(lua_State *L, lua_CFunction newindex);
int talon_lua_readonly_newindex(lua_State *L);
int talon_lua_global_newindex(lua_State *L);
int talon_lua_unwrap(lua_State *L, int index);
int talon_lua_has_foreign_metatable(lua_State *L, int index);

// compare.c
void talon_lua_meter_comparisons(lua_State *L);

// libs.c
void talon_lua_wrap_libraries(lua_State *L);
void talon_lua_charge_bytes(lua_State *L, int64_t bytes);
int talon_lua_charged_tonumber(lua_State *L);

// iterate.c
int talon_lua_pairs(lua_State *L);
int talon_lua_next(lua_State *L);

// wire.c
void talon_lua_push_wire(lua_State *L, const uint8_t *data, size_t length);

// registry keys (their addresses are the keys)
extern const char talon_lua_proxy_key;
extern const char talon_lua_chunk_key;
extern const char talon_lua_env_mt_key;
extern const char talon_lua_budget_message_key;
extern const char talon_lua_readonly_mt_key;
extern const char talon_lua_globals_mt_key;

#endif
