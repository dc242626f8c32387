// Adaptive voting against fixed voting on the demo task: the demo's TTRL run (src/demo: shipped base, test
// split, preset settings) with rollout.adaptive_votes false then true, per seed. Prints the rollout tokens
// drawn, label accuracy (all steps, and the last epoch as the demo reports it), final pass@1 / maj@k and
// greedy accuracy, and the wall time of each run (fp32, as `ttrl demo`).
//
//   node dist/bench/adaptive.js [--quick] [--seeds 1,2] [--wave 8] [--adaptive-only] [--out DIR]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { train } from '../src/rl/trainer.js';
import { MODEL_SIDE_FILES } from '../src/model/params.js';
import { makeSplit } from '../src/demo/task.js';
import { demoTrainConfig } from '../src/demo/config.js';
import { DEMO_PRESETS } from '../src/demo/config.js';
import { SHIPPED_BASE, tailLabelAccuracy } from '../src/demo/run.js';

type Line = { kind?: string; rollout_tokens?: number; label_acc?: number | null; votes_mean?: number };
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const r4 = (x: number | null | undefined): number | null => (typeof x === 'number' ? +x.toFixed(4) : null);

async function runOnce(out: string, seed: number, adaptive: boolean, quick: boolean, wave: number): Promise<object> {
  const preset = DEMO_PRESETS[quick ? 'quick' : 'full'];
  const dir = path.join(out, `seed${seed}-${adaptive ? 'adaptive' : 'fixed'}`), base = path.join(dir, 'base');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(base, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', ...MODEL_SIDE_FILES]) {
    if (fs.existsSync(path.join(SHIPPED_BASE, f))) fs.copyFileSync(path.join(SHIPPED_BASE, f), path.join(base, f));
  }
  const problems = makeSplit(preset.testSize, preset.testLevels, seed, 'test');
  const data = path.join(dir, 'test.json');
  fs.writeFileSync(data, JSON.stringify(problems.map((p) => ({ id: p.id, prompt: p.prompt, answer: p.answer, level: p.level }))));
  const runDir = path.join(dir, 'ttrl');
  const cfg = demoTrainConfig('ttrl', { model: base, data, runDir }, preset, seed, { 'rollout.adaptive_votes': adaptive, 'rollout.vote_wave': wave, 'model.precision': 'fp32' });  // as ttrl demo runs
  const t0 = performance.now();
  const r = await train(cfg, { out: runDir, quiet: true, report: false });
  const steps = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Line).filter((l) => l.kind === 'step');
  const perEpoch = Math.floor(problems.length / cfg.data.prompts_per_step);
  return {
    seed, adaptive, seconds: +((performance.now() - t0) / 1000).toFixed(1), steps: steps.length,
    rolloutTokens: steps.reduce((a, l) => a + (l.rollout_tokens ?? 0), 0),
    votesMean: r4(mean(steps.map((l) => l.votes_mean ?? 0))),
    labelAcc: r4(mean(steps.map((l) => l.label_acc ?? 0))), labelAccLastEpoch: r4(tailLabelAccuracy(runDir, perEpoch)),
    pass1: r4(r.lastEval?.pass1), maj: r4(r.lastEval?.maj), greedy: r4(r.lastEval?.greedy),
  };
}

const { values: v } = parseArgs({ options: { quick: { type: 'boolean' }, seeds: { type: 'string' }, wave: { type: 'string' }, out: { type: 'string' }, 'adaptive-only': { type: 'boolean' } } });
const seeds = (v.seeds ?? '1,2').split(',').map(Number), wave = Number(v.wave ?? 8);
const out = v.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-adaptive-'));
const runs: object[] = [];
for (const seed of seeds) {
  for (const adaptive of v['adaptive-only'] ? [true] : [false, true]) {
    process.stderr.write(`[adaptive] seed ${seed} adaptive=${adaptive}\n`);
    runs.push(await runOnce(out, seed, adaptive, Boolean(v.quick), wave));
    process.stderr.write(`[adaptive] ${JSON.stringify(runs[runs.length - 1])}\n`);
  }
}
type Run = { seed: number; adaptive: boolean; rolloutTokens: number };
const saved = v['adaptive-only'] ? [] : seeds.map((s) => {
  const [f, a] = [false, true].map((ad) => (runs as Run[]).find((r) => r.seed === s && r.adaptive === ad)!);
  return { seed: s, tokensSaved: +(1 - a!.rolloutTokens / f!.rolloutTokens).toFixed(4) };
});
console.log(JSON.stringify({ bench: 'adaptive-votes', preset: v.quick ? 'quick' : 'full', wave, loadavg: os.loadavg(), runs, saved, goal: 'tokensSaved ≥ 0.40, accuracy within noise' }, null, 2));
