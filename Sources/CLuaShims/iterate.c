// Deterministic `pairs` and `next`.
//
// Lua 5.4 seeds its string hash per state from the clock and addresses (luai_makeseed;
// Debian's liblua5.4 keeps that default), so the raw traversal order of a table with
// string keys differs between nodes -- and between runs of one node. A contract whose
// decision depended on that order would split the cluster. These replacements visit keys
// in one total order instead: numbers ascending (so arrays come out as ipairs would), then
// false, true, then strings by bytes. Keys of other types (tables, functions) have no
// order that is the same on every node, so iterating a table holding one is an error.
//
// Cost: pairs sorts the keys once (charged n * (log2 n + 1) instructions); next scans the
// table on every call (charged n), so iterating with next is quadratic -- use pairs.
#include "internal.h"
#include <stdlib.h>
#include <string.h>

typedef struct key {
    int kind;               // 0 number, 1 boolean, 2 string
    int is_float;
    lua_Integer i;          // integer value, or the boolean
    lua_Number d;           // float value
    const char *s;          // string bytes (anchored by the table while we use them)
    size_t length;
    lua_Integer position;   // where the key sits in the unsorted key list
} key;

static const char *unordered_message =
    "table has keys that are not numbers, strings or booleans; their order would differ between nodes";

static int read_key(lua_State *L, int index, key *k) {
    memset(k, 0, sizeof *k);
    switch (lua_type(L, index)) {
    case LUA_TNUMBER:
        k->kind = 0;
        int exact = 0;
        k->i = lua_tointegerx(L, index, &exact);   // integral floats order as integers
        if (!exact) { k->is_float = 1; k->d = lua_tonumber(L, index); }
        return 1;
    case LUA_TBOOLEAN:
        k->kind = 1;
        k->i = lua_toboolean(L, index);
        return 1;
    case LUA_TSTRING:
        k->kind = 2;
        k->s = lua_tolstring(L, index, &k->length);
        return 1;
    default:
        return 0;
    }
}

/// Orders an integer and a float that are never equal (a float key with an integral
/// value is stored as an integer). Returns -1 if i < d, 1 if i > d.
static int compare_int_float(lua_Integer i, lua_Number d) {
    if (d >= 9223372036854775808.0) return -1;
    if (d < -9223372036854775808.0) return 1;
    lua_Number floor_d = (lua_Number)(lua_Integer)d;
    if (floor_d > d) floor_d -= 1;            // floor for negative non-integral d
    lua_Integer f = (lua_Integer)floor_d;
    return i <= f ? -1 : 1;
}

static int compare_keys(const key *a, const key *b) {
    if (a->kind != b->kind) return a->kind < b->kind ? -1 : 1;
    switch (a->kind) {
    case 0:
        if (!a->is_float && !b->is_float) return a->i < b->i ? -1 : a->i > b->i;
        if (a->is_float && b->is_float) return a->d < b->d ? -1 : a->d > b->d;
        if (!a->is_float) return compare_int_float(a->i, b->d);
        return -compare_int_float(b->i, a->d);
    case 1:
        return (int)(a->i - b->i);
    default: {
        size_t n = a->length < b->length ? a->length : b->length;
        int c = memcmp(a->s, b->s, n);
        if (c != 0) return c < 0 ? -1 : 1;
        return a->length < b->length ? -1 : a->length > b->length;
    }
    }
}

static int compare_for_qsort(const void *a, const void *b) {
    return compare_keys(a, b);
}

static int64_t bit_length(int64_t n) {
    int64_t bits = 0;
    while (n > 0) { bits++; n >>= 1; }
    return bits;
}

/// The iterator pairs returns. Upvalues: the table, its sorted keys, the position.
static int pairs_step(lua_State *L) {
    lua_Integer position = lua_tointeger(L, lua_upvalueindex(3));
    lua_Integer count = (lua_Integer)lua_rawlen(L, lua_upvalueindex(2));
    while (position < count) {
        position++;
        lua_rawgeti(L, lua_upvalueindex(2), position);
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {   // skip keys removed meanwhile
            lua_pushinteger(L, position);
            lua_replace(L, lua_upvalueindex(3));
            return 2;
        }
        lua_pop(L, 2);
    }
    lua_pushinteger(L, position);
    lua_replace(L, lua_upvalueindex(3));
    lua_pushnil(L);
    return 1;
}

int talon_lua_pairs(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    talon_lua_unwrap(L, 2);                               // 2: the table itself
    int64_t count = 0;
    lua_createtable(L, 0, 0);                             // 3: its keys, unsorted
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, 3, ++count);
    }
    talon_lua_charge(L, count * (bit_length(count) + 1));
    key *keys = lua_newuserdatauv(L, (size_t)count * sizeof(key) + 1, 0);   // 4
    for (int64_t n = 1; n <= count; n++) {
        lua_rawgeti(L, 3, n);
        if (!read_key(L, -1, &keys[n - 1])) return luaL_error(L, "pairs: %s", unordered_message);
        keys[n - 1].position = n;
        lua_pop(L, 1);
    }
    qsort(keys, (size_t)count, sizeof(key), compare_for_qsort);
    lua_pushvalue(L, 2);                                  // upvalue 1: the table
    lua_createtable(L, (int)count, 0);                    // upvalue 2: sorted keys
    for (int64_t n = 1; n <= count; n++) {
        lua_rawgeti(L, 3, keys[n - 1].position);
        lua_rawseti(L, -2, n);
    }
    lua_pushinteger(L, 0);                                // upvalue 3: position
    lua_pushcclosure(L, pairs_step, 3);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

int talon_lua_next(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    talon_lua_unwrap(L, 1);
    key after, best, current;
    int has_after = !lua_isnil(L, 2), has_best = 0;
    if (has_after && !read_key(L, 2, &after)) return luaL_error(L, "next: %s", unordered_message);
    int64_t count = 0;
    lua_pushnil(L);                                       // 3: the best key so far
    lua_pushnil(L);                                       // 4: traversal key
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        count++;
        if (!read_key(L, -1, &current)) return luaL_error(L, "next: %s", unordered_message);
        if (has_after && compare_keys(&current, &after) <= 0) continue;
        if (!has_best || compare_keys(&current, &best) < 0) {
            best = current;
            has_best = 1;
            lua_pushvalue(L, -1);
            lua_replace(L, 3);
        }
    }
    talon_lua_charge(L, count);
    if (!has_best) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushvalue(L, 3);
    lua_rawget(L, 1);
    return 2;
}
