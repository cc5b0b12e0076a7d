/// The audit page served at `/audit`: plain HTML, CSS and a small script over the JSON audit
/// API, with nothing fetched from elsewhere (a venue network reaches nothing). State lives
/// in the URL fragment (`#event=E&ticket=T`), so a view can be linked and reloaded.
enum AuditPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Talon audit</title>
<style>
  :root { --ink: #1d2433; --muted: #5b6478; --line: #d9dde6; --bar: #2f6fdd; --cap: #d2372c; --ok: #1f8a4c; --bad: #b3261e; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, sans-serif; color: var(--ink); background: #f6f7fa; }
  header { background: var(--ink); color: #fff; padding: 12px 24px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 20px; margin: 0; }
  header .head { color: #c9d1e3; font-size: 13px; font-family: ui-monospace, monospace; }
  main { padding: 16px 24px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
  h2 { font-size: 16px; margin: 0 0 10px; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .key { font-family: ui-monospace, monospace; font-size: 12px; }
  .ok { color: var(--ok); } .bad { color: var(--bad); }
  .totals { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; margin-bottom: 12px; }
  .totals div { background: #f0f3f9; border-radius: 6px; padding: 6px 8px; }
  .totals b { display: block; font-size: 18px; }
  .totals span { color: var(--muted); font-size: 12px; }
  form { display: flex; gap: 8px; margin-bottom: 8px; }
  select, input, button { font: inherit; padding: 4px 8px; }
  ol.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
  ol.timeline li { margin: 0 0 10px 0; padding-left: 14px; position: relative; }
  ol.timeline li::before { content: ""; position: absolute; left: -8px; top: 6px; width: 11px; height: 11px; border-radius: 50%; background: var(--bar); }
  ol.timeline li.rejected::before { background: var(--bad); }
  .muted { color: var(--muted); }
  a { color: var(--bar); cursor: pointer; }
  #error { color: var(--bad); padding: 0 24px; }
</style>
</head>
<body>
<header>
  <h1>Talon audit</h1>
  <label>Event <select id="event" data-testid="event-picker"></select></label>
  <span class="head" id="head" data-testid="head">no head yet</span>
</header>
<noscript><p style="padding: 0 24px">This page draws its reports with a small script. Without it, read the same answers as JSON under <code>/v1/audit/</code>.</p></noscript>
<p id="error" role="alert"></p>
<main>
  <section id="report" data-testid="resale-report">
    <h2>Resale report</h2>
    <div class="totals" id="totals"></div>
    <svg id="histogram" data-testid="histogram" width="100%" height="200" viewBox="0 0 660 200" role="img" aria-label="Markup distribution"></svg>
    <h2>Rejected attempts</h2>
    <table id="rejected"></table>
  </section>
  <section data-testid="holders">
    <h2>Top holders</h2>
    <table id="holders"></table>
  </section>
  <section data-testid="provenance">
    <h2>Ticket provenance</h2>
    <form id="ticket-form"><input id="ticket" placeholder="ticket id" aria-label="ticket id"><button>Show</button></form>
    <ol class="timeline" id="timeline"></ol>
  </section>
  <section data-testid="entries">
    <h2>Double entries</h2>
    <table id="entries"></table>
  </section>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const state = new URLSearchParams(location.hash.slice(1));
const short = (k) => k ? k.slice(0, 14) + "…" + k.slice(-6) : "—";
const pct = (bp) => bp == null ? "—" : (bp / 100).toFixed(2) + " %";
const money = (v) => v == null ? "—" : (v / 100).toFixed(2);
const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const when = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

async function get(path) {
  const r = await fetch(path, { headers: { accept: "application/json" } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.detail || body.title || r.status);
  return body;
}

function showHead(h) {
  $("head").textContent = `height ${h.head.height} · tree ${h.head.tree_size} · root ${h.head.tree_root.slice(0, 16)}… · signed by ${h.node}`;
}

function table(el, headers, rows) {
  el.innerHTML = "<tr>" + headers.map(([t, num]) => `<th class="${num ? "num" : ""}">${t}</th>`).join("") + "</tr>" +
    rows.map((r) => "<tr>" + r.map((c, i) => `<td class="${headers[i][1] ? "num" : ""}">${c}</td>`).join("") + "</tr>").join("");
}

function histogram(report) {
  const svg = $("histogram"), buckets = report.distribution, max = Math.max(1, ...buckets.map((b) => b.count));
  const w = 600 / buckets.length, x0 = 40;
  let out = `<line x1="${x0}" y1="170" x2="640" y2="170" stroke="#888"/>`;
  buckets.forEach((b, i) => {
    const h = 150 * b.count / max;
    out += `<rect class="bar" x="${x0 + i * w + 1}" y="${170 - h}" width="${w - 2}" height="${h}" fill="#2f6fdd"><title>${b.from_pct ?? "−∞"}…${b.to_pct ?? "∞"} %: ${b.count}</title></rect>`;
    if (i % 2 === 1) out += `<text x="${x0 + i * w}" y="186" font-size="10" fill="#5b6478">${b.from_pct}</text>`;
  });
  out += `<text x="0" y="186" font-size="10" fill="#5b6478">markup %</text><text x="${x0 - 4}" y="24" font-size="10" text-anchor="end" fill="#5b6478">${max}</text>`;
  if (report.cap_pct != null) {
    const markup = report.cap_pct - 100, x = x0 + w * (1 + Math.min(Math.max(markup, -10), 205) / 10);
    out += `<line id="cap-line" data-cap="${report.cap_pct}" x1="${x}" y1="10" x2="${x}" y2="170" stroke="#d2372c" stroke-width="3" stroke-dasharray="6 3"/>` +
      `<text x="${x + 4}" y="20" font-size="11" fill="#d2372c">cap ${report.cap_pct} % of face</text>`;
  }
  svg.innerHTML = out;
}

async function showEvent(id) {
  const [report, holders, entries] = await Promise.all([
    get(`/v1/audit/events/${encodeURIComponent(id)}/resales?limit=1000`),
    get(`/v1/audit/events/${encodeURIComponent(id)}/holders?limit=20`),
    get(`/v1/audit/events/${encodeURIComponent(id)}/entries?limit=100`),
  ]);
  showHead(report.head);
  const t = report.totals;
  $("totals").innerHTML = [
    ["resales", t.resales], ["volume", money(t.volume)], ["royalties", money(t.royalties)], ["median markup", pct(t.median_markup_bp)],
    ["average markup", pct(t.average_markup_bp)], ["max markup", pct(t.max_markup_bp)],
    ["over the cap", t.over_cap == null ? "no cap" : `${t.over_cap} (${pct(t.over_cap_share_bp)})`],
    ["rejected over cap", t.rejected_over_cap ?? "—"],
  ].map(([k, v]) => `<div data-total="${k}"><b>${esc(v)}</b><span>${k}</span></div>`).join("");
  histogram(report);
  table($("rejected"), [["leaf", 1], ["ticket"], ["kind"], ["price", 1], ["markup", 1], ["result"]],
    report.rejected.map((r) => [r.leaf, `<a data-ticket="${esc(r.ticket_id)}">${esc(r.ticket_id)}</a>`, r.kind, money(r.price + r.fees),
      pct(r.markup_bp), `<span class="bad" title="${esc(r.reason ?? "")}">${esc(r.result)}</span>`]));
  table($("holders"), [["holder"], ["sold", 1], ["bought", 1], ["flips", 1], ["acquired", 1], ["avg markup", 1], ["over limit"]],
    holders.holders.map((h) => [`<span class="key" title="${esc(h.key)}">${esc(short(h.key))}</span>`, h.sold, h.bought, h.flips,
      h.acquired, pct(h.average_markup_bp), h.over_limit == null ? "—" : h.over_limit ? '<span class="bad">yes</span>' : "no"]));
  table($("entries"), [["ticket"], ["attempts", 1], ["gates"], ["results"]],
    entries.tickets.map((e) => [`<a data-ticket="${esc(e.ticket_id)}">${esc(e.ticket_id)}</a>`, e.attempts.length,
      e.attempts.map((a) => esc(a.gate_name ?? short(a.gate))).join(", "), e.attempts.map((a) => esc(a.result)).join(", ")]));
}

async function showTicket(id) {
  const p = await get(`/v1/audit/tickets/${encodeURIComponent(id)}`);
  $("ticket").value = id;
  $("timeline").innerHTML = p.steps.map((s) => {
    const money_ = s.price != null ? ` for ${money(s.price + (s.fees ?? 0))}` + (s.markup_bp != null ? ` (${pct(s.markup_bp)})` : "") : "";
    const who = s.to ? `${short(s.from)} → ${short(s.to)}` : s.gate ? `at gate ${short(s.gate)}` : short(s.from ?? s.signer);
    const result = s.result === "ok" ? '<span class="ok">ok</span>' : `<span class="bad">${esc(s.result)}</span>`;
    return `<li class="${s.result === "ok" ? "" : "rejected"}" data-kind="${s.kind}" data-result="${esc(s.result)}"><b>${s.kind}</b> ${result}${money_}` +
      `<br><span class="muted">${when(s.timestamp)} · block ${s.height} · leaf ${s.leaf}</span><br><span class="key">${esc(who)}</span></li>`;
  }).join("");
}

function go() {
  const event = state.get("event"), ticket = state.get("ticket");
  $("error").textContent = "";
  const work = [];
  if (event) { $("event").value = event; work.push(showEvent(event)); }
  if (ticket) work.push(showTicket(ticket));
  Promise.all(work).then(() => document.body.dataset.ready = "yes")
    .catch((e) => { $("error").textContent = String(e.message || e); document.body.dataset.ready = "error"; });
}

function navigate(key, value) { state.set(key, value); location.hash = state.toString(); }

document.addEventListener("click", (e) => { const t = e.target.closest("[data-ticket]"); if (t) navigate("ticket", t.dataset.ticket); });
$("ticket-form").addEventListener("submit", (e) => { e.preventDefault(); navigate("ticket", $("ticket").value.trim()); });
$("event").addEventListener("change", () => navigate("event", $("event").value));
window.addEventListener("hashchange", () => { for (const [k, v] of new URLSearchParams(location.hash.slice(1))) state.set(k, v); go(); });

get("/v1/audit/events").then((r) => {
  showHead(r.head);
  $("event").innerHTML = '<option value="">— pick an event —</option>' +
    r.events.map((e) => `<option value="${esc(e.event_id)}">${esc(e.name)} (${esc(e.event_id)})</option>`).join("");
  go();
}).catch((e) => { $("error").textContent = String(e.message || e); document.body.dataset.ready = "error"; });
</script>
</body>
</html>
"""#
}
