// `ttrl demo`: TTRL shown working end to end on a CPU in minutes (see src/demo/run.ts and docs/demo.md).
// stdout: the comparison table, then, as the last line, one JSON object with the numbers; progress on stderr.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { TtrlError } from '../util/errors.js';
import { runDemo, type DemoSummary } from '../demo/run.js';
import { DEMO_PRESETS } from '../demo/config.js';
import { parsePrecision } from '../tensor/index.js';

const HELP = `usage: ttrl demo [--quick] [--seed S] [--pretrain] [--out DIR] [--quiet] [--precision auto|bf16|fp32]

Evaluates a tiny shipped base model on held-out arithmetic problems, runs TTRL on their questions without
the answers, runs oracle RL (true answers) from the same base with the same budget, and compares them.
  --quick      a smaller version (fewer problems and steps) for CI; writes to runs/demo-quick
  --seed S     seed of the test problems, the runs (and the base with --pretrain); default 1
  --pretrain   make the base model here from the seed instead of using the shipped one (~10 min)
  --out DIR    output directory (default runs/demo, or runs/demo-quick with --quick)
  --quiet      no progress from the trainer (the demo's own lines still go to stderr)
  --precision  matrix products of the runs and the base's evaluation (= model.precision; default auto:
               bf16 where the CPU has bf16 matrix units, else fp32)
stdout ends with one JSON line:
  {"base":{"pass1":x,"maj":x},"ttrl":{"pass1":x,"maj":x,"label_acc":x},"oracle":{"pass1":x,"maj":x},"seconds":s}`;

const pct = (x: number | null): string => (x === null || Number.isNaN(x) ? '    -' : `${(100 * x).toFixed(1).padStart(5)}`);

/** The comparison table (percentages). */
export function formatTable(s: DemoSummary): string {
  const rows: [string, number, number, number | null, number | null][] = [
    ['base', s.base.pass1, s.base.maj, s.base.greedy, null],
    ['TTRL (no labels)', s.ttrl.pass1, s.ttrl.maj, s.ttrl.greedy, s.ttrl.label_acc],
    ['oracle RL (labels)', s.oracle.pass1, s.oracle.maj, s.oracle.greedy, null],
  ];
  const head = `${'model'.padEnd(20)} pass@1  maj@${s.k}  greedy  label acc`;
  const lines = rows.map(([name, p, m, g, l]) => `${name.padEnd(20)} ${pct(p)}  ${pct(m)}   ${pct(g)}     ${pct(l)}`);
  const gain = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
  const og = s.oracle.pass1 - s.base.pass1, tg = s.ttrl.pass1 - s.base.pass1;
  return [
    `${s.n_problems} test problems, ${s.k} samples each, ${s.steps} training steps per run, seed ${s.seed} (numbers in %)`,
    head, '-'.repeat(head.length), ...lines, '',
    `pass@1 gain: TTRL ${gain(tg)}, oracle ${gain(og)}` + (og > 0 ? ` (TTRL reaches ${(100 * tg / og).toFixed(0)}% of the oracle's gain)` : ''),
  ].join('\n');
}

/** The last stdout line: exactly the fields the issue specifies. */
export function jsonLine(s: DemoSummary): string {
  const r = (x: number) => Math.round(x * 1e4) / 1e4;
  return JSON.stringify({
    base: { pass1: r(s.base.pass1), maj: r(s.base.maj) },
    ttrl: { pass1: r(s.ttrl.pass1), maj: r(s.ttrl.maj), label_acc: r(s.ttrl.label_acc) },
    oracle: { pass1: r(s.oracle.pass1), maj: r(s.oracle.maj) },
    seconds: Math.round(s.seconds * 10) / 10,
  });
}

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    quick: { type: 'boolean', default: false }, seed: { type: 'string', default: '1' },
    pretrain: { type: 'boolean', default: false }, out: { type: 'string' },
    quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, precision: { type: 'string' },
  } });
  if (v.help) { process.stdout.write(HELP + '\n'); return 0; }
  const seed = Number(v.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new TtrlError(`--seed must be a non-negative integer, got ${v.seed}`);
  const out = v.out ?? path.join('runs', v.quick ? 'demo-quick' : 'demo');
  const summary = await runDemo({
    out, seed, preset: DEMO_PRESETS[v.quick ? 'quick' : 'full'], pretrain: v.pretrain, quiet: v.quiet,
    ...(v.precision !== undefined ? { overrides: { 'model.precision': parsePrecision(v.precision) } } : {}),
    log: (line) => process.stderr.write(line + '\n'),
  });
  process.stdout.write(`${formatTable(summary)}\n\nreport: ${path.join(out, 'report.html')}\n${jsonLine(summary)}\n`);
  return 0;
}
