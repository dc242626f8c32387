// Test helpers for the RL math: read a verl-parity fixture (NaN/Infinity arrive as strings), flatten
// nested [B][T] arrays, compare with |got − want| ≤ atol + rtol·|want| and report maxdiff, and take
// central finite differences.
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { SHARED_DIR } from '../shared.js';
import { Rng } from '../../src/util/rng.js';

export const FIXTURE_DIR = path.join(SHARED_DIR, 'fixtures', 'verl-parity');

/** Parse a fixture file, turning "NaN" / "Infinity" / "-Infinity" strings into numbers. */
export function readFixture(name: string): any {
  const text = fs.readFileSync(path.join(FIXTURE_DIR, name), 'utf8');
  return JSON.parse(text, (_k, v) => (v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v));
}

/** Row-major flattening of a nested numeric array. */
export function flat(x: unknown): number[] {
  if (typeof x === 'number') return [x];
  if (Array.isArray(x)) return x.flatMap((y) => flat(y));
  throw new Error(`flat: unexpected ${typeof x}`);
}

export function shape2(x: unknown[][]): [number, number] {
  return [x.length, x[0]!.length];
}

export interface Tol { atol: number; rtol?: number }

/**
 * Element-wise closeness; NaN matches only NaN, −0 equals 0. Fails with the worst index and maxdiff.
 * Returns maxdiff so callers can print it.
 */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol, what: string): number {
  assert.equal(got.length, want.length, `${what}: length ${got.length} vs ${want.length}`);
  let maxdiff = 0, worst = -1, bad = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (!(Number.isNaN(w) && Number.isNaN(g)) && bad < 0) bad = i;
      continue;
    }
    if (g === w) continue; // also equal infinities
    const d = Math.abs(g - w);
    if (d > maxdiff) { maxdiff = d; worst = i; }
    if (!(d <= tol.atol + (tol.rtol ?? 0) * Math.abs(w)) && bad < 0) bad = i;
  }
  assert.ok(bad < 0, `${what}: index ${bad} got ${got[bad]} want ${want[bad]} (maxdiff ${maxdiff} at ${worst}, atol ${tol.atol}, rtol ${tol.rtol ?? 0})`);
  return maxdiff;
}

export function assertCloseScalar(got: number, want: number, tol: Tol, what: string): number {
  return assertClose([got], [want], tol, what);
}

/** Central difference of f at x along coordinate i with step h (x is restored). */
export function centralDiff(f: (x: Float64Array) => number, x: Float64Array, i: number, h: number): number {
  const x0 = x[i]!;
  x[i] = x0 + h; const fp = f(x);
  x[i] = x0 - h; const fm = f(x);
  x[i] = x0;
  return (fp - fm) / (2 * h);
}

/** n seeded standard-normal samples times scale, for property and finite-difference tests. */
export function normals(n: number, seed: number, scale = 1): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => scale * r.normal());
}
