// The sandbox's global environment and its read-only proxies.
//
// A contract sees a fixed set of globals (see `talon_lua_open_sandbox`). Library tables,
// the context and (after loading) the globals are read-only proxies: tables holding only
// their target under a light-userdata key, with a shared metatable that reads through to
// the target, refuses writes and is itself protected (`__metatable = false`), so a script
// can neither change a library for a later call nor unprotect a proxy. Sharing one
// metatable keeps a proxy at one small table, which matters: every evaluation makes one
// per context table.
#include "internal.h"
#include <lualib.h>

const char talon_lua_proxy_key = 0;
const char talon_lua_chunk_key = 0;
const char talon_lua_env_mt_key = 0;
const char talon_lua_budget_message_key = 0;
const char talon_lua_readonly_mt_key = 0;
const char talon_lua_globals_mt_key = 0;

/// If the value at `index` is a proxy, replaces it by the table it stands for. Returns 1 if it did.
/// A proxy holds its table under a light-userdata key, which no script can make or read.
int talon_lua_unwrap(lua_State *L, int index) {
    index = lua_absindex(L, index);
    if (lua_type(L, index) != LUA_TTABLE) return 0;
    if (lua_rawgetp(L, index, &talon_lua_proxy_key) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    lua_replace(L, index);
    return 1;
}

/// 1 if the value at `index` has a metatable other than a read-only proxy's (whose length
/// and reads are raw, done in C). The table library refuses such tables: their `__len`,
/// `__index` and `__newindex` would run inside its loops, unseen by the charges.
int talon_lua_has_foreign_metatable(lua_State *L, int index) {
    if (!lua_getmetatable(L, index)) return 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_readonly_mt_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &talon_lua_globals_mt_key);
    int proxy = lua_rawequal(L, -1, -3) || lua_rawequal(L, -2, -3);
    lua_pop(L, 3);
    return !proxy;
}

int talon_lua_readonly_newindex(lua_State *L) {
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "attempt to modify read-only table (field '%s')", lua_tostring(L, 2));
    return luaL_error(L, "attempt to modify read-only table");
}

int talon_lua_global_newindex(lua_State *L) {
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "attempt to set global '%s' (globals are read-only once loaded)", lua_tostring(L, 2));
    return luaL_error(L, "attempt to set a global (globals are read-only once loaded)");
}

static int proxy_index(lua_State *L) {       // proxy, key
    lua_rawgetp(L, 1, &talon_lua_proxy_key);
    lua_insert(L, 2);
    lua_gettable(L, 2);                      // the table's own metatable (an environment's) applies
    return 1;
}

static int proxy_len(lua_State *L) {
    talon_lua_unwrap(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
    return 1;
}

/// Stores in the registry the metatable every proxy with this `newindex` shares.
static void make_proxy_metatable(lua_State *L, lua_CFunction newindex, const void *key) {
    lua_createtable(L, 0, 4);
    lua_pushcfunction(L, proxy_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, proxy_len);
    lua_setfield(L, -2, "__len");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, key);
}

/// Replaces the table on top of the stack by a read-only proxy of it. `newindex` is
/// talon_lua_readonly_newindex or talon_lua_global_newindex.
void talon_lua_freeze(lua_State *L, lua_CFunction newindex) {
    lua_createtable(L, 0, 1);                // target proxy
    lua_insert(L, -2);                       // proxy target
    lua_rawsetp(L, -2, &talon_lua_proxy_key);
    lua_rawgetp(L, LUA_REGISTRYINDEX, newindex == talon_lua_global_newindex ? &talon_lua_globals_mt_key
                                                                           : &talon_lua_readonly_mt_key);
    lua_setmetatable(L, -2);
}

// MARK: base functions that differ from Lua's

/// pcall that cannot catch a spent budget: the evaluation ends instead.
static int sandbox_pcall(lua_State *L) {
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1);
    lua_insert(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
    if (talon_lua_box(L)->failure) return lua_error(L);
    if (status != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L);
}

/// xpcall that cannot catch a spent budget.
static int sandbox_xpcall(lua_State *L) {
    int n = lua_gettop(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2);                  // f, handler, true, f, args...
    int status = lua_pcall(L, n - 2, LUA_MULTRET, 2);
    if (talon_lua_box(L)->failure) return lua_error(L);
    if (status != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - 2;
}

/// tostring that never shows an address (addresses differ between nodes), and prints every
/// NaN as "nan" (C libraries print the sign of a NaN, which differs between CPUs).
static int sandbox_tostring(lua_State *L) {
    luaL_checkany(L, 1);
    int type = lua_type(L, 1);
    if (type == LUA_TNUMBER && !lua_isinteger(L, 1)) {
        lua_Number n = lua_tonumber(L, 1);
        if (n != n) {
            lua_pushliteral(L, "nan");
            return 1;
        }
    }
    if (type == LUA_TTABLE || type == LUA_TFUNCTION || type == LUA_TUSERDATA ||
        type == LUA_TTHREAD || type == LUA_TLIGHTUSERDATA) {
        if (luaL_getmetafield(L, 1, "__tostring") == LUA_TNIL) {
            lua_pushstring(L, lua_typename(L, type));
            return 1;
        }
        lua_pop(L, 1);
    }
    size_t length = 0;
    luaL_tolstring(L, 1, &length);
    talon_lua_charge(L, 1);
    talon_lua_charge_bytes(L, (int64_t)length);
    return 1;
}

static const char copied_metatable_key = 0;   // marks a metatable setmetatable copied
static const char index_targets_key = 0;     // registry: tables used as a table-valued __index/__newindex

/// 1 if the table at `index` is a table-valued `__index` / `__newindex` of some metatable.
static int is_index_target(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &index_targets_key);
    lua_pushvalue(L, index);
    int target = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return target;
}

/// Checks the `__index` / `__newindex` field `name` of the metatable at 2. A table there may
/// not itself have a metatable (other than a read-only proxy's), and is remembered so that
/// it never gets one. Returns 1 if the field is a table.
static int check_index_field(lua_State *L, const char *name) {
    lua_pushstring(L, name);
    int type = lua_rawget(L, 2);
    int is_table = type == LUA_TTABLE;
    if (is_table) {
        if (talon_lua_has_foreign_metatable(L, -1))
            luaL_error(L, "%s: a table with a metatable cannot be an %s in contracts (chains of %s tables are "
                          "followed inside one instruction, unmetered); use a function", name, name, name);
        lua_rawgetp(L, LUA_REGISTRYINDEX, &index_targets_key);
        lua_pushvalue(L, -2);
        lua_pushboolean(L, 1);
        lua_rawset(L, -3);
        lua_pop(L, 1);
    } else if (type != LUA_TNIL && type != LUA_TFUNCTION) {
        luaL_error(L, "%s must be a function or a table", name);
    }
    lua_pop(L, 1);
    return is_table;
}

/// setmetatable for contracts.
///
/// - No finalizers: a `__gc` would run when the collector decides, which differs between nodes.
/// - No chains of tables: a table-valued `__index` (or `__newindex`) must be a table without a
///   metatable, and a table used so never gets one; `__call` must be a function. Lua follows
///   such chains (up to 2,000 links) inside one VM instruction, where no charge can see them:
///   a 2,000-link `__index` chain read in a loop took 0.8 s within the instruction budget.
///   One link, the usual `setmetatable(obj, {__index = Class})`, is fine.
/// - The metatable is copied when it is set, so changing the table afterwards (adding an
///   `__index` chain, say) does not affect the object. `getmetatable` still returns the table
///   that was passed.
static int sandbox_setmetatable(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    int type = lua_type(L, 2);
    luaL_argexpected(L, type == LUA_TNIL || type == LUA_TTABLE, 2, "nil or table");
    lua_settop(L, 2);
    if (lua_getmetatable(L, 1)) {                 // 3: the current metatable
        int copied = lua_rawgetp(L, 3, &copied_metatable_key) != LUA_TNIL;
        lua_pushliteral(L, "__metatable");
        if (!copied && lua_rawget(L, 3) != LUA_TNIL) return luaL_error(L, "cannot change a protected metatable");
        lua_settop(L, 2);
    }
    if (type == LUA_TNIL) {
        lua_setmetatable(L, 1);
        return 1;
    }
    lua_pushliteral(L, "__gc");
    if (lua_rawget(L, 2) != LUA_TNIL) return luaL_error(L, "__gc metamethods are not allowed in contracts");
    lua_pop(L, 1);
    lua_pushliteral(L, "__call");
    int call = lua_rawget(L, 2);
    if (call != LUA_TNIL && call != LUA_TFUNCTION) return luaL_error(L, "__call must be a function in contracts");
    lua_pop(L, 1);
    int tables = check_index_field(L, "__index") + check_index_field(L, "__newindex");
    if (tables && is_index_target(L, 1))
        return luaL_error(L, "a table used as an __index or __newindex table cannot get a metatable with one");
    // The copy, marked, with __metatable pointing back at the table passed (unless it sets its own).
    int64_t fields = 0;
    lua_createtable(L, 0, 4);                    // 3
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, 3);
        fields++;
    }
    talon_lua_charge(L, 1 + fields);
    lua_pushliteral(L, "__metatable");
    if (lua_rawget(L, 3) == LUA_TNIL) {
        lua_pushliteral(L, "__metatable");
        lua_pushvalue(L, 2);
        lua_rawset(L, 3);
        lua_pushboolean(L, 1);                    // replaceable by another setmetatable
        lua_rawsetp(L, 3, &copied_metatable_key);
    }
    lua_pop(L, 1);
    lua_setmetatable(L, 1);
    lua_settop(L, 1);
    return 1;
}

/// rawget that sees through read-only proxies.
static int sandbox_rawget(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    talon_lua_unwrap(L, 1);
    lua_rawget(L, 1);
    return 1;
}

/// rawlen that sees through read-only proxies.
static int sandbox_rawlen(lua_State *L) {
    int type = lua_type(L, 1);
    luaL_argexpected(L, type == LUA_TTABLE || type == LUA_TSTRING, 1, "table or string");
    talon_lua_unwrap(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
    return 1;
}

/// Copies the named fields of the table at -1 (a library) into the table at -2 (the globals).
static void copy_fields(lua_State *L, const char *const *names) {
    for (; *names; names++) {
        lua_getfield(L, -1, *names);
        lua_setfield(L, -3, *names);
    }
}

/// Builds the globals table and the metatable every per-call environment uses, and stores
/// the latter in the registry. Runs under lua_pcall.
void talon_lua_open_sandbox(lua_State *L) {
    static const char *const base_names[] = {
        "assert", "error", "ipairs", "select", "tonumber", "type", "rawequal", "getmetatable", "_VERSION", NULL};
    static const luaL_Reg replaced[] = {
        {"pairs", talon_lua_pairs}, {"next", talon_lua_next}, {"pcall", sandbox_pcall},
        {"xpcall", sandbox_xpcall}, {"tostring", sandbox_tostring}, {"setmetatable", sandbox_setmetatable},
        {"rawget", sandbox_rawget}, {"rawlen", sandbox_rawlen}, {NULL, NULL}};
    static const struct { const char *name; lua_CFunction open; } libraries[] = {
        {LUA_STRLIBNAME, luaopen_string}, {LUA_TABLIBNAME, luaopen_table},
        {LUA_MATHLIBNAME, luaopen_math}, {LUA_UTF8LIBNAME, luaopen_utf8}};

    make_proxy_metatable(L, talon_lua_readonly_newindex, &talon_lua_readonly_mt_key);
    lua_createtable(L, 0, 0);                             // tables used as __index/__newindex tables
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");                        // weak keys: forgets collected tables
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &index_targets_key);
    make_proxy_metatable(L, talon_lua_global_newindex, &talon_lua_globals_mt_key);
    luaL_requiref(L, LUA_GNAME, luaopen_base, 0);       // the real base library (not exposed)
    lua_createtable(L, 0, 24);                            // base globals
    lua_pushvalue(L, -2);
    copy_fields(L, base_names);
    lua_pop(L, 1);
    lua_getfield(L, -1, "tonumber");
    lua_pushcclosure(L, talon_lua_charged_tonumber, 1);
    lua_setfield(L, -2, "tonumber");
    luaL_setfuncs(L, replaced, 0);
    for (size_t i = 0; i < sizeof libraries / sizeof libraries[0]; i++) {
        luaL_requiref(L, libraries[i].name, libraries[i].open, 0);
        lua_pop(L, 1);
    }
    talon_lua_wrap_libraries(L);                          // trims and wraps them in place
    for (size_t i = 0; i < sizeof libraries / sizeof libraries[0]; i++) {
        luaL_requiref(L, libraries[i].name, libraries[i].open, 0);
        talon_lua_freeze(L, talon_lua_readonly_newindex);
        lua_setfield(L, -2, libraries[i].name);
    }
    // Every call's environment reads through to the globals; the metatable is protected
    // so a script cannot reach (and change) the globals table itself.
    lua_createtable(L, 0, 2);
    lua_insert(L, -2);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &talon_lua_env_mt_key);
    lua_pop(L, 1);                                         // the real base library
    lua_pushliteral(L, "instruction budget exceeded");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &talon_lua_budget_message_key);
}
