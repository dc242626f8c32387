// Shared pieces of the kernel suites: the list of backends to test, random inputs, host <-> device moves,
// an allclose check that reports maxdiff, and central finite differences.
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Buf } from '../../src/tensor/backend.js';
import { backends as deviceBackends, type Unavailable } from '../../src/tensor/index.js';
import { CudaBackend, cudaAddonPath } from '../../src/tensor/cuda.js';
import { Rng } from '../../src/util/rng.js';

interface TestBackends { available: Backend[]; skipped: { name: string; reason: string }[] }
let cached: TestBackends | null = null;

/** The backends of this process, computed once: every device backend that runs here (src/tensor/index.ts);
 *  on a GPU with cuBLAS also 'cuda-sgemm', the CUDA backend on its built-in GEMM; and 'cuda-emu', the CUDA
 *  kernels on the host emulator (native/cuda/emu.h), which checks their logic on machines without a GPU
 *  (TTRL_CUDA_EMU_TESTS=0 leaves it out). */
function testBackends(): TestBackends {
  if (cached) return cached;
  const { available, unavailable } = deviceBackends();
  const skipped: { name: string; reason: string }[] = unavailable.map((u: Unavailable) => ({ name: u.name, reason: u.reason }));
  const gpu = available.find((b) => b.name === 'cuda') as CudaBackend | undefined;
  if (gpu?.cublas) available.push(new CudaBackend({ gemm: 'builtin', name: 'cuda-sgemm' }));
  if (process.env.TTRL_CUDA_EMU_TESTS === '0') skipped.push({ name: 'cuda-emu', reason: 'TTRL_CUDA_EMU_TESTS=0' });
  else if (!cudaAddonPath('emulator')) skipped.push({ name: 'cuda-emu', reason: 'build/Release/ttrl_cuda_emu.node not built (bash scripts/build-cuda.sh --only emu)' });
  else available.push(new CudaBackend({ addon: 'emulator' }));
  return (cached = { available, skipped });
}

/** Every backend available in this process; each kernel suite runs once per entry, so a new backend
 *  inherits every test. */
export function backends(): Backend[] {
  return testBackends().available;
}

/** The backends that cannot run here, each with a one-line reason, for the suites to report as skipped. */
export function skippedBackends(): { name: string; reason: string }[] {
  return testBackends().skipped;
}

/** n float32 normals × std (as float32, so the float64 reference sees exactly the backend's inputs). */
export function randn(rng: Rng, n: number, std = 1): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal() * std;
  return x;
}

/** n uniform integers in [0, hi). */
export function randInts(rng: Rng, n: number, hi: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(hi));
}

export const f64 = (x: ArrayLike<number>): Float64Array => Float64Array.from(x);

/** A device buffer holding x (copied: tests keep their host arrays). */
export function dev(be: Backend, x: ArrayLike<number>): Buf {
  const b = be.alloc(x.length);
  be.upload(b, Float32Array.from(x));
  return b;
}

/** A float64 host copy of a device buffer. */
export const host = (be: Backend, b: Buf): Float64Array => Float64Array.from(be.read(b));

export interface Tol {
  atol: number;
  rtol: number;
}

/**
 * Asserts |got − want| ≤ bound for every entry, bound = atol + rtol·|want| (or, when `scale` is given,
 * atol + rtol·scale[i]: a per-entry error scale such as Σ|a·b| of a dot product). Infinite wants must match
 * exactly; NaN never passes. Reports maxdiff as a test diagnostic even on success, and in the failure
 * message with the worst entry.
 */
export function close(t: TestContext, label: string, got: ArrayLike<number>, want: ArrayLike<number>, tol: Tol,
                      scale?: ArrayLike<number>): void {
  assert.equal(got.length, want.length, `${label}: length ${got.length} vs ${want.length}`);
  let maxdiff = 0, worst = -1, worstExcess = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!, w = want[i]!;
    if (!Number.isFinite(w) && !Number.isNaN(w)) {
      if (g !== w) { worst = i; worstExcess = Infinity; }
      continue;
    }
    const d = Number.isNaN(g) ? Infinity : Math.abs(g - w);
    maxdiff = Math.max(maxdiff, d);
    const excess = d - (tol.atol + tol.rtol * Math.abs(scale ? scale[i]! : w));
    if (excess > worstExcess || (Number.isNaN(excess) && worst < 0)) { worst = i; worstExcess = excess; }
  }
  t.diagnostic(`${label}: maxdiff ${maxdiff.toExponential(2)} over ${want.length}`);
  assert.ok(worst < 0, `${label}: maxdiff ${maxdiff} exceeds atol ${tol.atol} + rtol ${tol.rtol}; worst [${worst}] got ${got[worst]} want ${want[worst]}`);
}

/** Central differences (f(x + h·e_i) − f(x − h·e_i)) / 2h at the given indices of x (x is restored). */
export function finiteDiff(f: () => number, x: Float64Array, idxs: number[], h: number): number[] {
  return idxs.map((i) => {
    const old = x[i]!;
    x[i] = old + h; const fp = f();
    x[i] = old - h; const fm = f();
    x[i] = old;
    return (fp - fm) / (2 * h);
  });
}

/** A spread of k distinct indices in [0, n) (always including the first and last). */
export function someIndices(rng: Rng, n: number, k: number): number[] {
  const s = new Set<number>([0, n - 1]);
  while (s.size < Math.min(k, n)) s.add(rng.int(n));
  return [...s].sort((a, b) => a - b);
}

/** Σ a·b */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** x rounded to bfloat16 (nearest even; NaN stays NaN), as float32 values: the reference for the bf16 paths,
 *  written from the format's definition (keep the top 16 bits of the float32, rounding on the low 16). */
export function roundBf16(x: ArrayLike<number>): Float32Array {
  const f = Float32Array.from(x), u = new Uint32Array(f.buffer);
  for (let i = 0; i < u.length; i++) {
    const b = u[i]!;
    if ((b & 0x7fffffff) > 0x7f800000) continue;  // NaN
    const low = b & 0xffff, up = b - low;
    u[i] = (low > 0x8000 || (low === 0x8000 && (up & 0x10000))) ? (up + 0x10000) >>> 0 : up;
  }
  return f;
}
