// The attention kernel alone, at the Qwen2.5-0.5B head shape (H=14 query heads, G=2 KV heads, D=64), with
// an fp32 and a bf16 KV cache: a prefill (B rows of T queries from position 0) and a decode step (B rows of
// one query after `ctx` cached positions). Best of reps; GFLOP/s counts 4·D per visible (query, key) pair
// (q·k and p·v).
import { cpu } from '../src/tensor/cpu.js';
import type { Backend, Buf, DType } from '../src/tensor/backend.js';
import { positional } from './profile.js';

const { B, T, ctx } = positional('node dist/bench/attention.js [B] [T] [ctx]', { B: 4, T: 256, ctx: 512 });
const H = 14, G = 2, D = 64;

function fill(be: Backend, n: number, dtype: DType, salt: number): Buf {
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + salt));
  const f = be.alloc(n);
  be.upload(f, x);
  if (dtype === 'f32') return f;
  const h = be.alloc(n, dtype);
  be.copy(h, f);
  return h;
}

/** Seconds of one attention call (best of reps, at least minSeconds in all) and its GFLOP/s. */
function time(be: Backend, dtype: DType, Tq: number, S: number, start: number, minSeconds = 0.5) {
  const q = fill(be, B * Tq * H * D, 'f32', 1), k = fill(be, B * S * G * D, dtype, 2), v = fill(be, B * S * G * D, dtype, 3);
  const keyMask = be.alloc(B * S);
  be.upload(keyMask, new Float32Array(B * S).fill(1));
  const out = be.alloc(B * Tq * H * D), lse = be.alloc(B * H * Tq);
  const args = { B, T: Tq, S, H, G, D, q, k, v, keyMask, qStart: new Int32Array(B).fill(start), scale: 1 / Math.sqrt(D) };
  be.attention(out, lse, args);  // warm-up: thread pool, scratch
  let best = Infinity, total = 0;
  for (let r = 0; r < 200 && (r < 3 || total < minSeconds); r++) {
    const t0 = performance.now();
    be.attention(out, lse, args);
    const dt = (performance.now() - t0) / 1000;
    best = Math.min(best, dt); total += dt;
  }
  let pairs = 0;
  for (let t = 0; t < Tq; t++) pairs += start + t + 1;
  return { seconds: +best.toFixed(6), gflops: +((4 * D * B * H * pairs) / best / 1e9).toFixed(2) };
}

const be = cpu();
const out: Record<string, unknown> = {};
for (const dtype of ['f32', 'bf16'] as const) {
  out[`prefill ${dtype} kv (B=${B}, T=${T})`] = time(be, dtype, T, T, 0);
  out[`decode ${dtype} kv (B=${B}, ctx=${ctx})`] = time(be, dtype, 1, ctx + 1, ctx);
}
console.log(JSON.stringify(out, null, 1));
