// Trims the standard libraries to what a contract may use and wraps the functions whose
// work is not bounded by one VM instruction: they charge the instruction budget for the
// elements and bytes they touch (one instruction per element, one per 64 bytes), before
// they run where the work depends on the arguments, after where it depends on the result
// (which the allocator has already bounded), so a loop over them cannot outlast its budget.
// Bytes also count toward the byte budget (alloc.c). The table library refuses tables with
// a metatable other than a read-only proxy's: otherwise it would read their length through
// `__len` and loop to whatever that returns. table.sort is replaced by a merge sort (below);
// string comparisons are charged in compare.c.
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

/// Charges `bytes` of work: one instruction per 64 bytes, and the bytes toward the byte budget.
void talon_lua_charge_bytes(lua_State *L, int64_t bytes) {
    talon_lua_charge(L, bytes / 64);
    talon_lua_touch(L, bytes);
}

/// Charges for the string the call left on top (its result), after the call.
static int charge_result(lua_State *L, int results) {
    if (results > 0) talon_lua_charge_bytes(L, string_length(L, -results));
    return results;
}

static int charged_byte(lua_State *L) {              // string.byte(s, i, j)
    lua_Integer i = int_arg(L, 2, 1);
    talon_lua_charge(L, string_span(string_length(L, 1), i, int_arg(L, 3, i)));
    return call_original(L);
}

static int charged_rep(lua_State *L) {               // string.rep(s, n, sep)
    lua_Integer n = int_arg(L, 2, 0);
    talon_lua_charge(L, 1 + (n > 0 ? n : 0));          // raises before the product can overflow
    if (n > 0) talon_lua_charge_bytes(L, n * (string_length(L, 1) + string_length(L, 3)));
    return call_original(L);
}

static int plain_find(lua_State *L) {                 // string.find(s, sub, init, true)
    if (!lua_toboolean(L, 4))
        return luaL_error(L, "patterns are not available in contracts; use string.find(s, text, init, true)");
    talon_lua_charge(L, 1);
    talon_lua_charge_bytes(L, string_length(L, 1) * (string_length(L, 2) + 1));
    return call_original(L);
}

/// string.upper / lower / reverse / sub / len: one pass over the subject, at most.
static int charged_pass(lua_State *L) {
    talon_lua_charge(L, 1);
    talon_lua_charge_bytes(L, string_length(L, 1));
    return call_original(L);
}

/// string.char / utf8.char: one step per argument.
static int charged_arguments(lua_State *L) {
    talon_lua_charge(L, 1 + lua_gettop(L));
    return charge_result(L, call_original(L));
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
    talon_lua_charge(L, 1 + lua_gettop(L));
    talon_lua_charge_bytes(L, string_length(L, 1));
    return charge_result(L, call_original(L));
}

/// The table argument at `index` of a table-library function: a table without a metatable,
/// or a read-only proxy (whose length and reads are raw, in C). Returns its raw length.
/// Other metatables are refused: Lua's table library reads the length through `__len` and
/// the elements through `__index`/`__newindex`, so a script could make it loop (a `__len`
/// of math.maxinteger) where no charge computed from the table can see.
static int64_t library_table(lua_State *L, int index, const char *name) {
    luaL_checktype(L, index, LUA_TTABLE);
    if (talon_lua_has_foreign_metatable(L, index))
        luaL_error(L, "bad argument #%d to '%s' (the table library refuses tables with a metatable in contracts)",
                   index, name);
    return table_length(L, index);
}

static int charged_concat(lua_State *L) {            // table.concat(t, sep, i, j)
    int64_t n = library_table(L, 1, "concat");
    talon_lua_charge(L, 1 + span(int_arg(L, 3, 1), int_arg(L, 4, n)));
    return charge_result(L, call_original(L));
}

static int charged_insert(lua_State *L) {            // table.insert
    talon_lua_charge(L, 1 + library_table(L, 1, "insert"));
    return call_original(L);
}

static int charged_remove(lua_State *L) {            // table.remove
    talon_lua_charge(L, 1 + library_table(L, 1, "remove"));
    return call_original(L);
}

static int charged_move(lua_State *L) {              // table.move(a1, f, e, t, a2)
    library_table(L, 1, "move");
    if (!lua_isnoneornil(L, 5)) library_table(L, 5, "move");
    talon_lua_charge(L, 1 + span(int_arg(L, 2, 1), int_arg(L, 3, 0)));
    return call_original(L);
}

static int charged_unpack(lua_State *L) {            // table.unpack(t, i, j)
    int64_t n = library_table(L, 1, "unpack");
    talon_lua_charge(L, 1 + span(int_arg(L, 2, 1), int_arg(L, 3, n)));
    return call_original(L);
}

/// Is the value at -2 less than the one at -1? Pops both. Charges one instruction; what
/// the comparison itself does is charged where it runs (the comparator's instructions,
/// compare.c for strings, a `__lt` metamethod's instructions).
static int sort_less(lua_State *L, int comparator) {
    talon_lua_charge(L, 1);
    if (!comparator) {
        int less = lua_compare(L, -2, -1, LUA_OPLT);
        lua_pop(L, 2);
        return less;
    }
    lua_pushvalue(L, comparator);
    lua_insert(L, -3);
    lua_call(L, 2, 1);
    int less = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return less;
}

/// table.sort(t, comp) as a bottom-up merge sort: at most n * ceil(log2 n) comparisons
/// whatever the comparator does, stable, and the same on every node. (Lua's own quicksort
/// picks pivots of large arrays from clock() and time(), so the order of equal elements --
/// and the number of comparator calls, hence the instructions charged -- would differ
/// between nodes; an inconsistent comparator could also make it fail on one node only.)
/// The array is copied out, sorted, and written back at the end.
static int sandbox_sort(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    if (lua_getmetatable(L, 1))
        return luaL_error(L, "bad argument #1 to 'sort' (the table library refuses tables with a metatable in contracts)");
    int64_t n = table_length(L, 1);
    int comparator = 0;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TFUNCTION);
        comparator = 2;
    }
    lua_settop(L, 2);
    talon_lua_charge(L, 1 + n * (bit_length(n) + 1));   // the copies and moves
    if (n < 2) return 0;
    luaL_argcheck(L, n < (1 << 26), 1, "array too big");
    lua_createtable(L, (int)n, 0);                       // 3
    lua_createtable(L, (int)n, 0);                       // 4
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        lua_rawseti(L, 3, i);
    }
    int from = 3, to = 4;
    for (lua_Integer width = 1; width < n; width *= 2) {
        for (lua_Integer lo = 1; lo <= n; lo += 2 * width) {
            lua_Integer mid = lo + width <= n + 1 ? lo + width : n + 1;
            lua_Integer hi = lo + 2 * width <= n + 1 ? lo + 2 * width : n + 1;
            lua_Integer i = lo, j = mid, k = lo;
            while (i < mid && j < hi) {
                lua_rawgeti(L, from, j);
                lua_rawgeti(L, from, i);
                int right_first = sort_less(L, comparator);   // only a strictly smaller right goes first
                lua_rawgeti(L, from, right_first ? j++ : i++);
                lua_rawseti(L, to, k++);
            }
            while (i < mid) { lua_rawgeti(L, from, i++); lua_rawseti(L, to, k++); }
            while (j < hi) { lua_rawgeti(L, from, j++); lua_rawseti(L, to, k++); }
        }
        int swap = from; from = to; to = swap;
    }
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, from, i);
        lua_rawseti(L, 1, i);
    }
    return 0;
}

static int charged_codepoint(lua_State *L) {         // utf8.codepoint(s, i, j)
    lua_Integer i = int_arg(L, 2, 1);
    talon_lua_charge(L, 1 + string_span(string_length(L, 1), i, int_arg(L, 3, i)));
    return call_original(L);
}

/// tonumber: one pass over a string argument. Upvalue 1: the base library's tonumber.
int talon_lua_charged_tonumber(lua_State *L) {
    talon_lua_charge(L, 1);
    talon_lua_charge_bytes(L, string_length(L, 1));
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
        {"byte", charged_byte}, {"rep", charged_rep}, {"find", plain_find}, {"format", checked_format},
        {"upper", charged_pass}, {"lower", charged_pass}, {"reverse", charged_pass}, {"sub", charged_pass},
        {"char", charged_arguments}, {NULL, NULL}};
    static const char *const table_removed[] = {NULL};
    static const wrap_entry table_wrapped[] = {
        {"concat", charged_concat}, {"insert", charged_insert}, {"remove", charged_remove},
        {"move", charged_move}, {"unpack", charged_unpack}, {NULL, NULL}};
    static const char *const math_removed[] = {
        "random", "randomseed", "sin", "cos", "tan", "asin", "acos", "atan", "exp", "log", NULL};
    static const wrap_entry math_wrapped[] = {{NULL, NULL}};
    static const char *const utf8_removed[] = {NULL};
    static const wrap_entry utf8_wrapped[] = {
        {"codepoint", charged_codepoint}, {"len", charged_pass}, {"offset", charged_pass},
        {"char", charged_arguments}, {NULL, NULL}};
    static const char *const globals_removed[] = {
        "load", "loadfile", "dofile", "require", "collectgarbage", "print", "warn", "rawset", LUA_GNAME, NULL};

    edit_library(L, LUA_STRLIBNAME, string_removed, string_wrapped);
    edit_library(L, LUA_TABLIBNAME, table_removed, table_wrapped);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    lua_getfield(L, -1, LUA_TABLIBNAME);
    lua_pushcfunction(L, sandbox_sort);
    lua_setfield(L, -2, "sort");
    lua_pop(L, 2);
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
