// The dashboard's stylesheet: our own, inlined (no CDN, no build step). Readable at 1280×800 and at a
// phone's width: tables scroll sideways inside their box instead of widening the page.
export const DASHBOARD_CSS = `
:root { --fg:#1d2330; --muted:#6b7280; --line:#e5e7eb; --bg:#f8fafc; --card:#fff; --accent:#4f46e5;
  --ok:#047857; --ok-bg:#d1fae5; --bad:#b91c1c; --bad-bg:#fee2e2; --busy:#1d4ed8; --busy-bg:#dbeafe; --wait:#92400e; --wait-bg:#fef3c7; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header.top { display:flex; flex-wrap:wrap; gap:.5rem 1.5rem; align-items:center; padding:.6rem 1rem; background:#111827; }
header.top a { color:#e5e7eb; text-decoration:none; }
header.top .brand { font-weight:700; color:#fff; }
header.top nav { display:flex; flex-wrap:wrap; gap:.25rem 1rem; }
header.top nav a.current { color:#fff; border-bottom:2px solid #a5b4fc; }
form.project-switch { display:flex; gap:.3rem; align-items:center; } form.project-switch select { max-width:16rem; padding:.15rem .4rem; } form.project-switch input[type=submit] { padding:.15rem .5rem; background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
pre.env { background:#0f172a; color:#e2e8f0; padding:.7rem; border-radius:6px; overflow-x:auto; font-size:12px; margin:.3rem 0; user-select:all; }
main { padding:1rem; max-width:1400px; margin:0 auto; }
h1 { font-size:1.3rem; margin:.2rem 0 1rem; word-break:break-all; }
h2 { font-size:1.05rem; margin:1.4rem 0 .5rem; }
a { color:var(--accent); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; margin-bottom:1rem; min-width:0; }
.card > h2:first-child { margin-top:0; }
table.compact td { white-space:normal; }
.scroll { overflow-x:auto; }
table { border-collapse:collapse; width:100%; background:var(--card); }
th, td { text-align:left; padding:.4rem .6rem; border-bottom:1px solid var(--line); vertical-align:top; white-space:nowrap; }
td.wrap { white-space:normal; word-break:break-word; min-width:9rem; }
th { font-weight:600; color:var(--muted); font-size:.8rem; text-transform:uppercase; letter-spacing:.03em; }
.badge { display:inline-block; padding:.05rem .45rem; border-radius:999px; font-size:.75rem; font-weight:600; background:#f3f4f6; color:var(--muted); }
.badge.ok { background:var(--ok-bg); color:var(--ok); } .badge.bad { background:var(--bad-bg); color:var(--bad); }
.badge.busy { background:var(--busy-bg); color:var(--busy); } .badge.wait { background:var(--wait-bg); color:var(--wait); }
.tag { display:inline-block; margin:0 .25rem .15rem 0; padding:0 .4rem; border:1px solid var(--line); border-radius:4px; font-size:.75rem; background:#fff; }
.muted { color:var(--muted); }
.low { color:var(--bad); font-weight:600; }
pre.json, pre.log { background:#0f172a; color:#e2e8f0; padding:.7rem; border-radius:6px; overflow:auto; max-height:420px; font-size:12px; margin:.3rem 0; white-space:pre-wrap; word-break:break-word; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:.25rem 1rem; margin:0; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; word-break:break-all; }
.grid { display:grid; grid-template-columns:repeat(auto-fit, minmax(320px, 1fr)); gap:1rem; }
form.filters { display:flex; flex-wrap:wrap; gap:.5rem; align-items:end; margin-bottom:1rem; }
form.filters label, form.stack label { display:flex; flex-direction:column; font-size:.8rem; color:var(--muted); gap:.15rem; }
form.stack { display:flex; flex-direction:column; gap:.6rem; max-width:760px; }
input, select, textarea, button { font:inherit; padding:.35rem .5rem; border:1px solid #cbd5e1; border-radius:6px; background:#fff; color:var(--fg); }
textarea { font-family:ui-monospace, SFMono-Regular, Menlo, monospace; font-size:12px; min-height:14rem; width:100%; }
button { background:var(--accent); color:#fff; border-color:var(--accent); cursor:pointer; }
button.danger { background:#fff; color:var(--bad); border-color:#fca5a5; }
form.inline { display:inline; margin-right:.4rem; }
.actions { display:flex; flex-wrap:wrap; gap:.4rem; align-items:center; margin:.5rem 0 1rem; }
.flash { margin:.8rem auto 0; max-width:1400px; padding:.6rem 1rem; border-radius:6px; }
.flash.error { background:var(--bad-bg); color:var(--bad); } .flash.ok { background:var(--ok-bg); color:var(--ok); }
.pager { display:flex; gap:1rem; margin:.8rem 0; }
ul.tree { list-style:none; padding-left:1rem; margin:.2rem 0; border-left:1px solid var(--line); }
.timeline li { margin-bottom:.2rem; }
#trace th:last-child { width:30%; }
.span-row td:first-child { font-family:ui-monospace, monospace; }
.bar { height:6px; background:#c7d2fe; border-radius:3px; min-width:2px; }
iframe.mail { width:100%; min-height:420px; border:1px solid var(--line); border-radius:6px; background:#fff; }
@media (max-width: 640px) { main { padding:.6rem; } th, td { padding:.3rem .4rem; } h1 { font-size:1.1rem; } }
`;
