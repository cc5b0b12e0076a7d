// Reading results and describing errors (outcome.c).
#ifndef CLUASHIMS_OUTCOME_H
#define CLUASHIMS_OUTCOME_H

#include "internal.h"

/// Formats into `out->text`, truncating to its capacity.
void talon_lua_set_text(CLuaShims_Outcome *out, const char *format, ...);
/// Reads a hook's `count` return values starting at stack index `first`. Runs under lua_pcall.
void talon_lua_read_result(lua_State *L, int first, int count, CLuaShims_Outcome *out);
/// Describes the error object at `index` without allocating in Lua.
void talon_lua_describe_error(lua_State *L, int index, int status, talon_box *box, CLuaShims_Outcome *out);
/// Describes the budget that ran out.
void talon_lua_describe_budget(talon_box *box, CLuaShims_Outcome *out);

#endif
