// Peak RSS of one training step (model.forward + model.backward, as the train section times it) in a fresh
// process: the train section runs fp32 then bf16 in one process, where the heap one run freed but the allocator
// kept counts against the next, so the precisions' peaks are compared here, each from a clean start.
//   node dist/bench/train-memory.js fp32|bf16 B T 0|1   → one JSON line {precision, checkpoint, peakRssMB, modelMB}
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpu } from '../src/tensor/cpu.js';
import { benchModel } from './qwen.js';
import { modelAt, modelMB } from './precision.js';
import { benchTrain } from './engine.js';

export interface FreshPeak { precision: string; checkpoint: boolean; peakRssMB: number; modelMB: number }

function main(): void {
  const [precision, B, T, ckpt] = process.argv.slice(2);
  if ((precision !== 'fp32' && precision !== 'bf16') || !B || !T || (ckpt !== '0' && ckpt !== '1')) {
    throw new Error('usage: node dist/bench/train-memory.js fp32|bf16 B T 0|1');
  }
  const base = benchModel(1, cpu());
  const model = precision === 'fp32' ? base : modelAt(base, cpu('bf16'));
  const r = benchTrain(model, Number(B), Number(T), ckpt === '1', () => {}, false);  // one step: the peak is the same
  const out: FreshPeak = { precision, checkpoint: ckpt === '1', peakRssMB: r.peakRssMB!, modelMB: modelMB(model) };
  console.log(JSON.stringify(out));
}

if (fileURLToPath(import.meta.url) === process.argv[1]) main();

/** Both precisions' peaks for one training shape, each in a child process of its own (run one after the other). */
export function freshPeaks(B: number, T: number, checkpoint: boolean): { fp32: number; bf16: number } {
  const peak = (precision: string): number => {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), precision, String(B), String(T), checkpoint ? '1' : '0'],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return (JSON.parse(out.trim().split('\n').pop()!) as FreshPeak).peakRssMB;
  };
  return { fp32: peak('fp32'), bf16: peak('bf16') };
}
