-- refund-window.lua: full refund until some hours before the start, a partial refund
-- after that, none once the event has started, and always a full refund if the event is
-- cancelled.
--
-- Refunds are of what the holder paid (ctx.ticket.paid). The partial refund rounds UP to
-- the minor unit, in the fan's favour: refund = (paid * partial_pct + 99) // 100.
-- "Until N hours before" includes the instant exactly N hours before the start.
--
-- Hooks
--   on_refund   the window (full / partial / none), or full if the event is cancelled
--   on_cancel   full refund of every ticket
--   on_rebind   a window may be loosened but not tightened once published: the new
--               full_refund_hours may not be larger (a shorter full-refund window) and the
--               new partial_pct may not be smaller. The ledger calls on_rebind when the
--               issuer changes a binding's parameters (with old = nil at first binding,
--               which only checks them); a denial keeps the old parameters.
--
-- Parameters
--   full_refund_hours   integer 0..8760, default 48
--   partial_pct         integer 0..100, default 50

local HOUR = 3600 * 1000 -- block time is in milliseconds

local function integer_param(params, name, low, high, default)
  local value = params[name]
  if value == nil then return default end
  if math.type(value) ~= "integer" or value < low or value > high then
    error(string.format("parameter %s must be an integer from %d to %d", name, low, high), 0)
  end
  return value
end

local function read(params)
  return {
    full_refund_hours = integer_param(params, "full_refund_hours", 0, 8760, 48),
    partial_pct = integer_param(params, "partial_pct", 0, 100, 50),
  }
end

function on_refund(ctx, params)
  local p = read(params)
  local paid, now, start = ctx.ticket.paid, ctx.now, ctx.event.starts_at
  if ctx.event.cancelled then
    return { allow = true, refund = paid, reason = "the event is cancelled: full refund" }
  end
  if now >= start then
    return false, "the event has started: no refund"
  end
  if now <= start - p.full_refund_hours * HOUR then
    return { allow = true, refund = paid, reason = "full refund" }
  end
  if p.partial_pct == 0 then
    return false, string.format("no refund within %d hours of the start", p.full_refund_hours)
  end
  return {
    allow = true,
    refund = (paid * p.partial_pct + 99) // 100,
    reason = string.format("%d%% refund within %d hours of the start", p.partial_pct, p.full_refund_hours),
  }
end

function on_cancel(ctx, params)
  return { allow = true, refund = ctx.ticket.paid, reason = "the event is cancelled: full refund" }
end

function on_rebind(old, new, ctx)
  local n = read(new)
  if old == nil then return true end
  local o = read(old)
  if n.full_refund_hours > o.full_refund_hours then
    return false, string.format("the full-refund window may not be shortened (%d hours before the start, now %d)",
      o.full_refund_hours, n.full_refund_hours)
  end
  if n.partial_pct < o.partial_pct then
    return false, string.format("the partial refund may not be lowered (%d%%, now %d%%)", o.partial_pct, n.partial_pct)
  end
  return true
end
