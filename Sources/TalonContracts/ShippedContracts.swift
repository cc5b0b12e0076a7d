/// The contracts shipped in `genesis/contracts/`, compiled into the binary so that a command
/// that needs one (`talon bench audit`, `talon contract bench`) works from any directory.
///
/// Each source is a byte-for-byte copy of its file; `ShippedContractSourceTests` fails when
/// they differ. After editing a file in `genesis/contracts/`, paste it here between the
/// delimiters (the raw string keeps every character, and the empty line before the closing
/// delimiter is the file's final newline).
public enum ShippedContracts {
    /// Names (the file names without `.lua`) and sources, in a fixed order.
    public static let all: [(name: String, source: String)] = [
        ("face-value-cap", faceValueCap),
        ("markup-cap-royalty", markupCapRoyalty),
        ("no-resale", noResale),
        ("transfer-limit", transferLimit),
        ("refund-window", refundWindow),
    ]

    /// The source of the shipped contract `name` (e.g. `markup-cap-royalty`), or nil.
    public static func source(_ name: String) -> String? { all.first { $0.name == name }?.source }

    /// genesis/contracts/face-value-cap.lua
    public static let faceValueCap = #"""
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

"""#

    /// genesis/contracts/markup-cap-royalty.lua
    public static let markupCapRoyalty = #"""
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

"""#

    /// genesis/contracts/no-resale.lua
    public static let noResale = #"""
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

"""#

    /// genesis/contracts/transfer-limit.lua
    public static let transferLimit = #"""
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

"""#

    /// genesis/contracts/refund-window.lua
    public static let refundWindow = #"""
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

"""#
}
