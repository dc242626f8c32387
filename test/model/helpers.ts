import fs from 'node:fs';
import path from 'node:path';
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
