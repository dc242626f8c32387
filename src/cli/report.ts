// `ttrl report RUN_DIR`: write RUN_DIR/report.html (self-contained: charts over training steps, final
// numbers, config) and print its path. RUN_DIR is one run (holds metrics.jsonl) or a comparison (its
// subdirectories do, e.g. runs/demo/{ttrl,oracle}; with an optional summary.json).
import { parseArgs } from 'node:util';
import { TtrlError } from '../util/errors.js';
import { writeReport } from '../report/write.js';

const HELP = `usage: ttrl report RUN_DIR [--quiet]

Writes RUN_DIR/report.html, a single HTML file (no network needed to view it) with plots over training
steps: eval pass@1 and maj@k, label and reward accuracy, mean reward and vote share, response length,
entropy, KL, grad norm and lr, loss, time per step. RUN_DIR is a run directory (with metrics.jsonl) or a
comparison directory whose subdirectories are runs (e.g. runs/demo with ttrl/ and oracle/), in which case
each chart overlays the runs and summary.json, if present, adds the base model as reference lines.

options:
  --quiet    do not print notes about skipped metric lines or missing config files
  -h, --help show this help`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1) {
    throw new TtrlError(`report takes one RUN_DIR, got ${positionals.length} (usage: ttrl report RUN_DIR)`);
  }
  const onNote = values.quiet ? undefined : (n: string) => process.stderr.write(`ttrl report: note: ${n}\n`);
  const out = await writeReport(positionals[0], { onNote });
  process.stdout.write(out + '\n');
  return 0;
}
