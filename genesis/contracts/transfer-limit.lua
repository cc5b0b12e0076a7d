-- transfer-limit.lua: limits how often a ticket changes hands and how many tickets of the
-- event one buyer may acquire.
--
-- A ticket may change hands (gift or sale) at most max_transfers times after issue: the
-- change that would be number max_transfers + 1 is denied. A buyer (any key receiving a
-- ticket) may acquire at most max_per_buyer tickets of the event in total, counted over
-- all orders and including tickets the buyer has since passed on (ctx.buyer.event_acquisitions),
-- so splitting purchases into several orders does not get around it.
--
-- Hooks
--   on_transfer, on_buy   both limits
--   on_list               the per-ticket limit (a listing that could never sell is refused early)
--   on_rebind             checks the parameters
--
-- Parameters
--   max_transfers   integer 0..1000, default 1
--   max_per_buyer   integer 1..10000, default 4

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
    max_transfers = integer_param(params, "max_transfers", 0, 1000, 1),
    max_per_buyer = integer_param(params, "max_per_buyer", 1, 10000, 4),
  }
end

local function ticket_limit(ctx, p)
  if ctx.ticket.transfers >= p.max_transfers then
    return string.format("this ticket has changed hands %d times; the limit is %d",
      ctx.ticket.transfers, p.max_transfers)
  end
  return nil
end

local function buyer_limit(ctx, p)
  if ctx.buyer.event_acquisitions >= p.max_per_buyer then
    return string.format("the buyer has already acquired %d tickets for this event; the limit is %d",
      ctx.buyer.event_acquisitions, p.max_per_buyer)
  end
  return nil
end

local function both(ctx, params)
  local p = read(params)
  local reason = ticket_limit(ctx, p) or buyer_limit(ctx, p)
  if reason then return false, reason end
  return true
end

on_transfer = both
on_buy = both

function on_list(ctx, params)
  local reason = ticket_limit(ctx, read(params))
  if reason then return false, reason end
  return true
end

function on_rebind(old, new, ctx)
  read(new)
  return true
end
