-- no-resale.lua: tickets cannot be resold; optionally they cannot even be given away.
--
-- Hooks
--   on_list, on_buy   always denied
--   on_transfer       allowed for free gifts (price 0) unless allow_gifts is false
--   on_rebind         checks the parameters
--
-- Parameters
--   allow_gifts   boolean, default true

local function allow_gifts(params)
  local value = params.allow_gifts
  if value == nil then return true end
  if type(value) ~= "boolean" then error("parameter allow_gifts must be true or false", 0) end
  return value
end

function on_list(ctx, params)
  return false, "resale is not allowed for this event"
end

function on_buy(ctx, params)
  return false, "resale is not allowed for this event"
end

function on_transfer(ctx, params)
  if not allow_gifts(params) then
    return false, "tickets for this event cannot be transferred"
  end
  if ctx.operation.price > 0 then
    return false, "a transfer may not carry a price; resale is not allowed for this event"
  end
  return true
end

function on_rebind(old, new, ctx)
  allow_gifts(new)
  return true
end
