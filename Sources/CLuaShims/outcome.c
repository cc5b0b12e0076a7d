// Turns what a protected call left behind -- a hook's return values, or an error object --
// into the plain CLuaShims_Outcome that Swift reads. Reading results happens inside the
// protected call; describing an error happens after it and never allocates in Lua.
#include "outcome.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TALON_MAX_REASON 256

void talon_lua_set_text(CLuaShims_Outcome *out, const char *format, ...) {
    va_list args;
    va_start(args, format);
    int n = vsnprintf(out->text, CLuaShims_TEXT_CAPACITY, format, args);
    va_end(args);
    if (n < 0) n = 0;
    out->text_len = (uint32_t)(n < CLuaShims_TEXT_CAPACITY ? n : CLuaShims_TEXT_CAPACITY - 1);
}

static void result_error(CLuaShims_Outcome *out, const char *message) {
    out->status = CLuaShims_RESULT;
    out->allow = 0;
    talon_lua_set_text(out, "%s", message);
}

/// Copies the reason at `index` (a string); 0 with a result error if it is too long.
static int read_reason(lua_State *L, int index, CLuaShims_Outcome *out) {
    size_t length = 0;
    const char *reason = lua_tolstring(L, index, &length);
    if (length > TALON_MAX_REASON) {
        result_error(out, "the reason is longer than 256 bytes");
        return 0;
    }
    memcpy(out->text, reason, length);
    out->text_len = (uint32_t)length;
    return 1;
}

/// Reads an optional amount field. Returns 0 with a result error when it is not a
/// non-negative integer.
static int read_amount(lua_State *L, int table, const char *name, int64_t *value, int32_t *present,
                       int *fields, CLuaShims_Outcome *out) {
    int type = lua_getfield(L, table, name);
    if (type == LUA_TNIL) {
        lua_pop(L, 1);
        return 1;
    }
    (*fields)++;
    if (type != LUA_TNUMBER) {
        out->status = CLuaShims_RESULT;
        talon_lua_set_text(out, "%s must be an integer amount in minor units, got a %s", name, lua_typename(L, type));
        return 0;
    }
    if (!lua_isinteger(L, -1)) {
        out->status = CLuaShims_RESULT;
        talon_lua_set_text(out, "%s must be an integer amount in minor units, got a float", name);
        return 0;
    }
    lua_Integer amount = lua_tointeger(L, -1);
    lua_pop(L, 1);
    if (amount < 0) {
        out->status = CLuaShims_RESULT;
        talon_lua_set_text(out, "%s must not be negative", name);
        return 0;
    }
    *value = amount;
    *present = 1;
    return 1;
}

static void read_table(lua_State *L, int table, CLuaShims_Outcome *out) {
    if (lua_getmetatable(L, table)) {
        result_error(out, "the decision must be a plain table (no metatable)");
        return;
    }
    int fields = 0;
    if (lua_getfield(L, table, "allow") != LUA_TBOOLEAN) {
        result_error(out, "the decision table needs allow = true or false");
        return;
    }
    fields++;
    out->allow = lua_toboolean(L, -1);
    lua_pop(L, 1);
    int type = lua_getfield(L, table, "reason");
    if (type != LUA_TNIL) {
        fields++;
        if (type != LUA_TSTRING) {
            result_error(out, "reason must be a string");
            return;
        }
        if (!read_reason(L, -1, out)) return;
    }
    lua_pop(L, 1);
    if (!read_amount(L, table, "royalty", &out->royalty, &out->has_royalty, &fields, out)) return;
    if (!read_amount(L, table, "refund", &out->refund, &out->has_refund, &fields, out)) return;
    int count = 0;
    lua_pushnil(L);
    while (lua_next(L, table)) {
        lua_pop(L, 1);
        count++;
    }
    if (count != fields) result_error(out, "the decision table has fields other than allow, reason, royalty and refund");
}

void talon_lua_read_result(lua_State *L, int first, int count, CLuaShims_Outcome *out) {
    out->status = CLuaShims_OK;
    out->has_hook = 1;
    out->allow = 0;
    out->text_len = 0;
    if (count == 0) {
        result_error(out, "the hook returned nothing; return true, or false and a reason, or a decision table");
        return;
    }
    int type = lua_type(L, first);
    if (type == LUA_TBOOLEAN) {
        out->allow = lua_toboolean(L, first);
        if (count > 2) {
            result_error(out, "the hook returned more than a boolean and a reason");
        } else if (count == 2 && !lua_isnil(L, first + 1)) {
            if (lua_type(L, first + 1) != LUA_TSTRING) result_error(out, "the reason must be a string");
            else read_reason(L, first + 1, out);
        }
        return;
    }
    if (type == LUA_TTABLE) {
        if (count > 1) result_error(out, "the hook returned more than a decision table");
        else read_table(L, first, out);
        return;
    }
    out->status = CLuaShims_RESULT;
    talon_lua_set_text(out, "the hook returned a %s; return true, or false and a reason, or a decision table",
                       lua_typename(L, type));
}

/// "contract:12: boom" -> line 12, "boom".
static const char *strip_position(const char *message, size_t *length, int *line) {
    static const char prefix[] = "contract:";
    size_t n = sizeof prefix - 1;
    if (*length <= n || memcmp(message, prefix, n) != 0) return message;
    size_t i = n;
    int value = 0;
    while (i < *length && message[i] >= '0' && message[i] <= '9' && value < 100000000) value = value * 10 + (message[i++] - '0');
    if (i == n || i + 1 >= *length || message[i] != ':' || message[i + 1] != ' ') return message;
    *line = value;
    *length -= i + 2;
    return message + i + 2;
}

void talon_lua_describe_error(lua_State *L, int index, int status, talon_box *box, CLuaShims_Outcome *out) {
    out->line = box->line;
    const char *context = status == LUA_ERRERR ? "error in error handling: " : "";
    switch (lua_type(L, index)) {
    case LUA_TSTRING: {
        size_t length = 0;
        const char *message = lua_tolstring(L, index, &length);
        int line = 0;
        message = strip_position(message, &length, &line);
        if (line > 0) out->line = line;
        talon_lua_set_text(out, "%s%.*s", context, (int)(length > 400 ? 400 : length), message);
        break;
    }
    case LUA_TNUMBER:
        if (lua_isinteger(L, index)) talon_lua_set_text(out, "%s%lld", context, (long long)lua_tointeger(L, index));
        else talon_lua_set_text(out, "%s%.14g", context, (double)lua_tonumber(L, index));
        break;
    default:
        talon_lua_set_text(out, "%serror object is a %s value", context, lua_typename(L, lua_type(L, index)));
    }
}

void talon_lua_describe_budget(talon_box *box, CLuaShims_Outcome *out) {
    out->status = box->failure;
    out->line = box->line;
    out->allow = 0;
    switch (box->failure) {
    case CLuaShims_BUDGET_INSTRUCTIONS:
        talon_lua_set_text(out, "instruction budget of %lld exceeded", (long long)box->limits.instructions);
        break;
    case CLuaShims_BUDGET_BYTES:
        talon_lua_set_text(out, "byte budget of %lld exceeded (bytes allocated and compared)", (long long)box->limits.touch_bytes);
        break;
    case CLuaShims_BUDGET_STRING:
        talon_lua_set_text(out, "a string longer than %lld bytes", (long long)box->limits.max_string);
        break;
    default:
        talon_lua_set_text(out, "memory cap of %lld bytes exceeded", (long long)box->limits.call_memory);
    }
}
