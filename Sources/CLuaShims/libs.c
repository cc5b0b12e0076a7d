// Trims the standard libraries to what a contract may use and wraps the functions whose
// work is not bounded by one VM instruction: they charge the instruction budget for the
// elements they touch before they run, so a loop over them cannot outlast its budget.
//
// Removed: string.dump (bytecode), string.find/match/gmatch/gsub with patterns (Lua's
// matcher backtracks without bound and the hook cannot interrupt C), string.pack/unpack,
// math.random/randomseed (nondeterministic), and math's transcendental functions (libm's
// last bit differs between platforms). string.find remains for plain searches only.
#include "internal.h"
#include <lualib.h>
#include <string.h>

static lua_Integer int_arg(lua_State *L, int index, lua_Integer otherwise) {
    int ok = 0;
    lua_Integer value = lua_tointegerx(L, index, &ok);
    return ok ? value : otherwise;
}

static int64_t span(lua_Integer from, lua_Integer to) {
    if (to < from) return 0;
    lua_Unsigned n = (lua_Unsigned)to - (lua_Unsigned)from;
    return n >= (lua_Unsigned)INT64_MAX ? INT64_MAX : (int64_t)n + 1;
}

static int64_t table_length(lua_State *L, int index) {
    if (lua_type(L, index) != LUA_TTABLE) return 0;
    lua_pushvalue(L, index);
    talon_lua_unwrap(L, -1);
    int64_t n = (int64_t)lua_rawlen(L, -1);
    lua_pop(L, 1);
    return n;
}

static int64_t bit_length(int64_t n) {
    int64_t bits = 0;
    while (n > 0) { bits++; n >>= 1; }
    return bits;
}

/// Calls the original function (upvalue 1) with this call's arguments.
static int call_original(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

// MARK: charges (arguments as the original function reads them)

static int64_t string_length(lua_State *L, int index) {
    size_t length = 0;
    if (lua_type(L, index) == LUA_TSTRING) lua_tolstring(L, index, &length);
    return (int64_t)length;
}

/// How many positions `i..j` of a string of `length` bytes cover (negative positions count
/// from the end, as the string library reads them).
static int64_t string_span(int64_t length, lua_Integer i, lua_Integer j) {
    if (i < 0) i = i < -length ? 1 : length + i + 1;
    if (j < 0) j = j < -length ? 0 : length + j + 1;
    if (i < 1) i = 1;
    if (j > length) j = length;
    return span(i, j);
}

static int charged_byte(lua_State *L) {              // string.byte(s, i, j)
    lua_Integer i = int_arg(L, 2, 1);
    talon_lua_charge(L, string_span(string_length(L, 1), i, int_arg(L, 3, i)));
    return call_original(L);
}

static int charged_rep(lua_State *L) {               // string.rep(s, n, sep)
    talon_lua_charge(L, int_arg(L, 2, 0));
    return call_original(L);
}

static int plain_find(lua_State *L) {                 // string.find(s, sub, init, true)
    if (!lua_toboolean(L, 4))
        return luaL_error(L, "patterns are not available in contracts; use string.find(s, text, init, true)");
    talon_lua_charge(L, string_length(L, 1) * (string_length(L, 2) + 1) / 64);
    return call_original(L);
}

/// string.format without `%p`, without formatting tables or functions (their
/// descriptions would show addresses) and without NaN (printed with a CPU-dependent sign).
static int checked_format(lua_State *L) {
    const char *format = luaL_checkstring(L, 1);
    for (const char *p = format; (p = strchr(p, '%')) != NULL;) {
        p++;
        if (*p == '%') { p++; continue; }
        p += strspn(p, "-+ #0123456789.");
        if (*p == 'p') return luaL_error(L, "format '%%p' is not available in contracts");
    }
    for (int i = 2, n = lua_gettop(L); i <= n; i++) {
        int type = lua_type(L, i);
        if (type != LUA_TNUMBER && type != LUA_TSTRING && type != LUA_TBOOLEAN && type != LUA_TNIL)
            return luaL_error(L, "bad argument #%d to 'format' (cannot format a %s)", i, lua_typename(L, type));
        if (type == LUA_TNUMBER && !lua_isinteger(L, i) && lua_tonumber(L, i) != lua_tonumber(L, i))
            return luaL_error(L, "bad argument #%d to 'format' (NaN prints differently on different CPUs)", i);
    }
    talon_lua_charge(L, lua_gettop(L));
    return call_original(L);
}

static int charged_concat(lua_State *L) {            // table.concat(t, sep, i, j)
    talon_lua_charge(L, span(int_arg(L, 3, 1), int_arg(L, 4, table_length(L, 1))));
    return call_original(L);
}

static int charged_shift(lua_State *L) {             // table.insert / table.remove
    talon_lua_charge(L, table_length(L, 1));
    return call_original(L);
}

static int charged_move(lua_State *L) {              // table.move(a1, f, e, t, a2)
    talon_lua_charge(L, span(int_arg(L, 2, 1), int_arg(L, 3, 0)));
    return call_original(L);
}

static int charged_sort(lua_State *L) {              // table.sort(t, comp)
    int64_t n = table_length(L, 1);
    talon_lua_charge(L, n * (bit_length(n) + 1));
    return call_original(L);
}

static int charged_unpack(lua_State *L) {            // table.unpack(t, i, j)
    talon_lua_charge(L, span(int_arg(L, 2, 1), int_arg(L, 3, table_length(L, 1))));
    return call_original(L);
}

static int charged_codepoint(lua_State *L) {         // utf8.codepoint(s, i, j)
    lua_Integer i = int_arg(L, 2, 1);
    talon_lua_charge(L, string_span(string_length(L, 1), i, int_arg(L, 3, i)));
    return call_original(L);
}

static int charged_scan(lua_State *L) {              // utf8.len / utf8.offset: a pass over s
    talon_lua_charge(L, string_length(L, 1) / 64);
    return call_original(L);
}

// MARK: installing

static void remove_fields(lua_State *L, const char *const *names) {
    for (; *names; names++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *names);
    }
}

typedef struct { const char *name; lua_CFunction wrapper; } wrap_entry;

/// Replaces each named function of the table on top by the wrapper, holding the original.
static void wrap_fields(lua_State *L, const wrap_entry *entries) {
    for (; entries->name; entries++) {
        lua_getfield(L, -1, entries->name);
        lua_pushcclosure(L, entries->wrapper, 1);
        lua_setfield(L, -2, entries->name);
    }
}

static void edit_library(lua_State *L, const char *name, const char *const *removed, const wrap_entry *wrapped) {
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, name);
    remove_fields(L, removed);
    wrap_fields(L, wrapped);
    lua_pop(L, 2);
}

/// Trims and wraps the opened libraries in place, protects the string metatable, and
/// strips the real globals table (which no contract can reach) of its loaders.
void talon_lua_wrap_libraries(lua_State *L) {
    static const char *const string_removed[] = {
        "dump", "match", "gmatch", "gsub", "pack", "packsize", "unpack", NULL};
    static const wrap_entry string_wrapped[] = {
        {"byte", charged_byte}, {"rep", charged_rep}, {"find", plain_find}, {"format", checked_format}, {NULL, NULL}};
    static const char *const table_removed[] = {NULL};
    static const wrap_entry table_wrapped[] = {
        {"concat", charged_concat}, {"insert", charged_shift}, {"remove", charged_shift},
        {"move", charged_move}, {"sort", charged_sort}, {"unpack", charged_unpack}, {NULL, NULL}};
    static const char *const math_removed[] = {
        "random", "randomseed", "sin", "cos", "tan", "asin", "acos", "atan", "exp", "log", NULL};
    static const wrap_entry math_wrapped[] = {{NULL, NULL}};
    static const char *const utf8_removed[] = {NULL};
    static const wrap_entry utf8_wrapped[] = {
        {"codepoint", charged_codepoint}, {"len", charged_scan}, {"offset", charged_scan}, {NULL, NULL}};
    static const char *const globals_removed[] = {
        "load", "loadfile", "dofile", "require", "collectgarbage", "print", "warn", "rawset", LUA_GNAME, NULL};

    edit_library(L, LUA_STRLIBNAME, string_removed, string_wrapped);
    edit_library(L, LUA_TABLIBNAME, table_removed, table_wrapped);
    edit_library(L, LUA_MATHLIBNAME, math_removed, math_wrapped);
    edit_library(L, LUA_UTF8LIBNAME, utf8_removed, utf8_wrapped);

    lua_pushliteral(L, "");                // getmetatable("") must not hand out the string library
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    remove_fields(L, globals_removed);
    lua_pop(L, 1);
}
