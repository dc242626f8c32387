// `ttrl grade FILE.jsonl`: grade {"gold", "pred"} pairs, one JSON line out per line in, in order.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { TtrlError } from '../util/errors.js';
import { extractAnswer, extractGold } from '../grade/extract.js';
import { isEquivalent, EQUIVALENCE_DEFAULTS } from '../grade/equivalence.js';
import { casLoadMs } from '../grade/cas.js';

const HELP = `usage: ttrl grade FILE.jsonl [options]

Reads lines {"gold": "...", "pred": "..."} ("pred" may be a whole model response; "choices": true marks
a multiple-choice item) and writes one JSON line per input line to stdout, in order:
  {"line": N, "equal": true|false, "pred_answer": "...", "gold_answer": "...", "reason": "...", "ms": 0.4}
The answer is extracted from "pred" (last \\boxed{}, else "the answer is ...", else the whole text if it is
a bare answer, else the last number) and from "gold" (its last \\boxed{} if it has one, else as written).
A malformed line gets {"line": N, "equal": false, "error": "..."} (also on stderr) and the rest are still
graded. A summary goes to stderr. Blank lines are skipped. Exit code 1 if any line was malformed.

options:
  --no-number-fallback  do not fall back to the last number of a response without a final answer
  --rel-tol X           relative tolerance for values computed by the CAS (default ${EQUIVALENCE_DEFAULTS.relTol})
  --max-work N          work budget of one comparison in steps (default ${EQUIVALENCE_DEFAULTS.maxWork})
  -h, --help            show this help`;

interface Row { gold: string; pred: string; choices: boolean }

/** Validate one parsed line; the message names the field and what it should be. */
function toRow(v: unknown): Row {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('expected a JSON object {"gold": "...", "pred": "..."}');
  const o = v as Record<string, unknown>;
  for (const k of ['gold', 'pred']) {
    if (typeof o[k] !== 'string') throw new Error(`field "${k}" must be a string, got ${o[k] === undefined ? 'nothing' : typeof o[k]}`);
  }
  if (o.choices !== undefined && typeof o.choices !== 'boolean') throw new Error('field "choices" must be true or false');
  return { gold: o.gold as string, pred: o.pred as string, choices: o.choices === true };
}

function positiveNumber(s: string | undefined, flag: string, dflt: number): number {
  if (s === undefined) return dflt;
  const x = Number(s);
  if (!(x > 0) || !Number.isFinite(x)) throw new TtrlError(`--${flag} must be a positive number, got '${s}'`);
  return x;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'no-number-fallback': { type: 'boolean', default: false },
      'rel-tol': { type: 'string' },
      'max-work': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) throw new TtrlError(`grade takes one FILE.jsonl, got ${positionals.length} (usage: ttrl grade FILE.jsonl)`);
  const file = positionals[0]!;
  if (!fs.existsSync(file)) throw new TtrlError(`${file}: file not found`);
  const eqOpts = {
    relTol: positiveNumber(values['rel-tol'], 'rel-tol', EQUIVALENCE_DEFAULTS.relTol),
    maxWork: positiveNumber(values['max-work'], 'max-work', EQUIVALENCE_DEFAULTS.maxWork),
  };
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  let graded = 0, equal = 0, malformed = 0, totalMs = 0, worstMs = 0;
  const out: string[] = [];
  const flush = (): void => { if (out.length) { process.stdout.write(out.join('')); out.length = 0; } };
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!;
    if (text.trim() === '') continue;
    let row: Row;
    try {
      row = toRow(JSON.parse(text));
    } catch (e) {
      const error = `${file} line ${i + 1}: ${e instanceof SyntaxError ? 'malformed JSON' : 'bad line'}: ${(e as Error).message}`;
      malformed++;
      out.push(JSON.stringify({ line: i + 1, equal: false, pred_answer: null, gold_answer: null, error }) + '\n');
      flush();
      process.stderr.write(`ttrl grade: ${error}\n`);
      continue;
    }
    const t0 = performance.now(), load0 = casLoadMs();
    const predAnswer = extractAnswer(row.pred, { choices: row.choices, lastNumberFallback: !values['no-number-fallback'] });
    const goldAnswer = extractGold(row.gold, { choices: row.choices });
    const r = predAnswer === null || goldAnswer === null
      ? { equal: false, reason: predAnswer === null ? 'no answer found in pred' : 'empty gold' }
      : isEquivalent(predAnswer, goldAnswer, { ...eqOpts, choices: row.choices });
    const ms = performance.now() - t0 - (casLoadMs() - load0); // the CAS's one-time load is reported apart
    graded++; totalMs += ms; worstMs = Math.max(worstMs, ms);
    if (r.equal) equal++;
    out.push(JSON.stringify({ line: i + 1, equal: r.equal, pred_answer: predAnswer, gold_answer: goldAnswer, reason: r.reason, ms: Math.round(ms * 100) / 100 }) + '\n');
    if (out.length >= 256) flush();
  }
  flush();
  const pct = graded ? ((100 * equal) / graded).toFixed(1) : '0.0';
  process.stderr.write(`ttrl grade: ${graded} graded, ${equal} equal (${pct}%), ${graded - equal} not equal, ${malformed} malformed; `
    + `${graded ? (totalMs / graded).toFixed(2) : '0'} ms mean, ${worstMs.toFixed(1)} ms worst per line`
    + `${casLoadMs() > 0 ? `, CAS load ${casLoadMs().toFixed(0)} ms` : ''}\n`);
  return malformed > 0 ? 1 : 0;
}
