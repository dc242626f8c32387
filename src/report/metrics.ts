// Reading a run's metrics.jsonl, the trainer's log: one JSON object per line, `kind` = "step" | "eval"
// (other kinds, e.g. "meta", are ignored). The reader is tolerant on purpose: a run killed mid-write leaves a
// truncated last line, a resumed run appends after it and may repeat steps, and older runs lack newer
// fields. A report should still plot what exists, so bad lines are skipped and listed, never fatal.
import { readFile } from 'node:fs/promises';
import { STEP_FIELDS, EVAL_FIELDS, type StepField, type EvalField } from '../rl/record.js';

export { STEP_FIELDS, EVAL_FIELDS, type StepField, type EvalField };

/** One training step. A field that was missing, null or not a finite number is absent. */
export type StepRecord = { step: number } & { [K in StepField]?: number };
/** One evaluation (step 0 = before training). Absent fields as in StepRecord. */
export type EvalRecord = { step: number } & { [K in EvalField]?: number };

/** A line that was not used, with why (1-based line number). */
export interface SkippedLine { line: number; reason: string }

export interface RunMetrics {
  /** Steps sorted by step; when a step repeats (a resumed run), the later line wins. */
  steps: StepRecord[];
  /** Evaluations sorted by step, later line wins as for steps. */
  evals: EvalRecord[];
  /** Lines that could not be used (malformed JSON, no integer step, ...). */
  skipped: SkippedLine[];
  /** Steps whose record says the label-free collapse signal fired (`collapse: true`), ascending. */
  collapses: number[];
}

function pickNumbers<F extends string>(obj: Record<string, unknown>, fields: readonly F[]): { [K in F]?: number } {
  const out: { [K in F]?: number } = {};
  for (const f of fields) {
    const v = obj[f];
    if (typeof v === 'number' && Number.isFinite(v)) out[f] = v;
  }
  return out;
}

/** Sort by step, keeping the last record seen for each step. */
function lastPerStep<T extends { step: number }>(records: T[]): T[] {
  const byStep = new Map<number, T>();
  for (const r of records) byStep.set(r.step, r);
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/**
 * Parse the text of a metrics.jsonl. Never throws: a line that is not a JSON object, or a step/eval record
 * without an integer `step`, is listed in `skipped`. Blank lines are ignored. A malformed last line without a
 * trailing newline is the normal trace of a killed run and is reported as "truncated".
 */
export function parseMetrics(text: string): RunMetrics {
  const steps: StepRecord[] = [];
  const evals: EvalRecord[] = [];
  const skipped: SkippedLine[] = [];
  const collapses = new Set<number>();
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const isLast = i === lines.length - 1; // no newline after it: possibly cut mid-write
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, reason: isLast ? 'truncated (run stopped mid-write?)' : 'not valid JSON' });
      return;
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      skipped.push({ line: i + 1, reason: 'not a JSON object' });
      return;
    }
    const rec = obj as Record<string, unknown>;
    if (rec.kind !== 'step' && rec.kind !== 'eval') return; // meta and future kinds
    if (typeof rec.step !== 'number' || !Number.isInteger(rec.step)) {
      skipped.push({ line: i + 1, reason: `${rec.kind} record without an integer "step"` });
      return;
    }
    if (rec.kind === 'step') {
      steps.push({ step: rec.step, ...pickNumbers(rec, STEP_FIELDS) });
      if (rec.collapse === true) collapses.add(rec.step); else collapses.delete(rec.step);
    }
    else evals.push({ step: rec.step, ...pickNumbers(rec, EVAL_FIELDS) });
  });
  return { steps: lastPerStep(steps), evals: lastPerStep(evals), skipped, collapses: [...collapses].sort((a, b) => a - b) };
}

/** Read and parse `file` (a metrics.jsonl). I/O errors propagate. */
export async function readMetrics(file: string): Promise<RunMetrics> {
  return parseMetrics(await readFile(file, 'utf8'));
}
