// Where decode time goes: batched model.step of one token at fp32 and bf16, every kernel call timed
// (bench/profile.ts). Both (the default): the addon's few-row kernels against the libraries', side by side.
import { cpu } from '../src/tensor/cpu.js';
import { benchModel } from './qwen.js';
import { modelAt } from './precision.js';
import { positional, profiled } from './profile.js';
import { benchDecode } from './engine.js';

const { B, ctx, steps, skinnyArg } = positional('node dist/bench/decode-profile.js [B] [ctx] [steps] [both|on|off]',
  { B: 16, ctx: 64, steps: 6, skinnyArg: ['both', 'on', 'off'] as const });
const base = benchModel(1, cpu());
const out: Record<string, unknown> = {};
for (const precision of ['fp32', 'bf16'] as const) {
  const raw = cpu(precision), { be, prof } = profiled(raw);
  const model = modelAt(base, be);
  for (const skinny of skinnyArg === 'both' ? [true, false] : [skinnyArg === 'on']) {
    raw.useSkinnyProducts(skinny);
    benchDecode(model, B, ctx, 1);
    prof.reset();
    const r = benchDecode(model, B, ctx, steps);
    out[`${precision} skinny=${skinny}`] = { stepMs: +(r.seconds / steps * 1000).toFixed(1), tokensPerS: +(r.tokensPerS ?? 0).toFixed(1), kernels: prof.report() };
  }
  raw.useSkinnyProducts(true);
}
console.log(JSON.stringify(out, null, 1));
