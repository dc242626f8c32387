// Where training time goes: one forward + backward (the train section's step) at fp32 and at bf16, every kernel
// call timed (bench/profile.ts); `first` profiles a model's first step (buffers allocated and first touched).
import { cpu } from '../src/tensor/cpu.js';
import { benchModel } from './qwen.js';
import { modelAt } from './precision.js';
import { positional, profiled } from './profile.js';
import { benchTrain, releaseTraining } from './engine.js';

const args = positional('node dist/bench/train-profile.js [B] [T] [1|0 checkpoint] [warm|first]',
  { B: 4, T: 256, ckpt: ['1', '0'] as const, step: ['warm', 'first'] as const });
const { B, T } = args, checkpoint = args.ckpt === '1';
const base = benchModel(1, cpu());
const out: Record<string, unknown> = {};
for (const precision of ['fp32', 'bf16'] as const) {
  const { be, prof } = profiled(cpu(precision));
  const model = modelAt(base, be);
  const r = benchTrain(model, B, T, checkpoint, () => prof.reset(), args.step === 'warm');
  out[precision] = { seconds: +r.seconds.toFixed(2), kernels: prof.report() };
  releaseTraining(model);
}
console.log(JSON.stringify(out, null, 1));
