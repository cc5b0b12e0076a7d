// Decodes the context and parameters Swift encodes (WireWriter.swift) into Lua
// tables, each behind a read-only proxy. Runs under lua_pcall; malformed input raises.
//
//   value  = 'i' int64 (little-endian)
//          | 's' u32 length, bytes
//          | 'T' | 'F'                      booleans
//          | 'm' u32 count, count * (u32 length, key bytes, value)   string-keyed table
//          | 'a' u32 count, count * value  array, keys 1...count
#include "internal.h"
#include <string.h>

#define TALON_WIRE_MAX_DEPTH 16

typedef struct reader {
    const uint8_t *p;
    const uint8_t *end;
} reader;

static void malformed(lua_State *L) {
    luaL_error(L, "malformed context encoding");
}

static uint32_t read_u32(lua_State *L, reader *r) {
    if (r->end - r->p < 4) malformed(L);
    uint32_t v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return v;
}

static const char *read_bytes(lua_State *L, reader *r, size_t *length) {
    *length = read_u32(L, r);
    if ((size_t)(r->end - r->p) < *length) malformed(L);
    const char *bytes = (const char *)r->p;
    r->p += *length;
    return bytes;
}

static void push_value(lua_State *L, reader *r, int depth) {
    if (depth > TALON_WIRE_MAX_DEPTH) luaL_error(L, "context nested too deeply");
    luaL_checkstack(L, 4, "context");
    if (r->p >= r->end) malformed(L);
    uint8_t tag = *r->p++;
    size_t length;
    switch (tag) {
    case 'i': {
        if (r->end - r->p < 8) malformed(L);
        uint64_t v = 0;
        for (int i = 7; i >= 0; i--) v = v << 8 | r->p[i];
        r->p += 8;
        lua_pushinteger(L, (lua_Integer)v);
        return;
    }
    case 's': {
        const char *bytes = read_bytes(L, r, &length);
        lua_pushlstring(L, bytes, length);
        return;
    }
    case 'T': lua_pushboolean(L, 1); return;
    case 'F': lua_pushboolean(L, 0); return;
    case 'm': {
        uint32_t count = read_u32(L, r);
        if ((size_t)(r->end - r->p) < (size_t)count * 5) malformed(L);
        lua_createtable(L, 0, (int)count);
        for (uint32_t n = 0; n < count; n++) {
            const char *bytes = read_bytes(L, r, &length);
            lua_pushlstring(L, bytes, length);
            push_value(L, r, depth + 1);
            lua_rawset(L, -3);
        }
        talon_lua_freeze(L, talon_lua_readonly_newindex);
        return;
    }
    case 'a': {
        uint32_t count = read_u32(L, r);
        if ((size_t)(r->end - r->p) < (size_t)count) malformed(L);
        lua_createtable(L, (int)count, 0);
        for (uint32_t n = 1; n <= count; n++) {
            push_value(L, r, depth + 1);
            lua_rawseti(L, -2, n);
        }
        talon_lua_freeze(L, talon_lua_readonly_newindex);
        return;
    }
    default:
        malformed(L);
    }
}

/// Pushes the decoded value (nil for an empty encoding).
void talon_lua_push_wire(lua_State *L, const uint8_t *data, size_t length) {
    if (data == NULL || length == 0) {
        lua_pushnil(L);
        return;
    }
    reader r = {data, data + length};
    push_value(L, &r, 0);
    if (r.p != r.end) malformed(L);
}
