// `writeReport(dir)`: read the run (or comparison) in `dir`, build the charts, and write dir/report.html
// atomically, so a viewer (or a second report run at the end of training) never sees half a file.
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { buildCharts } from './charts.js';
import { renderHtml } from './html.js';
import { loadReportInput, type ReportInput } from './load.js';

export const REPORT_FILE = 'report.html';

/** Chart.js's browser bundle, read from node_modules at report time (inlined, never fetched). */
async function chartJsBundle(): Promise<{ source: string; name: string }> {
  const require = createRequire(import.meta.url);
  // The package exports no ./package.json; its main entry sits beside the UMD bundle in dist/.
  const distDir = path.dirname(require.resolve('chart.js'));
  const source = await readFile(path.join(distDir, 'chart.umd.min.js'), 'utf8');
  const version = /Chart\.js v(\S+)/.exec(source.slice(0, 200))?.[1];
  return { source, name: version ? `Chart.js v${version}` : 'Chart.js' };
}

export interface ReportOptions {
  /** Time shown in the header (default: now). */
  now?: Date;
  /** Told each note (skipped line, unreadable config), e.g. to print it to stderr. */
  onNote?: (note: string) => void;
}

/** Build the report's HTML for `dir` without writing it. Throws TtrlError on a missing dir / no metrics. */
export async function buildReport(dir: string, opts: ReportOptions = {}): Promise<{ html: string; input: ReportInput }> {
  const input = await loadReportInput(dir);
  for (const n of input.notes) opts.onNote?.(n);
  const { charts, omitted } = buildCharts(input.runs, input.summary);
  const lib = await chartJsBundle();
  const html = renderHtml({ input, charts, omitted, libSource: lib.source, libName: lib.name, generatedAt: opts.now ?? new Date() });
  return { html, input };
}

/** Write `<runDir>/report.html` (temp file + rename) and return its absolute path. */
export async function writeReport(runDir: string, opts: ReportOptions = {}): Promise<string> {
  const { html, input } = await buildReport(runDir, opts);
  const out = path.join(input.dir, REPORT_FILE);
  const tmp = `${out}.tmp-${process.pid}-${process.hrtime.bigint()}`;
  try {
    await writeFile(tmp, html, 'utf8');
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return out;
}
