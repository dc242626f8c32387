// `npm run bench -- --only lora`: one TTRL update step with LoRA (r=16 on all seven Linears of every layer,
// frozen base, the base as KL reference) against full fine-tuning (policy + reference copy + AdamW over every
// weight) on a Qwen2.5-1.5B shape with random weights. Each run is a child process (bench/lora-step.ts),
// so each peak RSS is that run's alone.
//
// Full fine-tuning of the whole 28-layer shape needs about 31 GB in fp32 (policy, reference, gradients and
// two AdamW moments, 1.54B values each), more than this machine has. So both variants run side by side at
// 2 and 4 layers (the same shape otherwise: embedding/head, hidden 1536, MLP 8960), LoRA also at all 28, and
// full fine-tuning's 28-layer memory and time are extrapolated linearly in the layer count from its 2- and
// 4-layer runs (every layer is the same size; the embedding, head and fixed costs are the intercept).
// Wall-time ratios are reported next to CPU-second ratios: on a loaded machine the latter are the steadier.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SectionContext } from './section.js';

type Run = Record<string, number | string | object>;

function step(args: Record<string, unknown>, log: (m: string) => void): Run {
  log(`  lora-step ${JSON.stringify(args)}`);
  const child = fileURLToPath(new URL('./lora-step.js', import.meta.url));
  const r = spawnSync(process.execPath, [child, JSON.stringify(args)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`lora-step ${JSON.stringify(args)} failed (${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Run;
  log(`    ${JSON.stringify(out)}`);
  return out;
}

/** y(28) from y(2) and y(4), linear in layers. */
const extrapolate = (y2: number, y4: number, L: number): number => y2 + ((y4 - y2) / 2) * (L - 2);

export async function benchLora(ctx: SectionContext): Promise<unknown> {
  const shape = ctx.quick ? { B: 2, P: 16, R: 16, micro: 1 } : { B: 4, P: 32, R: 32, micro: 2 };
  const base = { ...shape, r: 16 };
  const runs: Record<string, Run> = {};
  for (const layers of [2, 4]) {
    for (const variant of ['full', 'lora'] as const) runs[`${variant}${layers}`] = step({ ...base, variant, layers, decode: false }, ctx.log);
  }
  const L = ctx.quick ? 4 : 28;
  const lora = ctx.quick ? runs.lora4! : step({ ...base, variant: 'lora', layers: L, decode: true }, ctx.log);
  const n = (r: Run, k: string): number => r[k] as number;
  const full28 = {
    peakRssMB: Math.round(extrapolate(n(runs.full2!, 'peakRssMB'), n(runs.full4!, 'peakRssMB'), L)),
    seconds: +extrapolate(n(runs.full2!, 'seconds'), n(runs.full4!, 'seconds'), L).toFixed(2),
    cpuSeconds: +extrapolate(n(runs.full2!, 'cpuSeconds'), n(runs.full4!, 'cpuSeconds'), L).toFixed(2),
  };
  const tokens = n(lora, 'tokens');
  // A wall-time slope from two runs is only as good as the machine is quiet; a non-positive one says it was not.
  const wallOk = n(runs.full4!, 'seconds') > n(runs.full2!, 'seconds');
  const fullTps = wallOk ? tokens / full28.seconds : NaN;
  const sameShape = (layers: number) => ({
    memoryRatio: +(n(runs[`lora${layers}`]!, 'peakRssMB') / n(runs[`full${layers}`]!, 'peakRssMB')).toFixed(3),
    speedRatio: +(n(runs[`lora${layers}`]!, 'tokensPerS') / n(runs[`full${layers}`]!, 'tokensPerS')).toFixed(3),
    cpuSpeedRatio: +(n(runs[`full${layers}`]!, 'cpuSeconds') / n(runs[`lora${layers}`]!, 'cpuSeconds')).toFixed(3),
  });
  const memoryRatio = n(lora, 'peakRssMB') / full28.peakRssMB, speedRatio = wallOk ? n(lora, 'tokensPerS') / fullTps : null;
  return {
    shape: 'Qwen2.5-1.5B (hidden 1536, 12 heads / 2 KV heads, MLP 8960, vocab 151936, tied head; random weights)',
    step: `${shape.B} responses of ${shape.P} prompt + ${shape.R} response tokens, micro-batch ${shape.micro}, kl_coef 0.001 (reference forward), AdamW`,
    lora: `r 16, alpha 32, all of ${'q,k,v,o,gate,up,down'}_proj`,
    runs,
    [`lora${L}`]: lora,
    [`full${L}Extrapolated`]: { ...full28, ...(wallOk ? { tokensPerS: +fullTps.toFixed(2) } : { seconds: null }), from: 'full2 and full4, linear in layers' },
    loadAvg: os.loadavg().map((x) => +x.toFixed(1)),
    sameShape: { layers2: sameShape(2), layers4: sameShape(4) },
    goals: {
      memory: { ratio: +memoryRatio.toFixed(3), goal: '<= 0.5', met: memoryRatio <= 0.5 },
      speed: speedRatio === null ? { ratio: null, goal: '>= 1.3', note: 'full4 ran no slower than full2 in wall time: too noisy to extrapolate' }
        : { ratio: +speedRatio.toFixed(3), goal: '>= 1.3', met: speedRatio >= 1.3 },
      // CPU seconds of the same work: less disturbed than wall time by other jobs on a shared machine
      cpuSpeed: { ratio: +(full28.cpuSeconds / n(lora, 'cpuSeconds')).toFixed(3), goal: '>= 1.3' },
    },
  };
}
