-- markup-cap-royalty.lua: resale capped at a percentage of face value, with a royalty
-- to the organizer.
--
-- For rules like New South Wales' (resale at most 110% of the original price) or
-- Maine's: what a buyer pays, price plus fees, may be at most max_price_pct percent of the
-- face value. The check is exact integer arithmetic, (price + fees) * 100 <= face_value *
-- max_price_pct, so a price exactly at the cap passes and one minor unit more does not.
-- On a sale the organizer receives royalty_pct percent of the price (fees excluded),
-- rounded DOWN to the minor unit: royalty = price * royalty_pct // 100.
--
-- Hooks
--   on_list     the cap
--   on_buy      the cap, then { allow = true, royalty = ... }
--   on_rebind   checks the new parameters
--
-- Parameters
--   max_price_pct  integer 100..1000, default 110
--   royalty_pct    integer 0..100, default 0

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
    max_price_pct = integer_param(params, "max_price_pct", 100, 1000, 110),
    royalty_pct = integer_param(params, "royalty_pct", 0, 100, 0),
  }
end

local function over_cap(ctx, p)
  local op, face = ctx.operation, ctx.ticket.face_value
  local total = op.price + op.fees
  if total * 100 > face * p.max_price_pct then
    return string.format("price %d plus fees %d is %d, above %d%% of the face value %d (at most %d)",
      op.price, op.fees, total, p.max_price_pct, face, face * p.max_price_pct // 100)
  end
  return nil
end

function on_list(ctx, params)
  local reason = over_cap(ctx, read(params))
  if reason then return false, reason end
  return true
end

function on_buy(ctx, params)
  local p = read(params)
  local reason = over_cap(ctx, p)
  if reason then return false, reason end
  return { allow = true, royalty = ctx.operation.price * p.royalty_pct // 100 }
end

function on_rebind(old, new, ctx)
  read(new)
  return true
end
