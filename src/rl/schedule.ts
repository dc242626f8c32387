// Learning-rate schedules, stepped once per training step (TTRL: cosine to 0 after a 3% linear warmup).
// Reference: verl `torch_functional.get_cosine_schedule_with_warmup` / `get_constant_schedule_with_warmup`,
// which follow Hugging Face transformers' schedules of the same names; verl sets the warmup length to
// int(lr_warmup_steps_ratio · total_training_steps) unless lr_warmup_steps is given.

export type ScheduleKind = 'constant' | 'linear-warmup' | 'cosine';

export interface LrSchedule {
  kind: ScheduleKind;
  /** peak learning rate (TTRL: 5e-7). */
  base: number;
  /** number of scheduler steps in the run (training steps = episodes × steps per episode). */
  totalSteps: number;
  /** warmup length in steps; overrides warmupRatio when given. */
  warmupSteps?: number;
  /** warmup length as a share of totalSteps, floored (TTRL: 0.03). */
  warmupRatio?: number;
  /** floor of the cosine (verl min_lr_ratio · base). Default 0. */
  minLr?: number;
}

/** W = warmupSteps, or ⌊warmupRatio · totalSteps⌋ (Python int() truncation, as verl). 'constant' has none. */
export function warmupStepsOf(s: LrSchedule): number {
  if (s.kind === 'constant') return 0;
  return s.warmupSteps ?? Math.floor((s.warmupRatio ?? 0) * s.totalSteps);
}

/**
 * The learning rate for 0-based scheduler step `step` (= LambdaLR's last_epoch: the first training step
 * uses step 0). With W = warmup steps, N = totalSteps, ρ = minLr / base:
 *   constant:       base
 *   linear-warmup:  base · (step < W ? step / max(1, W) : 1)
 *   cosine:         step < W:  base · (ρ + (1 − ρ) · step / max(1, W))
 *                   else:      base · max(ρ, ρ + (1 − ρ) · ½(1 + cos(π · p))),  p = (step − W) / max(1, N − W)
 * With ρ = 0 this is exactly HF get_cosine_schedule_with_warmup (num_cycles 0.5). Note the warmup starts at
 * 0: with W > 0 the first step does not move the weights, as in the reference. For step ≥ N we clamp p to
 * 1 (lr = minLr); HF's formula would rise again past N.
 */
export function lrAt(step: number, s: LrSchedule): number {
  if (!(step >= 0) || !Number.isInteger(step)) throw new Error(`lrAt: step must be a non-negative integer, got ${step}`);
  const W = warmupStepsOf(s);
  switch (s.kind) {
    case 'constant':
      return s.base;
    case 'linear-warmup':
      return step < W ? s.base * (step / Math.max(1, W)) : s.base;
    case 'cosine': {
      const rho = s.base > 0 ? (s.minLr ?? 0) / s.base : 0;
      if (step < W) return s.base * (rho + (1 - rho) * (step / Math.max(1, W)));
      const p = Math.min(1, (step - W) / Math.max(1, s.totalSteps - W));
      return s.base * Math.max(rho, rho + (1 - rho) * 0.5 * (1 + Math.cos(Math.PI * p)));
    }
  }
}
