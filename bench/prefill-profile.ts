// Where bf16 prefill time goes: the prefill section's model.step at precision fp32 and bf16, every kernel
// call timed (bench/profile.ts). `node dist/bench/prefill-profile.js [B] [T]`
import { cpu } from '../src/tensor/cpu.js';
import { benchModel } from './qwen.js';
import { modelAt } from './precision.js';
import { positional, profiled } from './profile.js';
import { benchPrefill } from './engine.js';

const { B, T } = positional('node dist/bench/prefill-profile.js [B] [T]', { B: 4, T: 256 });
const base = benchModel(1, cpu());
const out: Record<string, unknown> = {};
for (const precision of ['fp32', 'bf16'] as const) {
  const { be, prof } = profiled(cpu(precision));
  const model = modelAt(base, be);
  benchPrefill(model, B, T, 1);
  prof.reset();
  const r = benchPrefill(model, B, T, 1);
  out[precision] = { seconds: +r.seconds.toFixed(3), kernels: prof.report() };
}
console.log(JSON.stringify(out, null, 1));
