// Byte-wise, metered string comparison.
//
// Lua 5.4 orders strings with `l_strcmp` (lvm.c), which calls the C library's `strcoll` once
// per NUL-separated piece of the two strings. That has two problems for a contract:
//
// - `strcoll` follows the process's LC_COLLATE, so two nodes in different locales could
//   order the same strings differently and split the cluster;
// - the work is not seen by the instruction budget: `a < b` is one VM instruction, and two
//   16 KiB strings of NUL bytes make 16,000 `strcoll` calls. Sorting 2,000 of them took 14 s
//   while 98,040 instructions were charged.
//
// Lua is a shared library here (Debian's liblua5.4), and it reaches `strcoll` through its
// PLT. Defining `strcoll` in the executable interposes it for the whole process (the linker
// exports a definition that a linked shared library references), so every string comparison
// Lua makes -- `<`, `<=`, `table.sort`'s default order -- comes here. This one compares
// bytes (`memcmp` order, like strcmp in the C locale, whatever the locale is) and, while an
// evaluation runs on this thread, charges it: one instruction per piece plus one per 64
// bytes compared, and the bytes compared count toward the call's byte budget. When the
// budget runs out it raises at once (a Lua error from inside a comparison, exactly where
// Lua itself raises "attempt to compare"), so even a comparison loop inside C stops.
//
// Nothing else in Talon calls strcoll; outside an evaluation this is just a byte-wise
// comparison, which is what the C locale Talon runs in does anyway. `talon_lua_load` checks
// that the interposition is in effect and refuses to load any contract if it is not (a
// build that linked Lua statically would otherwise lose the metering silently).
#include "internal.h"
#include <string.h>

/// The state whose evaluation is running on this thread, or NULL.
static _Thread_local lua_State *metered_state;

void talon_lua_meter_comparisons(lua_State *L) {
    metered_state = L;
}

int strcoll(const char *a, const char *b) {
    size_t la = strlen(a);
    size_t lb = strnlen(b, la + 1);
    size_t n = (la < lb ? la : lb) + 1;            // includes the shorter one's NUL
    int c = memcmp(a, b, n);
    lua_State *L = metered_state;
    if (L) {
        talon_box *box = talon_lua_box(L);
        box->compared += (int64_t)n;
        talon_lua_touch(L, (int64_t)n);
        talon_lua_charge(L, 1 + (int64_t)n / 64);
    }
    return c < 0 ? -1 : c > 0;
}
