/** The report's inline stylesheet: system fonts only (nothing to fetch), readable printed and on screen. */
export const STYLE = `
:root { --fg:#1d2329; --muted:#5f6b76; --line:#d9dee3; --pass:#1e7d3a; --fail:#b3261e; --error:#8a5300; --bg:#fff; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg);
  max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
section { border-top: 2px solid var(--line); padding-top: 18px; margin-top: 26px; }
.muted { color: var(--muted); }
.small { font-size: 12px; }
.toc { padding-left: 18px; margin: 10px 0 0; }
.toc a { color: inherit; text-decoration: none; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 11px; font-weight: 700;
  letter-spacing: .04em; color: #fff; vertical-align: 2px; }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); } .badge.error { background: var(--error); }
.badge.tcgb { background: #6d3fc0; }
.verdict { padding: 8px 12px; border-left: 4px solid var(--line); background: #f6f8fa; margin: 8px 0 12px; }
.verdict.pass { border-color: var(--pass); } .verdict.fail { border-color: var(--fail); } .verdict.error { border-color: var(--error); }
.verdict p, .verdict ul { margin: 4px 0 0; }
.breaches li { color: var(--fail); }
.tcg { border: 2px solid #b3261e; background: #fdecea; color: #8c1d18; font-weight: 700; padding: 8px 12px; border-radius: 4px; }
.warn { color: var(--error); }
.badtext { color: var(--fail); }
.plot { margin: 6px 0; overflow-x: auto; }
.plot figure { margin: 0; }
.legend { font-size: 12px; margin: 2px 0 4px 56px; }
.legend span { margin-right: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px; vertical-align: -1px; border-radius: 2px; }
table { border-collapse: collapse; margin: 10px 0; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 9px; }
thead th { border-bottom: 2px solid var(--muted); font-weight: 600; }
table.num td { text-align: right; font-variant-numeric: tabular-nums; }
table.num tbody th { text-align: left; font-weight: 500; }
td.bad { color: var(--fail); font-weight: 700; background: #fdecea; }
td.ratio { color: var(--muted); }
td.ratio.bad { color: var(--fail); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; word-break: break-all; }
ul.runs { margin: 0 0 8px; padding-left: 18px; }
footer { margin-top: 36px; border-top: 1px solid var(--line); padding-top: 10px; }
@media print { body { max-width: none; } section { break-inside: avoid-page; } }
`;
