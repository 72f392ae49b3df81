"""The HTML report's stylesheet, inlined so the file stands alone."""

CSS = """
:root { --ink:#1f2430; --muted:#667085; --line:#e4e7ec; --pass:#1a7f37; --fail:#c62828; --bg:#f6f7f9; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width:1120px; margin:0 auto; padding:24px 20px 48px; }
.banner { border-radius:12px; padding:20px 24px; color:#fff; display:flex; gap:24px; align-items:center; }
.banner.pass { background:linear-gradient(135deg,#1a7f37,#2da44e); }
.banner.fail { background:linear-gradient(135deg,#b42318,#d92d20); }
.verdict { font-size:34px; font-weight:800; letter-spacing:.04em; padding-right:24px;
           border-right:2px solid rgba(255,255,255,.45); }
.banner h1 { margin:0; font-size:22px; }
.banner p { margin:2px 0 0; opacity:.92; }
.meta { font-size:13px; opacity:.85; }
section.card { background:#fff; border:1px solid var(--line); border-radius:12px; padding:18px 22px; margin-top:18px; }
h2 { font-size:17px; margin:0 0 10px; }
h2.gap { margin-top:18px; }
.rec-name { font-size:20px; font-weight:700; }
ul.rationale li, ol.steps li { margin:4px 0; }
.warn { background:#fffbeb; border-color:#f5d778; }
.warn li { color:#7a4d00; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { padding:7px 10px; border-bottom:1px solid var(--line); text-align:right; white-space:nowrap; }
th { background:#f9fafb; color:var(--muted); font-weight:600; font-size:12.5px; }
th:first-child, td:first-child, td.text, th.text { text-align:left; }
td.wrap { white-space:normal; min-width:160px; }
tr.chosen td { background:#eef6ff; font-weight:600; }
tr.skipped td { color:var(--muted); }
.ok { color:var(--pass); font-weight:700; } .bad { color:var(--fail); font-weight:700; }
.star { color:#b58100; }
.figures { display:grid; grid-template-columns:1fr 1fr; gap:16px; }
figure { margin:0; background:#fff; border:1px solid var(--line); border-radius:10px; padding:10px; }
figure.wide { grid-column:1 / -1; }
figure img { width:100%; height:auto; display:block; }
figcaption { font-size:12.5px; color:var(--muted); margin-top:6px; text-align:center; }
dl.facts { display:grid; grid-template-columns:max-content 1fr; gap:4px 18px; margin:0 0 10px; }
dl.facts dt { color:var(--muted); } dl.facts dd { margin:0; }
.scroll { overflow-x:auto; }
footer { color:var(--muted); font-size:12px; margin-top:24px; word-break:break-all; }
"""

REVIEW_CSS = """
.review-controls { display:flex; gap:14px; align-items:center; margin-bottom:10px; flex-wrap:wrap; }
.review-controls input { flex:1; min-width:200px; padding:6px 10px; border:1px solid var(--line); border-radius:8px; }
.review-controls select { padding:5px 8px; border-radius:8px; }
.muted { color:var(--muted); }
.review-table { max-height:640px; overflow:auto; }
#review-table tr.item { cursor:pointer; } #review-table tr.item:hover td { background:#f5f8ff; }
#review-table tr.open td { background:#eef6ff; }
#review-table td.answer { max-width:260px; overflow:hidden; text-overflow:ellipsis; }
#review-table td.wrong { background:#fff5f5; }
#review-detail { margin-top:14px; border-top:2px solid var(--line); padding-top:12px; }
.detail-head { display:flex; justify-content:space-between; align-items:center; }
.rung-detail { border:1px solid var(--line); border-radius:10px; padding:10px 14px; margin:10px 0; }
.rung-detail h3 { margin:0 0 6px; font-size:15px; }
.rung-detail pre { white-space:pre-wrap; background:#f9fafb; padding:8px; border-radius:6px; margin:4px 0; }
.msg { white-space:pre-wrap; font-size:13px; border-left:3px solid var(--line); padding:4px 8px; margin:4px 0; }
.msg b { display:block; color:var(--muted); font-size:11.5px; text-transform:uppercase; }
.msg.assistant { border-color:#2da44e; } .msg.system { border-color:#b58100; }
.label { color:var(--muted); font-size:12px; }
"""
