// Where decode time goes: batched model.step of one token at fp32 and bf16, every kernel call timed
// (bench/profile.ts). `node dist/bench/decode-profile.js [B] [ctx] [steps] [on|off|both]` (both: the addon's few-row kernels against the libraries', side by side)
import { cpu } from '../src/tensor/cpu.js';
import { benchModel } from './qwen.js';
import { modelAt } from './precision.js';
import { profiled } from './profile.js';
import { benchDecode } from './engine.js';

const B = Number(process.argv[2] ?? 16), ctx = Number(process.argv[3] ?? 64), steps = Number(process.argv[4] ?? 6);
const base = benchModel(1, cpu());
const out: Record<string, unknown> = {};
const skinnyArg = process.argv[5] ?? 'both';
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
