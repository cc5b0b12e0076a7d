// The allocator that enforces the memory cap and the count hook that enforces the
// instruction budget. The first budget to run out is recorded and stays the outcome:
// every later hook raises again and the sandbox's pcall re-raises, so a script cannot
// catch the error and go on. (Allocations after that are not refused, so the error can
// still be reported; whatever they do, the outcome is already decided.)
#include "internal.h"
#include <stdlib.h>

/// Headroom for a string's header: Lua allocates header + length + 1 bytes for a string.
#define TALON_STRING_HEADER 32

static void fail(talon_box *box, int kind) {
    if (box->failure == 0) box->failure = kind;
}

void *talon_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    talon_box *box = ud;
    size_t old = ptr ? osize : 0;  // for a new block, osize is the object's type tag
    if (nsize == 0) {
        free(ptr);
        box->total -= (int64_t)old;
        return NULL;
    }
    if (nsize > old) {
        if (!ptr && osize == LUA_TSTRING && (int64_t)nsize > box->limits.max_string + TALON_STRING_HEADER) {
            fail(box, CLuaShims_BUDGET_STRING);
            return NULL;
        }
        if (box->total + (int64_t)(nsize - old) > box->limit) {
            fail(box, CLuaShims_BUDGET_MEMORY);
            return NULL;
        }
        // The byte budget: every byte an evaluation allocates (garbage, and each copy a
        // growing buffer or table makes, included) counts, however it came to be allocated.
        if (box->metering && box->touched + (int64_t)nsize > box->limits.touch_bytes) {
            fail(box, CLuaShims_BUDGET_BYTES);
            return NULL;
        }
    }
    void *block = realloc(ptr, nsize);
    if (block == NULL) {
        // The machine is out of memory: Lua keeps the old block on failure.
        if (nsize > old) fail(box, CLuaShims_BUDGET_MEMORY);
        return NULL;
    }
    box->total += (int64_t)nsize - (int64_t)old;
    if (box->metering && nsize > old) box->touched += (int64_t)nsize;
    if (box->total > box->peak) box->peak = box->total;
    return block;
}

talon_box *talon_lua_box(lua_State *L) {
    return *(talon_box **)lua_getextraspace(L);
}

void talon_lua_count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    talon_lua_charge(L, talon_lua_box(L)->limits.hook_period);
}

/// Charges work to the instruction budget; raises when it runs out. The error value is a
/// string made at load time: once a budget is spent nothing can be allocated.
void talon_lua_charge(lua_State *L, int64_t instructions) {
    talon_box *box = talon_lua_box(L);
    if (instructions < 0) instructions = 0;
    int64_t room = box->limits.instructions + 1 - box->used;  // used may reach budget + 1
    box->used += instructions < room ? instructions : room;
    if (box->used > box->limits.instructions || box->failure) {
        fail(box, CLuaShims_BUDGET_INSTRUCTIONS);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_budget_message_key);
        lua_error(L);
    }
}

/// Counts bytes a library function or a comparison touched toward the byte budget, a bound
/// independent of the instruction charges; raises when it runs out.
void talon_lua_touch(lua_State *L, int64_t bytes) {
    talon_box *box = talon_lua_box(L);
    if (bytes < 0) bytes = 0;
    box->touched += bytes < INT64_MAX / 4 ? bytes : INT64_MAX / 4;
    if (box->touched > box->limits.touch_bytes) {
        fail(box, CLuaShims_BUDGET_BYTES);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_budget_message_key);
        lua_error(L);
    }
}

/// Starts counting an evaluation: `memory` more bytes may be allocated from now on.
void talon_lua_begin_budget(talon_box *box, int64_t memory) {
    box->base = box->total;
    box->peak = box->total;
    box->limit = box->total + memory;
    box->used = 0;
    box->touched = 0;
    box->compared = 0;
    box->metering = 1;
    box->failure = 0;
    box->line = 0;
}

/// Ends an evaluation: the collector and cleanup may use memory freely again.
void talon_lua_end_budget(talon_box *box) {
    box->metering = 0;
    box->limit = INT64_MAX / 2;
}
