// The numbers in the report's header and table: where each run started and ended. Pure functions over
// parsed metrics.
import type { RunMetrics, StepRecord } from './metrics.js';

/** Per-step numbers are noisy (a step sees only a few prompts), so the header averages the last steps. */
export const TAIL_STEPS = 10;

export interface FirstLast { first: number; last: number; firstStep: number; lastStep: number }

export interface RunFinals {
  /** Step records in the file, and the last step number (undefined when there are none). */
  steps: number;
  lastStep?: number;
  /** Eval pass@1, maj@k and greedy accuracy at the first and last evaluation that has them. */
  pass1?: FirstLast;
  maj?: FirstLast;
  greedy?: FirstLast;
  /** Eval samples per problem (the k of maj@k), from the first eval that states it. */
  k?: number;
  /** Means over the last TAIL_STEPS steps that have the field. */
  labelAcc?: number;
  rewardAcc?: number;
  voteShare?: number;
  /** Sum of t_rollout + t_grade + t_update over all steps (seconds). */
  stepSeconds?: number;
  /** Last step's `time` minus the first's (seconds); needs two steps with a time. */
  wallSeconds?: number;
}

function firstLast(rows: { step: number; v: number | undefined }[]): FirstLast | undefined {
  const have = rows.filter((r) => r.v !== undefined) as { step: number; v: number }[];
  if (have.length === 0) return undefined;
  const a = have[0];
  const b = have[have.length - 1];
  return { first: a.v, last: b.v, firstStep: a.step, lastStep: b.step };
}

/** Mean of `field` over the last `n` steps that have it; undefined when none do. */
export function tailMean(steps: StepRecord[], field: keyof StepRecord, n = TAIL_STEPS): number | undefined {
  const vals = steps.map((s) => s[field]).filter((v): v is number => v !== undefined);
  const tail = vals.slice(-n);
  return tail.length === 0 ? undefined : tail.reduce((a, b) => a + b, 0) / tail.length;
}

export function runFinals(m: RunMetrics): RunFinals {
  const steps = m.steps;
  const timed = steps.filter((s) => s.time !== undefined);
  const phase = steps.flatMap((s) => [s.t_rollout, s.t_grade, s.t_update]).filter((v): v is number => v !== undefined);
  return {
    steps: steps.length,
    lastStep: steps.length ? steps[steps.length - 1].step : undefined,
    pass1: firstLast(m.evals.map((e) => ({ step: e.step, v: e.pass1 }))),
    maj: firstLast(m.evals.map((e) => ({ step: e.step, v: e.maj }))),
    greedy: firstLast(m.evals.map((e) => ({ step: e.step, v: e.greedy }))),
    k: m.evals.find((e) => e.k !== undefined)?.k,
    labelAcc: tailMean(steps, 'label_acc'),
    rewardAcc: tailMean(steps, 'reward_acc'),
    voteShare: tailMean(steps, 'vote_share'),
    stepSeconds: phase.length ? phase.reduce((a, b) => a + b, 0) : undefined,
    wallSeconds: timed.length >= 2 ? timed[timed.length - 1].time! - timed[0].time! : undefined,
  };
}

/** 0.4567 → "45.7%". */
export function fmtPct(v: number | undefined): string {
  return v === undefined ? '–' : `${(v * 100).toFixed(1)}%`;
}

/** Seconds → "42 s", "3.5 min", "2.1 h". */
export function fmtSeconds(v: number | undefined): string {
  if (v === undefined) return '–';
  if (v < 100) return `${v.toFixed(v < 10 ? 1 : 0)} s`;
  if (v < 6000) return `${(v / 60).toFixed(1)} min`;
  return `${(v / 3600).toFixed(1)} h`;
}

/** A number in a table cell: integers as is, small magnitudes in exponent form. */
export function fmtNum(v: number | undefined): string {
  if (v === undefined) return '–';
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(2);
  return String(Number(v.toPrecision(4)));
}
