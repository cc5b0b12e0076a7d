-- face-value-cap.lua: no resale above face value, fees included.
--
-- The rule of Ireland's Sale of Tickets Act 2021 (and of UK primary sellers' resale
-- terms): whatever a buyer pays on resale, price plus every fee, may not exceed the face
-- value printed on the ticket (which already includes the primary seller's booking fees).
--
-- Hooks
--   on_list, on_buy   allowed iff operation.price + operation.fees <= ticket.face_value
--   on_rebind         checks the parameters (there are none; any given are refused)
-- Gifts (on_transfer) are not sales and are not restricted.
--
-- Parameters: none.

local function within_face_value(ctx)
  local op, ticket = ctx.operation, ctx.ticket
  local total = op.price + op.fees
  if total > ticket.face_value then
    return false, string.format("price %d plus fees %d is %d, above the face value %d",
      op.price, op.fees, total, ticket.face_value)
  end
  return true
end

function on_list(ctx, params)
  return within_face_value(ctx)
end

function on_buy(ctx, params)
  return within_face_value(ctx)
end

function on_rebind(old, new, ctx)
  for name in pairs(new or {}) do
    return false, "face-value-cap takes no parameters (got " .. name .. ")"
  end
  return true
end
