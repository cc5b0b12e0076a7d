// Loading a contract and evaluating a hook, each inside one lua_pcall.
//
// Every evaluation runs the contract's top level again in a fresh environment, then calls
// the hook with the globals frozen. Module-level locals and tables are therefore new on
// every call, and nothing a call does is visible to the next: no state between calls.
// The state itself (libraries, the compiled chunk) is reused.
//
// The collector is stopped for good after loading; each load and evaluation ends with a
// full collection, so the next one begins from the same heap whatever ran before, an idle
// state holds no garbage, and the memory cap counts the bytes allocated during the
// evaluation (garbage included). No collection, no
// finalizer and no weak-table clearing happens while a script runs.
#include "outcome.h"
#include <stdlib.h>
#include <string.h>

static const char *const hook_names[CLuaShims_HOOK_COUNT] = {
    "on_transfer", "on_list", "on_buy", "on_refund", "on_cancel", "on_rebind"};

typedef struct job {
    talon_lua_contract *contract;
    const char *source;
    size_t length;
    int hook;
    const uint8_t *context, *parameters, *previous;
    size_t context_length, parameters_length, previous_length;
    CLuaShims_Outcome *out;
} job;

/// Remembers the line of the innermost Lua function where an error was raised.
static int message_handler(lua_State *L) {
    lua_Debug ar;
    for (int level = 1; level < 32 && lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "l", &ar) && ar.currentline > 0) {
            talon_lua_box(L)->line = ar.currentline;
            break;
        }
    }
    return 1;
}

static void set_chunk_env(lua_State *L) {       // pops the new _ENV
    lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_chunk_key);
    lua_insert(L, -2);
    lua_setupvalue(L, -2, 1);
    lua_pop(L, 1);
}

/// Runs the chunk's top level in a fresh environment and leaves that environment on the stack.
static void run_chunk(lua_State *L) {
    lua_createtable(L, 0, 8);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_env_mt_key);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    set_chunk_env(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_chunk_key);
    lua_call(L, 0, 0);
}

static void start_budget(lua_State *L, talon_box *box) {
    if (!box->collected) lua_gc(L, LUA_GCCOLLECT);
    box->collected = 0;
    talon_lua_begin_budget(box, box->limits.call_memory);
    talon_lua_meter_comparisons(L);
    lua_sethook(L, talon_lua_count_hook, LUA_MASKCOUNT, (int)box->limits.hook_period);
}

/// Refuses to go on unless string comparisons reach compare.c's metered strcoll (see there).
static void check_comparisons_are_metered(lua_State *L, talon_box *box) {
    talon_lua_begin_budget(box, box->limits.call_memory);
    talon_lua_meter_comparisons(L);
    lua_pushliteral(L, "a");
    lua_pushliteral(L, "b");
    int less = lua_compare(L, -2, -1, LUA_OPLT);
    lua_pop(L, 2);
    talon_lua_meter_comparisons(NULL);
    int metered = box->compared > 0;
    talon_lua_end_budget(box);
    if (!less || !metered)
        luaL_error(L, "string comparison is not metered in this build (Lua does not call Talon's strcoll); refusing to run contracts");
}

static int is_hook_name(const char *name) {
    for (int i = 0; i < CLuaShims_HOOK_COUNT; i++)
        if (strcmp(name, hook_names[i]) == 0) return 1;
    return 0;
}

/// Finds the hooks in the environment at `env`; raises on a global named like a hook
/// that is not one (a misspelt hook would otherwise silently allow everything).
static uint32_t discover_hooks(lua_State *L, int env) {
    const char *unknown = NULL;
    lua_pushnil(L);
    while (lua_next(L, env)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) continue;
        const char *name = lua_tostring(L, -1);
        if (strncmp(name, "on_", 3) == 0 && !is_hook_name(name) && (!unknown || strcmp(name, unknown) < 0))
            unknown = name;
    }
    if (unknown) return (uint32_t)luaL_error(L, "'%s' is not a hook (hooks: on_transfer, on_list, on_buy, on_refund, on_cancel, on_rebind)", unknown);
    uint32_t hooks = 0;
    for (int i = 0; i < CLuaShims_HOOK_COUNT; i++) {
        int type = lua_getfield(L, env, hook_names[i]);
        if (type == LUA_TFUNCTION) hooks |= 1u << i;
        else if (type != LUA_TNIL) luaL_error(L, "'%s' is a %s, not a function", hook_names[i], lua_typename(L, type));
        lua_pop(L, 1);
    }
    if (hooks == 0) luaL_error(L, "the contract defines no hook (on_transfer, on_list, on_buy, on_refund, on_cancel, on_rebind)");
    return hooks;
}

static int protected_load(lua_State *L) {
    job *j = lua_touserdata(L, 1);
    talon_box *box = &j->contract->box;
    talon_lua_open_sandbox(L);
    check_comparisons_are_metered(L, box);
    box->limit = box->limits.load_memory;
    if (j->length >= 4 && memcmp(j->source, LUA_SIGNATURE, 4) == 0)
        return luaL_error(L, "precompiled bytecode is refused; deploy the source text");
    if (luaL_loadbufferx(L, j->source, j->length, "=contract", "t") != LUA_OK) return lua_error(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &talon_lua_chunk_key);
    lua_gc(L, LUA_GCSTOP);
    start_budget(L, box);
    run_chunk(L);
    lua_sethook(L, NULL, 0, 0);
    talon_lua_meter_comparisons(NULL);
    j->contract->hooks = discover_hooks(L, lua_gettop(L));
    return 0;
}

static int protected_evaluate(lua_State *L) {
    job *j = lua_touserdata(L, 1);
    lua_settop(L, 0);
    start_budget(L, &j->contract->box);
    run_chunk(L);                                                   // 1: environment
    if (lua_getfield(L, 1, hook_names[j->hook]) != LUA_TFUNCTION)   // 2: hook
        return luaL_error(L, "the top level changed: %s is no longer a function", hook_names[j->hook]);
    lua_pushvalue(L, 1);
    talon_lua_freeze(L, talon_lua_global_newindex);                 // globals are read-only from here
    set_chunk_env(L);
    int arguments = 2;
    if (j->hook == CLuaShims_ON_REBIND) {
        talon_lua_push_wire(L, j->previous, j->previous_length);
        talon_lua_push_wire(L, j->parameters, j->parameters_length);
        talon_lua_push_wire(L, j->context, j->context_length);
        arguments = 3;
    } else {
        talon_lua_push_wire(L, j->context, j->context_length);
        talon_lua_push_wire(L, j->parameters, j->parameters_length);
    }
    lua_call(L, arguments, LUA_MULTRET);                            // the results replace the hook at 2
    lua_sethook(L, NULL, 0, 0);
    talon_lua_meter_comparisons(NULL);
    talon_lua_read_result(L, 2, lua_gettop(L) - 1, j->out);
    return 0;
}

/// Runs `body` protected and fills `out` from how it ended. Leaves the state idle.
static int run_protected(talon_lua_contract *contract, lua_CFunction body, job *j) {
    lua_State *L = contract->L;
    talon_box *box = &contract->box;
    lua_settop(L, 0);
    lua_pushcfunction(L, message_handler);
    lua_pushcfunction(L, body);
    lua_pushlightuserdata(L, j);
    int status = lua_pcall(L, 1, 0, 1);
    lua_sethook(L, NULL, 0, 0);
    talon_lua_meter_comparisons(NULL);
    j->out->instructions = box->used;
    j->out->memory_peak = box->peak - box->base;
    if (box->failure) talon_lua_describe_budget(box, j->out);
    else if (status != LUA_OK) {
        j->out->status = CLuaShims_ERROR;
        j->out->allow = 0;
        talon_lua_describe_error(L, -1, status, box, j->out);
    }
    talon_lua_end_budget(box);
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_chunk_key) == LUA_TFUNCTION) {
        lua_pushnil(L);                     // drop the last environment: the next full
        lua_setupvalue(L, -2, 1);           // collection starts from the same heap
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT);               // hold no garbage between calls (the cache counts
    box->collected = 1;                     // what a state holds), and start the next one clean
    return status;
}

talon_lua_contract *talon_lua_load(const CLuaShims_Limits *limits, const char *source, size_t length,
                                   CLuaShims_Outcome *out) {
    memset(out, 0, sizeof *out);
    if ((int64_t)length > limits->max_source) {
        out->status = CLuaShims_INVALID;
        talon_lua_set_text(out, "the source is %zu bytes; the limit is %lld", length, (long long)limits->max_source);
        return NULL;
    }
    talon_lua_contract *contract = calloc(1, sizeof *contract);
    if (!contract) {
        out->status = CLuaShims_INVALID;
        talon_lua_set_text(out, "out of memory");
        return NULL;
    }
    contract->box.limits = *limits;
    if (contract->box.limits.hook_period < 1) contract->box.limits.hook_period = 1;
    if (contract->box.limits.hook_period > (1 << 30)) contract->box.limits.hook_period = 1 << 30;
    contract->box.limit = limits->load_memory;
    contract->L = lua_newstate(talon_lua_alloc, &contract->box);
    if (!contract->L) {
        free(contract);
        out->status = CLuaShims_INVALID;
        talon_lua_set_text(out, "cannot create a Lua state within the load memory cap");
        return NULL;
    }
    *(talon_box **)lua_getextraspace(contract->L) = &contract->box;
    job j = {.contract = contract, .source = source, .length = length, .out = out};
    if (run_protected(contract, protected_load, &j) != LUA_OK || contract->box.failure) {
        out->status = CLuaShims_INVALID;
        talon_lua_close(contract);
        return NULL;
    }
    out->status = CLuaShims_OK;
    out->hooks = contract->hooks;
    return contract;
}

void talon_lua_evaluate(talon_lua_contract *contract, int32_t hook,
                        const uint8_t *context, size_t context_length,
                        const uint8_t *parameters, size_t parameters_length,
                        const uint8_t *previous, size_t previous_length,
                        CLuaShims_Outcome *out) {
    memset(out, 0, sizeof *out);
    if (hook < 0 || hook >= CLuaShims_HOOK_COUNT || !(contract->hooks & (1u << hook))) {
        out->status = CLuaShims_OK;         // a missing hook allows
        out->allow = 1;
        return;
    }
    job j = {.contract = contract, .hook = hook, .context = context, .context_length = context_length,
             .parameters = parameters, .parameters_length = parameters_length,
             .previous = previous, .previous_length = previous_length, .out = out};
    run_protected(contract, protected_evaluate, &j);
}

int64_t talon_lua_memory(const talon_lua_contract *contract) {
    return contract ? contract->box.total : 0;
}

void talon_lua_close(talon_lua_contract *contract) {
    if (!contract) return;
    lua_close(contract->L);
    free(contract);
}
