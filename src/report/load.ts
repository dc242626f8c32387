// What `ttrl report DIR` reads: a single run (DIR/metrics.jsonl) or a comparison (subdirectories that each
// hold a metrics.jsonl, e.g. runs/demo/{ttrl,oracle}/, plus an optional DIR/summary.json). Config and summary
// files are decoration: when one is missing or unreadable the report says so instead of failing.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { TtrlError } from '../util/errors.js';
import { readMetrics, type RunMetrics } from './metrics.js';

/** config.yaml flattened to dotted keys, in file order: `[["rl.lr", "5e-7"], ...]`. */
export interface RunConfig { entries: [string, string][]; note?: string }

export interface RunData {
  /** The directory's base name: "ttrl", "oracle", or the run's own name for a single run. */
  name: string;
  dir: string;
  metrics: RunMetrics;
  config: RunConfig;
}

/** summary.json: rows like `base: {pass1, maj}` (nested objects of numbers), plus top-level numbers. */
export interface Summary { rows: { name: string; values: Record<string, number> }[]; extras: Record<string, number> }

export interface ReportInput {
  name: string;
  dir: string;
  kind: 'single' | 'comparison';
  runs: RunData[];
  summary?: Summary;
  /** Things the reader of the report should know (skipped lines, unreadable config). */
  notes: string[];
}

/** Runs named like the paper's comparison come first, in this order; others follow alphabetically. */
const RUN_ORDER = ['base', 'ttrl', 'oracle'];

async function isFile(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isFile(), () => false);
}

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.push([prefix || '(value)', typeof value === 'string' ? value : JSON.stringify(value)]);
  }
}

/** Parse config.yaml text into dotted entries (pure; throws the yaml library's error on bad YAML). */
export function flattenConfig(text: string): [string, string][] {
  const out: [string, string][] = [];
  const doc: unknown = parseYaml(text);
  if (doc !== null && doc !== undefined) flatten(doc, '', out);
  return out;
}

async function readConfig(dir: string): Promise<RunConfig> {
  const file = path.join(dir, 'config.yaml');
  if (!(await isFile(file))) return { entries: [], note: `${file}: not found` };
  try {
    return { entries: flattenConfig(await readFile(file, 'utf8')) };
  } catch (e) {
    return { entries: [], note: `${file}: not readable as YAML (${(e as Error).message.split('\n')[0]})` };
  }
}

/** Parse summary.json text (pure). Non-numbers are ignored; throws on invalid JSON. */
export function parseSummary(text: string): Summary {
  const obj: unknown = JSON.parse(text);
  const summary: Summary = { rows: [], extras: {} };
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return summary;
  for (const [name, v] of Object.entries(obj)) {
    if (typeof v === 'number' && Number.isFinite(v)) summary.extras[name] = v;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    const values: Record<string, number> = {};
    for (const [k, x] of Object.entries(v)) if (typeof x === 'number' && Number.isFinite(x)) values[k] = x;
    summary.rows.push({ name, values });
  }
  return summary;
}

async function readRun(dir: string, name: string, notes: string[]): Promise<RunData> {
  const file = path.join(dir, 'metrics.jsonl');
  const metrics = await readMetrics(file);
  for (const s of metrics.skipped) notes.push(`${file}:${s.line}: skipped, ${s.reason}`);
  if (metrics.steps.length === 0 && metrics.evals.length === 0) notes.push(`${file}: no step or eval records yet`);
  const config = await readConfig(dir);
  return { name, dir, metrics, config };
}

function runRank(name: string): number {
  const i = RUN_ORDER.indexOf(name);
  return i < 0 ? RUN_ORDER.length : i;
}

/**
 * Read everything the report needs from `dir`. Throws TtrlError when `dir` is missing or holds no
 * metrics.jsonl, neither directly (a single run) nor in a subdirectory (a comparison).
 */
export async function loadReportInput(dir: string): Promise<ReportInput> {
  const abs = path.resolve(dir);
  const st = await stat(abs).catch(() => null);
  if (!st) throw new TtrlError(`${abs}: no such directory (give a run directory, e.g. runs/demo/ttrl)`);
  if (!st.isDirectory()) throw new TtrlError(`${abs}: not a directory (give the run directory, not a file)`);
  const notes: string[] = [];
  const name = path.basename(abs);
  let runs: RunData[];
  let kind: ReportInput['kind'];
  if (await isFile(path.join(abs, 'metrics.jsonl'))) {
    kind = 'single';
    runs = [await readRun(abs, name, notes)];
  } else {
    kind = 'comparison';
    const subdirs = (await readdir(abs, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    const withMetrics: string[] = [];
    for (const s of subdirs) if (await isFile(path.join(abs, s, 'metrics.jsonl'))) withMetrics.push(s);
    if (withMetrics.length === 0) {
      throw new TtrlError(`${abs}: no metrics.jsonl here or in any subdirectory (is this a ttrl run directory?)`);
    }
    withMetrics.sort((a, b) => runRank(a) - runRank(b) || a.localeCompare(b));
    runs = [];
    for (const s of withMetrics) runs.push(await readRun(path.join(abs, s), s, notes));
  }
  let summary: Summary | undefined;
  const summaryFile = path.join(abs, 'summary.json');
  if (await isFile(summaryFile)) {
    try {
      summary = parseSummary(await readFile(summaryFile, 'utf8'));
    } catch (e) {
      notes.push(`${summaryFile}: not valid JSON (${(e as Error).message}), summary table left out`);
    }
  }
  for (const r of runs) if (r.config.note) notes.push(r.config.note);
  return { name, dir: abs, kind, runs, summary, notes };
}
