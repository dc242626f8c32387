// The CPU backend: buffers are Float32Arrays, kernels run in the native addon (build/Release/ttrl_cpu.node).
import { createRequire } from 'node:module';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttentionArgs, Backend, Buf, DType, Draws, Ints, Precision, TokenPolicy } from './backend.js';
import { TtrlError } from '../util/errors.js';

class CpuBuf implements Buf {
  readonly dtype = 'f32';
  constructor(readonly data: Float32Array) {}
  get n(): number { return this.data.length; }
}

/** A bf16 buffer: the top 16 bits of each float32. */
class CpuHalfBuf implements Buf {
  readonly dtype = 'bf16';
  constructor(readonly half: Uint16Array) {}
  get n(): number { return this.half.length; }
}

/** The +0x8000 ties of one split allocation (native/split.h, native/cpu/kernels.h): sorted indices, shared by
 *  the allocation's views. A tie is rare (~1 value in 131,072), so the list stays small. */
class TieList {
  idx = new Uint32Array(0);
  /** The ties in [from, to) are now `found` (sorted, inside the range): what a write over that range made. */
  replace(from: number, to: number, found: Uint32Array): void {
    const a = lowerBound(this.idx, from), b = lowerBound(this.idx, to);
    if (a === b && found.length === 0) return;
    const next = new Uint32Array(this.idx.length - (b - a) + found.length);
    next.set(this.idx.subarray(0, a));
    next.set(found, a);
    next.set(this.idx.subarray(b), a + found.length);
    this.idx = next;
  }
}
function lowerBound(xs: Uint32Array, x: number): number {
  let lo = 0, hi = xs.length;
  while (lo < hi) { const mid = (lo + hi) >> 1; if (xs[mid]! < x) lo = mid + 1; else hi = mid; }
  return lo;
}

/** A split buffer (native/split.h): hi and lo halves, and its allocation's tie list (`base`: the view's first
 *  index in it). */
class CpuSplitBuf implements Buf {
  readonly dtype = 'split';
  constructor(readonly hi: Uint16Array, readonly lo: Int16Array, readonly ties: TieList, readonly base: number) {}
  get n(): number { return this.hi.length; }
  /** The native kernels' four arguments for it. */
  get args(): [Uint16Array, Int16Array, Uint32Array, number] { return [this.hi, this.lo, this.ties.idx, this.base]; }
  /** After a native write over the whole view: `found` (its return) are the view's ties now. */
  wrote(found: unknown): void { this.ties.replace(this.base, this.base + this.n, found as Uint32Array); }
}
const split = (b: Buf): CpuSplitBuf => b as CpuSplitBuf;

/** The Float32Array behind a CPU buffer. */
export function arr(b: Buf): Float32Array {
  if (b.dtype !== 'f32') throw new TtrlError(`a ${b.dtype} buffer was given to a kernel that takes float32 only`);
  return (b as CpuBuf).data;
}

/** The typed array behind a buffer of any dtype as a matrix operand (a split buffer's bf16 half). */
function anyArr(b: Buf): Float32Array | Uint16Array {
  return b.dtype === 'bf16' ? (b as CpuHalfBuf).half : b.dtype === 'split' ? split(b).hi : (b as CpuBuf).data;
}

type Native = Record<string, (...args: unknown[]) => unknown>;

function findAddon(): string {
  // dist/src/tensor/cpu.js and src/tensor/cpu.ts both sit three levels below the repo root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const p = path.resolve(here, up, 'build/Release/ttrl_cpu.node');
    if (fs.existsSync(p)) return p;
  }
  throw new TtrlError('native CPU backend not built (build/Release/ttrl_cpu.node missing): run `npm ci` or `npm run install` (needs libopenblas-dev: bash scripts/setup.sh)');
}

/**
 * The thread settings the addon's libraries (libgomp, OpenBLAS) read when loaded, set unless the user has: why each,
 * in loadNative. The benchmark gives PyTorch, which loads the same libraries, the same (bench/torch.ts).
 */
export const THREAD_ENV = { OMP_WAIT_POLICY: 'PASSIVE', GOMP_SPINCOUNT: '3000', OPENBLAS_THREAD_TIMEOUT: '4' } as const;

let native: Native | null = null;
function loadNative(): Native {
  if (native) return native;
  // libgomp reads its wait policy when loaded: passive workers stop OpenMP from spinning on the cores
  // that OpenBLAS's own threads need right after.
  process.env.OMP_WAIT_POLICY ??= THREAD_ENV.OMP_WAIT_POLICY;
  // ...but a worker asleep takes ~50-100 µs to wake, more than a decode step's small kernels run (a 128×896
  // product at one row: 90 µs passive, 20-30 µs with this): spin ~30 µs first (GOMP counts ~100 spins/µs).
  process.env.GOMP_SPINCOUNT ??= THREAD_ENV.GOMP_SPINCOUNT;
  // The converse: after each GEMM, OpenBLAS's worker threads spin (sched_yield) for 2^28 cycles (~0.1 s)
  // before sleeping, competing for the cores with the OpenMP kernel that follows and with other processes
  // (measured: 60-100% of a core burnt while the main thread slept 20 ms after a GEMM; with 2^4 cycles,
  // 0.5%). OpenBLAS reads this when loaded; waking its threads for the next GEMM costs microseconds.
  process.env.OPENBLAS_THREAD_TIMEOUT ??= THREAD_ENV.OPENBLAS_THREAD_TIMEOUT;
  const require = createRequire(import.meta.url);
  native = require(findAddon()) as Native;
  return native;
}

/** What runs bf16 matrix products on this machine (the addon's answer, asked once). */
export interface Bf16Support {
  /** e.g. "oneDNN 2.6.3"; empty when the addon was built without oneDNN */
  library: string;
  /** the implementation oneDNN picks for a bf16 product, e.g. "brg:avx512_core_amx_bf16" */
  impl: string;
  /** whether bf16 products are faster than fp32 by the CPU's design (AMX tiles, or AVX512-BF16 on AMD Zen 4+) */
  fast: boolean;
  /** why bf16 is or is not the fast choice here */
  reason: string;
}

let bf16Support: Bf16Support | null = null;
let announcement: string | null = null;
/** A line for stderr, written once, before the next matrix product (see backendAt in index.ts). */
export function announceAtFirstProduct(line: string): void { announcement = line; }
export function cpuBf16Support(): Bf16Support { return (bf16Support ??= loadNative().bf16Info!() as Bf16Support); }

export class CpuBackend implements Backend {
  readonly name = 'cpu';
  private nat: Native;

  constructor(threads = Number(process.env.TTRL_THREADS ?? os.availableParallelism()), readonly precision: Precision = 'fp32') {
    this.nat = loadNative();
    this.nat.setThreads!(Math.max(1, threads));
  }

  alloc(n: number, dtype: DType = 'f32'): Buf {
    if (dtype === 'split') return new CpuSplitBuf(new Uint16Array(n), new Int16Array(n), new TieList(), 0);
    return dtype === 'bf16' ? new CpuHalfBuf(new Uint16Array(n)) : new CpuBuf(new Float32Array(n));
  }
  fromHost(data: Float32Array): Buf { return new CpuBuf(data); }
  view(b: Buf, offset: number, n: number): Buf {
    const d = anyArr(b);
    if (offset < 0 || offset + n > d.length) throw new RangeError(`view [${offset}, ${offset + n}) outside buffer of ${d.length}`);
    if (b.dtype === 'split') {
      const s = split(b);
      return new CpuSplitBuf(s.hi.subarray(offset, offset + n), s.lo.subarray(offset, offset + n), s.ties, s.base + offset);
    }
    return d instanceof Uint16Array ? new CpuHalfBuf(d.subarray(offset, offset + n)) : new CpuBuf(d.subarray(offset, offset + n));
  }
  upload(dst: Buf, src: Float32Array, offset = 0): void {
    if (dst.dtype !== 'split') { arr(dst).set(src, offset); return; }
    if (offset < 0 || offset + src.length > dst.n) throw new RangeError(`upload of ${src.length} at ${offset} outside buffer of ${dst.n}`);
    const v = split(this.view(dst, offset, src.length));
    v.wrote(this.nat.splitF32!(...v.args, src));
  }
  read(b: Buf): Float32Array {
    if (b.dtype === 'f32') return arr(b);
    const out = new Float32Array(b.n);
    if (b.dtype === 'split') this.nat.joinF32!(out, ...split(b).args);
    else this.nat.fromBf16!(out, anyArr(b));
    return out;
  }
  /** Conversions go through float32, except split → bf16, which is the hi half (its rounding) as it is. */
  copy(dst: Buf, src: Buf): void {
    if (dst.dtype === src.dtype && dst.dtype !== 'split') { (anyArr(dst) as Float32Array).set(anyArr(src) as Float32Array); return; }
    if (dst.n !== src.n) throw new RangeError(`copy of ${src.n} values into a buffer of ${dst.n}`);
    if (dst.dtype === 'bf16' && src.dtype === 'split') { anyArr(dst).set(anyArr(src)); return; }
    const f = src.dtype === 'f32' ? arr(src) : this.read(src);
    if (dst.dtype === 'f32') arr(dst).set(f);
    else if (dst.dtype === 'bf16') this.nat.toBf16!(anyArr(dst), f);
    else split(dst).wrote(this.nat.splitF32!(...split(dst).args, f));
  }
  fill(b: Buf, value: number): void { arr(b).fill(value); }

  gemm(C: Buf, A: Buf, Bm: Buf, M: number, N: number, K: number, transA: boolean, transB: boolean, alpha: number, beta: number): void {
    if (announcement !== null) { process.stderr.write(announcement); announcement = null; }
    if (this.precision === 'bf16') {
      this.nat.gemmBf16!(arr(C), anyArr(A), anyArr(Bm), M, N, K, transA, transB, alpha, beta);
    } else {
      this.nat.gemm!(arr(C), this.f32(A), this.f32(Bm), M, N, K, transA, transB, alpha, beta);
    }
  }
  /** The fp32 product through OpenBLAS only: the benchmark's comparison for the products gemm gives to oneDNN. */
  gemmOpenBlas(C: Buf, A: Buf, Bm: Buf, M: number, N: number, K: number, transA: boolean, transB: boolean): void {
    this.nat.gemmBlas!(arr(C), arr(A), arr(Bm), M, N, K, transA, transB, 1, 0);
  }
  /** Whether products of a few rows use the addon's own kernels (native/cpu/skinny.cc; on by default) or the
   *  libraries': the benchmark's side-by-side switch. Process-wide, as the kernels' choice is. */
  useSkinnyProducts(on: boolean): void { this.nat.setSkinny!(on); }
  /** The most rows of A those kernels take on this CPU at each precision; 0 where it lacks their instructions. */
  skinnyProducts(): { fp32: number; bf16: number } { return this.nat.skinnyInfo!() as { fp32: number; bf16: number }; }
  /** An operand as float32: bf16 ones widened, split ones joined (only an fp32 backend handed those does this). */
  private f32(b: Buf): Float32Array { return b.dtype === 'f32' ? arr(b) : this.read(b); }
  addBias(y: Buf, bias: Buf, M: number, N: number): void { this.nat.addBias!(arr(y), arr(bias), M, N); }
  biasBackward(dbias: Buf, dy: Buf, M: number, N: number): void { this.nat.biasBackward!(arr(dbias), arr(dy), M, N); }
  add(out: Buf, a: Buf, b: Buf): void { this.nat.add!(arr(out), arr(a), arr(b)); }
  axpy(y: Buf, x: Buf, alpha: number): void {
    if (y.dtype === 'split') split(y).wrote(this.nat.axpySplit!(...split(y).args, arr(x), alpha));
    else this.nat.axpy!(arr(y), arr(x), alpha);
  }
  scale(x: Buf, alpha: number): void { this.nat.scale!(arr(x), alpha); }
  sumSquares(x: Buf): number { return this.nat.sumSquares!(arr(x)) as number; }

  rmsnorm(out: Buf, rstd: Buf, x: Buf, w: Buf, M: number, C: number, eps: number): void {
    this.nat.rmsnorm!(arr(out), arr(rstd), arr(x), arr(w), M, C, eps);
  }
  rmsnormBackward(dx: Buf, dw: Buf, dout: Buf, x: Buf, w: Buf, rstd: Buf, M: number, C: number): void {
    this.nat.rmsnormBackward!(arr(dx), arr(dw), arr(dout), arr(x), arr(w), arr(rstd), M, C);
  }
  rope(x: Buf, pos: Ints, invFreq: Buf, M: number, nh: number, D: number, inverse: boolean): void {
    this.nat.rope!(arr(x), pos, arr(invFreq), M, nh, D, inverse);
  }
  private attnObj(a: AttentionArgs): object {
    const slots = a.slots ?? Int32Array.from({ length: a.B }, (_, i) => i);
    return { ...a, q: arr(a.q), k: anyArr(a.k), v: anyArr(a.v), keyMask: arr(a.keyMask), slots };
  }
  attention(out: Buf, lse: Buf, a: AttentionArgs): void { this.nat.attention!(arr(out), arr(lse), this.attnObj(a)); }
  attentionBackward(dq: Buf, dk: Buf, dv: Buf, dout: Buf, out: Buf, lse: Buf, a: AttentionArgs): void {
    arr(a.k); arr(a.v);  // float32 only: training keeps its keys and values in fp32
    this.nat.attentionBackward!(arr(dq), arr(dk), arr(dv), arr(dout), arr(out), arr(lse), this.attnObj(a));
  }
  siluMul(out: Buf, gate: Buf, up: Buf): void { this.nat.siluMul!(arr(out), arr(gate), arr(up)); }
  siluMulBackward(dgate: Buf, dup: Buf, dout: Buf, gate: Buf, up: Buf): void {
    this.nat.siluMulBackward!(arr(dgate), arr(dup), arr(dout), arr(gate), arr(up));
  }
  embedding(out: Buf, table: Buf, ids: Ints, M: number, C: number): void {
    if (table.dtype === 'split') this.nat.embeddingSplit!(arr(out), ...split(table).args, ids, M, C);
    else if (table.dtype === 'bf16') this.nat.embeddingBf16!(arr(out), anyArr(table), ids, M, C);
    else this.nat.embedding!(arr(out), arr(table), ids, M, C);
  }
  embeddingBackward(dtable: Buf, dout: Buf, ids: Ints, M: number, C: number): void {
    this.nat.embeddingBackward!(arr(dtable), arr(dout), ids, M, C);
  }
  logSoftmaxGather(lp: Buf, ent: Buf | null, logits: Buf, targets: Ints, M: number, V: number): void {
    this.nat.logSoftmaxGather!(arr(lp), ent ? arr(ent) : null, arr(logits), targets, M, V);
  }
  logSoftmaxGatherBackward(dlogits: Buf, logits: Buf, targets: Ints, dlp: Buf, dent: Buf | null, M: number, V: number): void {
    this.nat.logSoftmaxGatherBackward!(arr(dlogits), arr(logits), targets, arr(dlp), dent ? arr(dent) : null, M, V);
  }
  sampleRows(logits: Buf, V: number, B: number, rows: Ints | null, p: TokenPolicy, u: Float64Array, out: Draws): void {
    this.nat.sampleRows!(arr(logits), V, rows, B, p.temperature, p.topP, p.topK, p.minP, u, out.tokens, out.logprobs,
      out.entropies ?? null, out.certainties ?? null);
  }
  adamw(p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void {
    if (p.dtype === 'split') split(p).wrote(this.nat.adamwSplit!(...split(p).args, arr(g), arr(m), arr(v), lr, beta1, beta2, eps, weightDecay, bc1, bc2));
    else this.nat.adamw!(arr(p), arr(g), arr(m), arr(v), lr, beta1, beta2, eps, weightDecay, bc1, bc2);
  }
}

const perPrecision = new Map<Precision, CpuBackend>();
/** The process-wide CPU backend at a precision (fp32 unless asked). */
export function cpu(precision: Precision = 'fp32'): CpuBackend {
  let be = perPrecision.get(precision);
  if (!be) { be = new CpuBackend(undefined, precision); perPrecision.set(precision, be); }
  return be;
}
