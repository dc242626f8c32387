import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { Model, Batch } from '../../src/model/model.js';
import { SHARED_DIR } from '../shared.js';

export const PARITY_DIR = path.join(SHARED_DIR, 'fixtures', 'hf-parity');
export const PARITY_MODELS = ['llama', 'qwen2', 'llama3', 'qwen2-bf16', 'llama-sharded', 'qwen3'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function reference(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(PARITY_DIR, name, 'reference.json'), 'utf8'));
}

export function flat(x: unknown): number[] {
  return (x as unknown[]).flat(Infinity as 1) as number[];
}

/** max |a − b| over entries where keep(i) (NaN-safe: NaN counts as Infinity). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep: (i: number) => boolean = () => true): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    if (!keep(i)) continue;
    const d = Math.abs(a[i]! - b[i]!);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/** A next-token batch of `ids` (B,T); with `mask`, a position is scored only when it and its target are real. */
export function lmBatch(ids: number[][], mask?: number[][]): Batch {
  const B = ids.length, T = ids[0]!.length;
  const targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) {
    if (!mask || (mask[b]![t] && mask[b]![t + 1])) targets[b * T + t] = ids[b]![t + 1]!;
  }
  return { B, T, ids: Int32Array.from(ids.flat()), mask: Float32Array.from(mask ? mask.flat() : new Array(B * T).fill(1)), targets };
}

/** Mean NLL over the scored positions; its gradient accumulates into the model's parameters. */
export function meanNll(model: Model, batch: Batch): number {
  model.zeroGrad();
  const st = model.forward(batch);
  const n = st.rows.length, dlp = new Float32Array(st.logprobs.length);
  let loss = 0;
  for (const m of st.rows) { loss -= st.logprobs[m]! / n; dlp[m] = -1 / n; }
  model.backward(st, dlp);
  return loss;
}

/** Prints maxdiff even when it passes, then checks it against tol. */
export function reportMaxDiff(t: TestContext, label: string, d: number, tol: number): void {
  t.diagnostic(`${label}: maxdiff ${d.toExponential(2)} (tol ${tol.toExponential(2)})`);
  assert.ok(d <= tol, `${label}: maxdiff ${d} exceeds ${tol}`);
}
