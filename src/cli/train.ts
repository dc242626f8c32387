// `ttrl train --config run.yaml [--out DIR] [--max-steps N] [--save-every K] [--resume [--force] | --overwrite] [--section.key VALUE ...]`
import { parseArgs } from 'node:util';
import { loadConfig, configArgOptions, overridesFromArgs, describeConfig } from '../rl/config-io.js';
import { train } from '../rl/trainer.js';
import { SIGNAL_EXIT } from '../rl/interrupt.js';
import { TtrlError } from '../util/errors.js';
import { REWARD_MODE_NAMES, REWARD_MODE_HELP } from '../rl/rewards.js';
import { DEVICE_OPTION, DEVICE_HELP, PRECISION_HELP, parseDevice, parsePrecision, getBackend } from '../tensor/index.js';

const HELP = `usage: ttrl train --config run.yaml [options] [--section.key VALUE ...]
  --config FILE      YAML or JSON config (keys below); flags override its keys
  --out DIR          run directory (default run.out_dir/run.name)
  --max-steps N      stop after N training steps
  --save-every K     checkpoint every K steps (= --run.save_every K)
  --resume           continue from the run directory's last checkpoint (refused if a training setting
                     differs from its config.yaml; --force continues anyway)
  --overwrite        replace the run already in the run directory (without it such a folder is refused)
  --quiet            no progress output
${DEVICE_HELP}
${PRECISION_HELP.replace('default auto', 'default model.precision, auto')}

reward modes (--reward.mode; docs/rl.md has the exact definitions):
${REWARD_MODE_NAMES.map((m) => `  ${m.padEnd(25)}${REWARD_MODE_HELP[m]}`).join('\n')}

config keys (default, source):`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    config: { type: 'string' }, out: { type: 'string' }, 'max-steps': { type: 'string' }, 'save-every': { type: 'string' },
    resume: { type: 'boolean', default: false }, overwrite: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' },
    ...DEVICE_OPTION, precision: { type: 'string' },
    ...configArgOptions(),
  } });
  if (v.help) { process.stdout.write(`${HELP}\n${describeConfig().map((l) => '  ' + l).join('\n')}\n`); return 0; }
  const overrides = overridesFromArgs(v);
  if (v['save-every'] !== undefined) overrides.push(`run.save_every=${v['save-every']}`);
  if (v.precision !== undefined) overrides.push(`model.precision=${parsePrecision(v.precision)}`);
  if (!v.config && overrides.length === 0) throw new TtrlError('--config FILE is required (see ttrl train --help)');
  const cfg = loadConfig(v.config ?? null, overrides);
  let maxSteps: number | undefined;
  if (v['max-steps'] !== undefined) {
    maxSteps = Number(v['max-steps']);
    if (!Number.isInteger(maxSteps) || maxSteps < 0) throw new TtrlError(`--max-steps must be a non-negative integer, got ${v['max-steps']}`);
  }
  if (v.force && !v.resume) throw new TtrlError('--force applies to --resume only');
  const res = await train(cfg, {
    out: v.out, resume: v.resume, overwrite: v.overwrite, force: v.force, maxSteps, quiet: v.quiet,
    backend: getBackend(parseDevice(v.device)),
  });
  if (res.signal) return SIGNAL_EXIT[res.signal];  // the trainer has said where the checkpoint is
  if (res.collapseStep !== undefined) return 0;  // the trainer has said which checkpoint is kept
  process.stderr.write(`done: ${res.steps} steps in ${res.runDir}\n`);
  return 0;
}
