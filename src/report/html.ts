// report.html as a string: header, tables, one card per chart, config, and the plotting library plus the
// chart specs inlined, so the file opens with no network. Pure: everything it shows comes in as arguments.
import type { ChartSpec, OmittedChart } from './charts.js';
import { renderCharts } from './client.js';
import { fmtNum, fmtPct, fmtSeconds, runFinals, TAIL_STEPS, type FirstLast, type RunFinals } from './finals.js';
import type { ReportInput, Summary } from './load.js';
import { REPORT_CSS } from './style.js';

export interface HtmlParts {
  input: ReportInput;
  charts: ChartSpec[];
  omitted: OmittedChart[];
  /** The plotting library's minified browser bundle (Chart.js UMD), and its name for the footer. */
  libSource: string;
  libName: string;
  /** Shown in the header; passed in so the function stays pure. */
  generatedAt: Date;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A script body must not contain `</script`, or the HTML parser would end it early. */
function inlineScript(body: string, what: string): string {
  if (/<\/script/i.test(body)) throw new Error(`${what} contains "</script" and cannot be inlined`);
  return body;
}

/** Drop the bundle's source-map comment: the map is not in the file, and a viewer would try to fetch it. */
export function stripSourceMap(js: string): string {
  return js.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
}

/** Summary keys that hold fractions, shown as percentages. */
const PCT_KEYS = /^(pass1|maj|best|greedy|.*acc.*|.*share.*|.*frac.*|rollout_.*)$/;
const KEY_NAMES: Record<string, string> = { pass1: 'pass@1', maj: 'maj@k', best: 'best@k', label_acc: 'label acc', reward_acc: 'reward acc' };

function firstLastCell(v: FirstLast | undefined): string {
  if (!v) return '–';
  if (v.firstStep === v.lastStep) return `${fmtPct(v.last)} <span class="dim">(step ${v.lastStep})</span>`;
  const d = (v.last - v.first) * 100;
  const cls = d > 0 ? 'up' : d < 0 ? 'down' : 'dim';
  return `${fmtPct(v.first)} → <b>${fmtPct(v.last)}</b> <span class="${cls}">${d >= 0 ? '+' : ''}${d.toFixed(1)}</span>`;
}

function tile(label: string, value: string, sub: string): string {
  return `<div class="tile"><div class="tl">${esc(label)}</div><div class="tv">${value}</div><div class="ts">${sub}</div></div>`;
}

function tiles(f: RunFinals): string {
  const k = f.k === undefined ? 'k' : String(f.k);
  const evalTile = (label: string, v: FirstLast | undefined) => {
    if (!v) return tile(label, '–', 'no evaluation');
    if (v.firstStep === v.lastStep) return tile(label, fmtPct(v.last), `at step ${v.lastStep}`);
    const d = (v.last - v.first) * 100;
    const delta = ` <span class="delta ${d >= 0 ? 'up' : 'down'}">${d >= 0 ? '+' : ''}${d.toFixed(1)}</span>`;
    return tile(label, fmtPct(v.last) + delta, `from ${fmtPct(v.first)}, step ${v.firstStep} → ${v.lastStep}`);
  };
  const tail = `mean of last ${TAIL_STEPS} steps`;
  return `<section class="tiles">${[
    evalTile('eval pass@1', f.pass1),
    evalTile(`eval maj@${k}`, f.maj),
    evalTile('eval greedy', f.greedy),
    tile('label accuracy', fmtPct(f.labelAcc), f.labelAcc === undefined ? 'no gold labels' : tail),
    tile('reward accuracy', fmtPct(f.rewardAcc), f.rewardAcc === undefined ? 'no gold labels' : tail),
    tile('steps', f.lastStep === undefined ? '0' : String(f.lastStep), `${f.steps} step records`),
    tile('time', fmtSeconds(f.wallSeconds ?? f.stepSeconds), f.wallSeconds !== undefined ? 'wall clock, first to last step' : 'sum of step phases'),
  ].join('')}</section>`;
}

/** The eval sample count k (of maj@k) of the first run that states it. */
function evalK(input: ReportInput): number | string {
  return input.runs.map((r) => runFinals(r.metrics).k).find((x) => x !== undefined) ?? 'k';
}

function finalsTable(input: ReportInput): string {
  const rows = input.runs.map((r) => {
    const f = runFinals(r.metrics);
    return `<tr><th>${esc(r.name)}</th><td>${f.lastStep ?? '–'}</td><td>${firstLastCell(f.pass1)}</td>`
      + `<td>${firstLastCell(f.maj)}</td><td>${firstLastCell(f.greedy)}</td><td>${fmtPct(f.labelAcc)}</td><td>${fmtPct(f.rewardAcc)}</td>`
      + `<td>${fmtPct(f.voteShare)}</td><td>${fmtSeconds(f.stepSeconds)}</td><td>${fmtSeconds(f.wallSeconds)}</td></tr>`;
  });
  const k = evalK(input);
  return `<section class="card"><h2>Final numbers</h2><table class="num"><thead><tr><th>run</th><th>last step</th>`
    + `<th>eval pass@1</th><th>eval maj@${k}</th><th>eval greedy</th><th>label acc*</th><th>reward acc*</th><th>vote share*</th>`
    + `<th>step time Σ</th><th>wall time</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    + `<p class="dim">eval: first → last evaluation, change in points. * mean of the last ${TAIL_STEPS} steps.</p></section>`;
}

function summaryTable(s: Summary, k: number | string): string {
  if (s.rows.length === 0) return '';
  const keys: string[] = [];
  for (const r of s.rows) for (const k of Object.keys(r.values)) if (!keys.includes(k)) keys.push(k);
  const cell = (k: string, v: number | undefined) => (v !== undefined && PCT_KEYS.test(k) ? fmtPct(v) : fmtNum(v));
  const body = s.rows.map((r) => `<tr><th>${esc(r.name)}</th>${keys.map((k) => `<td>${cell(k, r.values[k])}</td>`).join('')}</tr>`);
  const extras = Object.entries(s.extras).map(([k, v]) => `${k === 'seconds' ? `total time: ${fmtSeconds(v)}` : `${esc(k)}: ${fmtNum(v)}`}`);
  return `<section class="card"><h2>Comparison (summary.json)</h2><table class="num narrow"><thead><tr><th></th>`
    + `${keys.map((key) => `<th>${esc((KEY_NAMES[key] ?? key).replace('@k', `@${k}`))}</th>`).join('')}</tr></thead>`
    + `<tbody>${body.join('')}</tbody></table>`
    + (extras.length ? `<p class="dim">${extras.join(' · ')}</p>` : '') + '</section>';
}

function kvGrid(entries: [string, string][]): string {
  return `<dl class="kv">${entries.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>`;
}

function configSection(input: ReportInput): string {
  const runs = input.runs.filter((r) => r.config.entries.length > 0);
  if (runs.length === 0) return '';
  if (input.kind === 'single' || runs.length === 1) {
    const e = runs[0].config.entries;
    return `<section class="card"><details${e.length <= 30 ? ' open' : ''}><summary><h2>Configuration</h2>`
      + `<span class="dim">${esc(runs[0].dir)}/config.yaml, ${e.length} settings</span></summary>${kvGrid(e)}</details></section>`;
  }
  // Several runs: the settings that differ side by side, the shared ones folded away.
  const maps = runs.map((r) => new Map(r.config.entries));
  const keys: string[] = [];
  for (const r of runs) for (const [k] of r.config.entries) if (!keys.includes(k)) keys.push(k);
  const differs = keys.filter((k) => new Set(maps.map((m) => m.get(k) ?? '\u0000')).size > 1);
  const shared = keys.filter((k) => !differs.includes(k)).map((k): [string, string] => [k, maps[0].get(k)!]);
  const diffTable = differs.length === 0 ? '<p class="dim">All runs share the same settings.</p>'
    : `<table><thead><tr><th>setting</th>${runs.map((r) => `<th>${esc(r.name)}</th>`).join('')}</tr></thead><tbody>`
      + differs.map((k) => `<tr><th>${esc(k)}</th>${maps.map((m) => `<td>${esc(m.get(k) ?? '–')}</td>`).join('')}</tr>`).join('')
      + '</tbody></table>';
  return `<section class="card"><h2>Configuration</h2><h3>Settings that differ</h3>${diffTable}`
    + `<details><summary>${shared.length} shared settings</summary>${kvGrid(shared)}</details></section>`;
}

function chartCard(c: ChartSpec): string {
  return `<figure class="card chart" id="chart-${esc(c.id)}"><figcaption><h3>${esc(c.title)}</h3>`
    + `<p class="dim">${esc(c.about)}</p></figcaption><div class="box"><canvas data-chart="${esc(c.id)}" `
    + `role="img" aria-label="${esc(c.title)}"></canvas></div></figure>`;
}

/** The whole report.html. */
export function renderHtml(p: HtmlParts): string {
  const { input } = p;
  const what = input.kind === 'single' ? 'single run'
    : `comparison of ${input.runs.map((r) => r.name).join(', ')}`;
  const notes = input.notes.length === 0 ? ''
    : `<section class="card notes"><h2>Notes</h2><ul>${input.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul></section>`;
  const fired = input.runs.filter((r) => r.metrics.collapses.length > 0);
  const collapse = fired.length === 0 ? ''
    : `<section class="card notes"><h2>⚠ Collapse signal</h2><ul>${fired.map((r) => `<li>${esc(r.name)}: fired at step `
      + `${r.metrics.collapses[0]} (label-free: entropy and answer diversity fell while the vote saturated; the red dashed line `
      + `on every chart; docs/rl.md)</li>`).join('')}</ul></section>`;
  const omitted = p.omitted.length === 0 ? ''
    : `<p class="omitted dim">Not shown, no data: ${p.omitted.map((o) => `<b>${esc(o.title)}</b> (${esc(o.reason)})`).join('; ')}.</p>`;
  const data = JSON.stringify(p.charts).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ttrl report · ${esc(input.name)}</title><style>${REPORT_CSS}</style></head>
<body><main>
<header><h1>${esc(input.name)} <span class="kind">${esc(what)}</span></h1>
<p class="dim">${esc(input.dir)} · generated ${esc(p.generatedAt.toISOString().replace('T', ' ').slice(0, 19))} UTC</p></header>
${input.kind === 'single' ? tiles(runFinals(input.runs[0].metrics)) : ''}
${input.summary ? summaryTable(input.summary, evalK(input)) : ''}
${finalsTable(input)}
${configSection(input)}
${collapse}
${notes}
<section class="grid">${p.charts.map(chartCard).join('\n')}</section>
${omitted}
<footer class="dim">ttrl report · charts drawn with ${esc(p.libName)} (MIT), inlined in this file</footer>
</main>
<script>${inlineScript(stripSourceMap(p.libSource), p.libName)}</script>
<script type="application/json" id="ttrl-data">${data}</script>
<script>${inlineScript(`(${renderCharts.toString()})();`, 'renderCharts')}</script>
</body></html>
`;
}
