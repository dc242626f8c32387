// `ttrl demo`: TTRL shown working end to end on a CPU in minutes (see src/demo/run.ts and docs/demo.md).
// stdout: the comparison table, then, as the last line, one JSON object with the numbers; progress on stderr.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { TtrlError } from '../util/errors.js';
import { runDemo, type DemoSummary, type Scores } from '../demo/run.js';
import { DEMO_PRESETS, DEFAULT_METHODS } from '../demo/config.js';
import { parsePrecision } from '../tensor/index.js';

const HELP = `usage: ttrl demo [--quick] [--methods a,b,c] [--seed S] [--pretrain] [--out DIR] [--quiet] [--precision auto|bf16|fp32]

Evaluates a tiny shipped base model on held-out arithmetic problems, then trains it on their questions
with each method (a reward.mode of ttrl train) from the same base with the same budget, and compares them:
TTRL (majority vote, no labels), the label-free rewards self_certainty and token_level_entropy, and oracle
RL (true answers, the upper bound).
  --quick        a smaller version (fewer problems and steps) for CI; writes to runs/demo-quick
  --methods M    comma-separated reward modes to run, in order (default ${DEFAULT_METHODS.join(',')})
  --seed S       seed of the test problems, the runs (and the base with --pretrain); default 1
  --pretrain     make the base model here from the seed instead of using the shipped one (~12 min)
  --out DIR      output directory (default runs/demo, or runs/demo-quick with --quick)
  --quiet        no progress from the trainer (the demo's own lines still go to stderr)
  --precision P  matrix products of the runs and the base's evaluation (= model.precision; default fp32 here:
                 the demo's matrices are too small for bf16 to pay; auto = bf16 where the CPU has bf16 units)
stdout: the table (pass@1 = avg@k at T=1, maj@k, greedy accuracy, in %), then one JSON line:
  {"base":{"pass1","maj","greedy"},"ttrl":{"pass1","maj","greedy","label_acc"},"oracle":{...},
   "methods":{"self_certainty":{"pass1","maj","greedy"},...},"seconds":s}
  (ttrl and oracle appear when run; every other method is under "methods")`;

const pct = (x: number | null | undefined): string => (x === null || x === undefined || Number.isNaN(x) ? '    -' : `${(100 * x).toFixed(1).padStart(5)}`);

/** Row names of the table. */
const LABELS: Record<string, string> = { ttrl: 'TTRL (no labels)', oracle: 'oracle RL (labels)' };

/** The comparison table (percentages): every method's pass@1, maj@k and greedy accuracy, and the gains. */
export function formatTable(s: DemoSummary): string {
  const rows: [string, Scores, number | null][] = [['base', s.base, null]];
  for (const [mode, r] of Object.entries(s.runs)) rows.push([LABELS[mode] ?? `${mode} (no labels)`, r, mode === 'ttrl' ? r.label_acc : null]);
  const width = Math.max(20, ...rows.map(([n]) => n.length + 1));
  const head = `${'model'.padEnd(width)} pass@1  maj@${s.k}  greedy  label acc`;
  const lines = rows.map(([name, r, l]) => `${name.padEnd(width)} ${pct(r.pass1)}  ${pct(r.maj)}   ${pct(r.greedy)}     ${pct(l)}`);
  const gain = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
  const gains = Object.entries(s.runs).map(([mode, r]) =>
    `${mode} ${gain(r.pass1 - s.base.pass1)} / ${r.greedy !== null && s.base.greedy !== null ? gain(r.greedy - s.base.greedy) : '-'}`);
  return [
    `${s.n_problems} test problems, ${s.k} samples each at T=1, ${s.steps} training steps per run, seed ${s.seed} (numbers in %)`,
    head, '-'.repeat(head.length), ...lines, '',
    `gain in pass@1 / greedy: ${gains.join(', ')}`,
  ].join('\n');
}

/** The last stdout line: base, ttrl and oracle (when run) at the top level, every other method under "methods". */
export function jsonLine(s: DemoSummary): string {
  const r = (x: number | null) => (x === null ? null : Math.round(x * 1e4) / 1e4);
  const scores = (x: Scores) => ({ pass1: r(x.pass1), maj: r(x.maj), greedy: r(x.greedy) });
  const out: Record<string, unknown> = { base: scores(s.base) };
  const methods: Record<string, unknown> = {};
  for (const [mode, x] of Object.entries(s.runs)) {
    if (mode === 'ttrl') out.ttrl = { ...scores(x), label_acc: r(x.label_acc) };
    else if (mode === 'oracle') out.oracle = scores(x);
    else methods[mode] = scores(x);
  }
  out.methods = methods;
  out.seconds = Math.round(s.seconds * 10) / 10;
  return JSON.stringify(out);
}

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    quick: { type: 'boolean', default: false }, seed: { type: 'string', default: '1' },
    pretrain: { type: 'boolean', default: false }, out: { type: 'string' },
    quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, methods: { type: 'string' }, precision: { type: 'string' },
  } });
  if (v.help) { process.stdout.write(HELP + '\n'); return 0; }
  const seed = Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new TtrlError(`--seed must be a non-negative integer, got ${v.seed}`);
  const out = v.out ?? path.join('runs', v.quick ? 'demo-quick' : 'demo');
  const summary = await runDemo({
    out, seed, preset: DEMO_PRESETS[v.quick ? 'quick' : 'full'], pretrain: v.pretrain, quiet: v.quiet,
    methods: v.methods === undefined ? undefined : v.methods.split(',').map((m) => m.trim()).filter(Boolean),
    // fp32 unless asked: the demo's 64-wide matrices gain nothing from bf16, and its documented numbers are fp32
    overrides: { 'model.precision': parsePrecision(v.precision ?? 'fp32') },
    log: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(`${formatTable(summary)}\n\nreport: ${path.join(out, 'report.html')}\n${jsonLine(summary)}\n`);
  return 0;
}
