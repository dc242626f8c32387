// Synthetic TTRL runs for the report tests: plausible curves (pass@1 rising toward maj@N, entropy falling,
// ...) from a seeded Rng, written as the trainer would write them (metrics.jsonl, config.yaml).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Rng } from '../../src/util/rng.js';
import type { StepField } from '../../src/report/metrics.js';

export type Rec = Record<string, unknown>;

export interface SynthRun {
  steps: number;
  evalEvery: number;
  seed: number;
  /** false: label_acc / reward_acc / rollout_* are null (no gold labels). */
  gold: boolean;
  /** Fields left out of every step record (an older trainer). */
  omit?: StepField[];
  /** How far eval pass@1 climbs over the run. */
  gain: number;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/** The run's records in file order: a meta line, eval at step 0, then steps with an eval every evalEvery. */
export function synthRecords(o: SynthRun): Rec[] {
  const rng = new Rng(o.seed);
  const noise = (s: number) => s * rng.normal();
  const recs: Rec[] = [{ kind: 'meta', version: 1, started: 1_700_000_000 }];
  const evalAt = (step: number): Rec => {
    const p = step / o.steps;
    const pass1 = clamp01(0.3 + o.gain * (1 - Math.exp(-3 * p)) + noise(0.01));
    return { kind: 'eval', step, pass1, maj: clamp01(pass1 + 0.12 - 0.08 * p), greedy: null, best: clamp01(pass1 + 0.35), k: 16, n_problems: 30 };
  };
  recs.push(evalAt(0));
  let time = 1_700_000_000;
  for (let step = 1; step <= o.steps; step++) {
    const p = step / o.steps;
    const t = { t_rollout: 20 + noise(1), t_grade: 2 + Math.abs(noise(0.2)), t_update: 8 + noise(0.5) };
    time += t.t_rollout + t.t_grade + t.t_update;
    const labelAcc = clamp01(0.45 + 0.3 * p + noise(0.05));
    const rec: Rec = {
      kind: 'step', step, epoch: Math.floor((step - 1) / 5), time,
      reward_mean: clamp01(0.4 + 0.35 * p + noise(0.03)),
      label_acc: o.gold ? labelAcc : null,
      reward_acc: o.gold ? clamp01(0.8 + 0.1 * p + noise(0.02)) : null,
      rollout_pass1: o.gold ? clamp01(0.3 + 0.3 * p + noise(0.03)) : null,
      rollout_maj: o.gold ? labelAcc : null,
      rollout_passn: o.gold ? clamp01(0.85 + noise(0.03)) : null,
      pb_corr: o.gold ? Math.max(-1, Math.min(1, 0.3 + 0.2 * p + noise(0.05))) : null,
      pseudo_label_acc: o.gold ? labelAcc : null,
      rollout_entropy: 0.95 * Math.exp(-1.5 * p) + 0.05 + Math.abs(noise(0.01)),
      self_certainty: 8 + 2 * p + noise(0.1),
      vote_share: clamp01(0.42 + 0.35 * p + noise(0.03)),
      num_classes: 14 - 8 * p + noise(0.8),
      no_answer_frac: clamp01(0.06 * (1 - p) + Math.abs(noise(0.01))),
      prompts_used: 8 - (step % 4 === 0 ? 1 : 0),
      resp_len_mean: 600 - 150 * p + noise(15),
      resp_len_max: 3072 - (step % 3 === 0 ? 400 : 0),
      truncated_frac: clamp01(0.05 * (1 - p) + Math.abs(noise(0.005))),
      entropy: 0.9 * Math.exp(-1.5 * p) + 0.05 + Math.abs(noise(0.01)),
      kl: 0.002 * step + Math.abs(noise(0.001)),
      clip_frac: clamp01(0.01 + Math.abs(noise(0.004))),
      grad_norm: 0.4 + Math.abs(noise(0.1)),
      lr: 5e-7 * (step < 3 ? step / 3 : 0.5 * (1 + Math.cos(Math.PI * p))),
      loss: noise(0.02) + 0.001 * 0.002 * step,
      pg_loss: -0.001 * step,
      ppo_kl: 1e-4 * step,
      ...t,
      tokens_per_s: 900 + noise(30),
    };
    for (const f of o.omit ?? []) delete rec[f];
    recs.push(rec);
    if (step % o.evalEvery === 0) recs.push(evalAt(step));
  }
  return recs;
}

export const CONFIG_YAML = (name: string, lr: number) => `# synthetic config
model: Qwen2.5-Math-1.5B
data:
  benchmark: AIME-2024
  split: test
rl:
  mode: ${name}
  votes: 64
  train_responses: 32
  temperature: 1.0
  lr: ${lr}
  kl_coef: 0.001
eval:
  k: 16
  every: 2
`;

/**
 * Write one run directory: config.yaml (unless null) and metrics.jsonl from `recs`; with `tail`, append a
 * partial line with no newline, as a killed run leaves behind.
 */
export async function writeRun(dir: string, recs: Rec[], config: string | null, tail?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  if (config !== null) await writeFile(path.join(dir, 'config.yaml'), config);
  const body = recs.map((r) => JSON.stringify(r)).join('\n') + '\n' + (tail ?? '');
  await writeFile(path.join(dir, 'metrics.jsonl'), body);
}

/** The points a chart should show for `field` of `kind` records: last record per step, nulls dropped. */
export function expectedPoints(recs: Rec[], kind: 'step' | 'eval', field: string): [number, number][] {
  const byStep = new Map<number, number | null>();
  for (const r of recs) if (r.kind === kind) byStep.set(r.step as number, typeof r[field] === 'number' ? (r[field] as number) : null);
  return [...byStep.entries()].filter((e): e is [number, number] => e[1] !== null).sort((a, b) => a[0] - b[0]);
}
