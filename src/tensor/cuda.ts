// The CUDA backend: buffers live in GPU memory, kernels run in the optional addon build/Release/ttrl_cuda.node
// (native/cuda/, built by scripts/build-cuda.sh when nvcc is present). The same class also drives
// ttrl_cuda_emu.node, the kernels compiled for a host emulator, so that the kernel tests check the CUDA
// code paths on machines without a GPU.
//
// Buffers are device allocations owned by the addon (freed when the JS object is collected); a view is the
// same allocation at an offset. read() returns a host copy (the CPU backend returns a view), upload / copy /
// kernels are asynchronous on one stream, and read() and sumSquares() wait for the work before them.
// Nothing here loads the addon until a CudaBackend is constructed: the CPU path never touches it.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AttentionArgs, Backend, Buf, DType, Draws, Ints, Precision, TokenPolicy } from './backend.js';
import { TtrlError } from '../util/errors.js';

class CudaBuf implements Buf {
  /** addr: device address of element 0 (a plain number: user-space addresses are < 2^47); of a split
   *  buffer, its hi half's. owner: the addon's handle of the allocation, kept alive by every view of it.
   *  split: a split buffer's lo half, its tie bits and its first bit (native/split.h). */
  constructor(readonly n: number, readonly addr: number, readonly owner: object, readonly dtype: DType = 'f32',
              readonly split?: { lo: number; ties: number; base: number }) {}
}

/** A split buffer's four kernel arguments: hi, lo, ties, first bit. */
const splitArgs = (b: Buf): [number, number, number, number] => {
  const c = b as CudaBuf;
  if (!c.split) throw new TtrlError(`a ${b.dtype} buffer was given where a split one is expected`);
  return [c.addr, c.split.lo, c.split.ties, c.split.base];
};

/** The device address of a float32 buffer (the kernels that take only those). */
const dev = (b: Buf): number => {
  if (b.dtype !== 'f32') throw new TtrlError(`a ${b.dtype} buffer was given to a kernel that takes float32 only`);
  return (b as CudaBuf).addr;
};
/** The device address of a buffer of either dtype. */
const devAny = (b: Buf): number => (b as CudaBuf).addr;
/** Bytes of one value (of a split buffer: its hi or lo half, each laid out like a bf16 buffer). */
const bytesOf = (dtype: DType): number => (dtype === 'f32' ? 4 : 2);
const devOrNull = (b: Buf | null): number | null => (b ? dev(b) : null);

type Native = Record<string, (...args: unknown[]) => unknown>;
export type CudaAddon = 'device' | 'emulator';

const ADDON_FILE: Record<CudaAddon, string> = { device: 'ttrl_cuda.node', emulator: 'ttrl_cuda_emu.node' };

/** The addon's path, or null when it was not built. */
export function cudaAddonPath(which: CudaAddon = 'device'): string | null {
  // dist/src/tensor/cuda.js and src/tensor/cuda.ts both sit three levels below the repo root.
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../../..', '../..']) {
    const p = path.resolve(here, up, 'build/Release', ADDON_FILE[which]);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

const loaded = new Map<CudaAddon, Native>();
function loadAddon(which: CudaAddon): Native {
  const have = loaded.get(which);
  if (have) return have;
  const p = cudaAddonPath(which);
  if (!p) {
    throw new TtrlError(which === 'device'
      ? 'CUDA backend not built (build/Release/ttrl_cuda.node missing): on a machine with nvcc run `bash scripts/build-cuda.sh`, or use --device cpu (docs/cuda.md)'
      : 'CUDA emulator not built (build/Release/ttrl_cuda_emu.node missing): run `bash scripts/build-cuda.sh --only emu`');
  }
  const nat = createRequire(import.meta.url)(p) as Native;
  loaded.set(which, nat);
  return nat;
}

export interface CudaProbe {
  devices: number;
  name?: string;
  /** compute capability × 10 (90 for an H100) */
  cc?: number;
  memoryBytes?: number;
  error?: string;
}

/** Why the CUDA backend cannot run here (one line), or null when it can: the addon loads and a device is
 *  present. Never throws. */
export function cudaUnavailable(): string | null {
  try {
    const p = loadAddon('device').probe!() as CudaProbe;
    if (p.devices > 0) return null;
    return `no CUDA device (${p.error ?? 'cudaGetDeviceCount found none'})`;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Where PyTorch's wheels keep cuBLAS on the GPU machines (no cuBLAS in the CUDA toolkit there or here). */
function findCublas(): string | null {
  if (process.env.TTRL_CUBLAS) return process.env.TTRL_CUBLAS;
  const roots = ['/opt/torch/.venv/lib', '/usr/local/lib', '/usr/lib'];
  for (const r of roots) {
    let pys: string[] = [];
    try { pys = fs.readdirSync(r).filter((d) => d.startsWith('python3')); } catch { continue; }
    for (const py of pys) {
      for (const site of ['site-packages', 'dist-packages']) {
        for (const sub of ['nvidia/cu13/lib', 'nvidia/cublas/lib']) {
          const dir = path.join(r, py, site, sub);
          let libs: string[] = [];
          try { libs = fs.readdirSync(dir).filter((f) => /^libcublas\.so\.\d+$/.test(f)); } catch { continue; }
          if (libs.length) return path.join(dir, libs.sort().at(-1)!);
        }
      }
    }
  }
  return null;  // the addon then tries libcublas.so.13 / .12 on the loader's path
}

export interface CudaOptions {
  /** 'device' (the GPU) or 'emulator' (the kernels on the host, for tests). */
  addon?: CudaAddon;
  /** GEMM through cuBLAS when it can be loaded ('auto'), or always the built-in SGEMM ('builtin'). */
  gemm?: 'auto' | 'builtin';
  /** The backend's name in tests and logs. */
  name?: string;
  /** Number format of gemm's operands (default fp32). */
  precision?: Precision;
  /** Share this backend's addon, device and buffers (a twin at another precision). */
  sameDeviceAs?: CudaBackend;
  /** A cuBLAS library to load instead of searching for one. With the emulator, tests pass a host
   *  stand-in (build/Release/ttrl_fake_cublas.so) to check the call without a GPU. */
  cublasPath?: string;
}

export class CudaBackend implements Backend {
  readonly name: string;
  readonly precision: Precision;
  /** The cuBLAS library in use (path and version), or null when GEMMs run on the built-in kernel. */
  readonly cublas: string | null;
  /** Why cuBLAS was not loaded, when gemm was 'auto' and it failed. */
  readonly cublasError: string | null;
  readonly device: CudaProbe;
  private nat: Native;
  private useCublas: boolean;

  constructor(opts: CudaOptions = {}) {
    this.precision = opts.precision ?? 'fp32';
    if (opts.sameDeviceAs) {  // a twin at another precision: the same addon, device and buffers
      const o = opts.sameDeviceAs;
      this.nat = o.nat; this.device = o.device; this.cublas = o.cublas; this.cublasError = o.cublasError;
      this.useCublas = o.useCublas; this.name = o.name;
      return;
    }
    const which = opts.addon ?? 'device';
    this.nat = loadAddon(which);
    this.device = this.nat.probe!() as CudaProbe;
    if (this.device.devices < 1) throw new TtrlError(`CUDA backend: no CUDA device (${this.device.error ?? 'none found'}); use --device cpu`);
    const wantCublas = (opts.gemm ?? 'auto') === 'auto' && (which === 'device' || opts.cublasPath !== undefined);
    const lib = opts.cublasPath ?? (wantCublas ? findCublas() : null);
    const r = this.nat.init!(wantCublas ? lib : false) as { cublas: string | null; cublasError?: string };
    this.cublas = r.cublas;
    this.cublasError = r.cublasError ?? null;
    this.useCublas = this.cublas !== null;
    this.name = opts.name ?? (which === 'emulator' ? 'cuda-emu' : 'cuda');
  }

  // ---- memory ---------------------------------------------------------------------------------------
  alloc(n: number, dtype: DType = 'f32'): Buf {
    if (dtype === 'split') {  // one allocation: hi (2n bytes), lo (2n), tie bits (a word per 32 values)
      const owner = this.nat.alloc!(n + Math.ceil(n / 32)) as object, addr = this.nat.addr!(owner) as number;
      return new CudaBuf(n, addr, owner, dtype, { lo: addr + 2 * n, ties: addr + 4 * n, base: 0 });
    }
    const owner = this.nat.alloc!(Math.ceil((n * bytesOf(dtype)) / 4)) as object;  // the addon counts floats
    return new CudaBuf(n, this.nat.addr!(owner) as number, owner, dtype);
  }
  fromHost(data: Float32Array): Buf {
    const b = this.alloc(data.length);
    this.upload(b, data);
    return b;
  }
  view(b: Buf, offset: number, n: number): Buf {
    const c = b as CudaBuf;
    if (offset < 0 || n < 0 || offset + n > c.n) throw new RangeError(`view [${offset}, ${offset + n}) outside buffer of ${c.n}`);
    const s = c.split && { lo: c.split.lo + 2 * offset, ties: c.split.ties, base: c.split.base + offset };
    return new CudaBuf(n, c.addr + bytesOf(c.dtype) * offset, c.owner, c.dtype, s);
  }
  upload(dst: Buf, src: Float32Array, offset = 0): void {
    if (offset < 0 || offset + src.length > dst.n) throw new RangeError(`upload of ${src.length} at ${offset} outside buffer of ${dst.n}`);
    if (!src.length) return;
    if (dst.dtype !== 'split') { this.nat.upload!(dev(dst) + 4 * offset, src); return; }
    const wide = this.fromHost(src);
    this.nat.splitF32!(...splitArgs(this.view(dst, offset, src.length)), dev(wide), src.length);
  }
  read(b: Buf): Float32Array {
    if (b.dtype === 'f32') return this.nat.download!(dev(b), b.n) as Float32Array;
    const wide = this.alloc(b.n);
    this.copy(wide, b);
    return this.nat.download!(dev(wide), b.n) as Float32Array;
  }
  /** Conversions go through float32, except split → bf16, which is the hi half (its rounding) as it is. */
  copy(dst: Buf, src: Buf): void {
    if (dst.n !== src.n) throw new RangeError(`copy of ${src.n} ${src.dtype === 'f32' ? 'floats' : 'values'} into a buffer of ${dst.n}`);
    if (!src.n) return;
    if (dst.dtype === src.dtype && dst.dtype !== 'split') { this.nat.copy!(devAny(dst), devAny(src), 0, src.n * bytesOf(src.dtype)); return; }
    if (dst.dtype === 'bf16' && src.dtype === 'split') { this.nat.copy!(devAny(dst), devAny(src), 0, src.n * 2); return; }
    let f = src;
    if (src.dtype !== 'f32') {
      f = this.alloc(src.n);
      if (src.dtype === 'split') this.nat.joinF32!(dev(f), ...splitArgs(src), src.n);
      else this.nat.fromBf16!(dev(f), devAny(src), src.n);
    }
    if (dst.dtype === 'f32') this.nat.copy!(dev(dst), dev(f), 0, src.n * 4);
    else if (dst.dtype === 'bf16') this.nat.toBf16!(devAny(dst), dev(f), src.n);
    else this.nat.splitF32!(...splitArgs(dst), dev(f), src.n);
  }
  fill(b: Buf, value: number): void { this.nat.fill!(dev(b), b.n, value); }
  /** Waits for all queued GPU work (for timing). */
  synchronize(): void { this.nat.sync!(); }

  // ---- dense ------------------------------------------------------------------------------------------
  gemm(C: Buf, A: Buf, Bm: Buf, M: number, N: number, K: number, transA: boolean, transB: boolean, alpha: number, beta: number): void {
    if (this.precision === 'fp32' && (A.dtype !== 'f32' || Bm.dtype !== 'f32')) {  // widened (split: joined): exact
      const wide = (b: Buf): Buf => { if (b.dtype === 'f32') return b; const w = this.alloc(b.n); this.copy(w, b); return w; };
      this.nat.gemm!(dev(C), dev(wide(A)), dev(wide(Bm)), M, N, K, transA, transB, alpha, beta, this.useCublas);
      return;
    }
    if (this.precision === 'bf16') {
      // a split operand is its bf16 half
      this.nat.gemmBf16!(dev(C), devAny(A), devAny(Bm), A.dtype !== 'f32', Bm.dtype !== 'f32', M, N, K, transA, transB, alpha, beta, this.useCublas);
      return;
    }
    this.nat.gemm!(dev(C), dev(A), dev(Bm), M, N, K, transA, transB, alpha, beta, this.useCublas);
  }
  addBias(y: Buf, bias: Buf, M: number, N: number): void { this.nat.addBias!(dev(y), dev(bias), M, N); }
  biasBackward(dbias: Buf, dy: Buf, M: number, N: number): void { this.nat.biasBackward!(dev(dbias), dev(dy), M, N); }
  add(out: Buf, a: Buf, b: Buf): void { this.nat.add!(dev(out), dev(a), dev(b), out.n); }
  axpy(y: Buf, x: Buf, alpha: number): void {
    if (y.dtype === 'split') this.nat.axpySplit!(...splitArgs(y), dev(x), alpha, y.n);
    else this.nat.axpy!(dev(y), dev(x), alpha, y.n);
  }
  scale(x: Buf, alpha: number): void { this.nat.scale!(dev(x), alpha, x.n); }
  sumSquares(x: Buf): number { return this.nat.sumSquares!(dev(x), x.n) as number; }

  // ---- transformer kernels ------------------------------------------------------------------------------
  rmsnorm(out: Buf, rstd: Buf, x: Buf, w: Buf, M: number, C: number, eps: number): void {
    this.nat.rmsnorm!(dev(out), dev(rstd), dev(x), dev(w), M, C, eps);
  }
  rmsnormBackward(dx: Buf, dw: Buf, dout: Buf, x: Buf, w: Buf, rstd: Buf, M: number, C: number): void {
    this.nat.rmsnormBackward!(dev(dx), dev(dw), dev(dout), dev(x), dev(w), dev(rstd), M, C);
  }
  rope(x: Buf, pos: Ints, invFreq: Buf, M: number, nh: number, D: number, inverse: boolean): void {
    checkLength('rope positions', pos, M);
    this.nat.rope!(dev(x), pos, dev(invFreq), M, nh, D, inverse);
  }
  private attnObj(a: AttentionArgs): object {
    checkLength('attention qStart', a.qStart, a.B);
    const slots = a.slots ?? Int32Array.from({ length: a.B }, (_, i) => i);
    checkLength('attention slots', slots, a.B);
    const kvBf16 = a.k.dtype === 'bf16';
    if (kvBf16 !== (a.v.dtype === 'bf16')) throw new TtrlError('attention: keys and values must have the same dtype');
    return { ...a, q: dev(a.q), k: devAny(a.k), v: devAny(a.v), keyMask: dev(a.keyMask), slots, kvBf16 };
  }
  attention(out: Buf, lse: Buf, a: AttentionArgs): void { this.nat.attention!(dev(out), dev(lse), this.attnObj(a)); }
  attentionBackward(dq: Buf, dk: Buf, dv: Buf, dout: Buf, out: Buf, lse: Buf, a: AttentionArgs): void {
    dev(a.k); dev(a.v);  // float32 only: training keeps its keys and values in fp32
    this.nat.attentionBackward!(dev(dq), dev(dk), dev(dv), dev(dout), dev(out), dev(lse), this.attnObj(a));
  }
  siluMul(out: Buf, gate: Buf, up: Buf): void { this.nat.siluMul!(dev(out), dev(gate), dev(up), out.n); }
  siluMulBackward(dgate: Buf, dup: Buf, dout: Buf, gate: Buf, up: Buf): void {
    this.nat.siluMulBackward!(dev(dgate), dev(dup), dev(dout), dev(gate), dev(up), dout.n);
  }
  embedding(out: Buf, table: Buf, ids: Ints, M: number, C: number): void {
    checkIds('embedding', ids, M, C ? Math.floor(table.n / C) : 0, false);
    if (table.dtype === 'split') this.nat.embeddingSplit!(dev(out), ...splitArgs(table), ids, M, C);
    else if (table.dtype === 'bf16') this.nat.embeddingBf16!(dev(out), devAny(table), ids, M, C);
    else this.nat.embedding!(dev(out), dev(table), ids, M, C);
  }
  embeddingBackward(dtable: Buf, dout: Buf, ids: Ints, M: number, C: number): void {
    checkIds('embeddingBackward', ids, M, C ? Math.floor(dtable.n / C) : 0, false);
    this.nat.embeddingBackward!(dev(dtable), dev(dout), ids, M, C);
  }
  logSoftmaxGather(lp: Buf, ent: Buf | null, logits: Buf, targets: Ints, M: number, V: number): void {
    checkIds('logSoftmaxGather targets', targets, M, V, true);
    this.nat.logSoftmaxGather!(dev(lp), devOrNull(ent), dev(logits), targets, M, V);
  }
  logSoftmaxGatherBackward(dlogits: Buf, logits: Buf, targets: Ints, dlp: Buf, dent: Buf | null, M: number, V: number): void {
    checkIds('logSoftmaxGatherBackward targets', targets, M, V, true);
    this.nat.logSoftmaxGatherBackward!(dev(dlogits), dev(logits), targets, dev(dlp), devOrNull(dent), M, V);
  }

  // ---- sampling ---------------------------------------------------------------------------------------
  /** On the device (native/cuda/sample.cu): one block per row; only the B draws come back to the host.
   *  The same rules as the CPU's kernel, within rounding (docs/cuda.md). */
  sampleRows(logits: Buf, V: number, B: number, rows: Ints | null, p: TokenPolicy, u: Float64Array, out: Draws): void {
    checkSampleArgs(logits.n, V, B, rows, u, out);
    const stats = out.entropies && out.certainties ? [out.entropies, out.certainties] : [null, null];
    const bad = this.nat.sampleRows!(dev(logits), V, rows, B, p.temperature, p.topP, p.topK, p.minP, u, out.tokens,
      out.logprobs, ...stats) as number;
    if (bad >= 0) throw new RangeError(`logits row ${rows ? rows[bad] : bad} has a non-finite maximum or a NaN`);
  }

  // ---- optimizer --------------------------------------------------------------------------------------
  adamw(p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, bc1: number, bc2: number): void {
    if (p.dtype === 'split') this.nat.adamwSplit!(...splitArgs(p), dev(g), dev(m), dev(v), p.n, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    else this.nat.adamw!(dev(p), dev(g), dev(m), dev(v), p.n, lr, beta1, beta2, eps, weightDecay, bc1, bc2);
  }
}

/**
 * Ids index rows of a table on the device, where an id out of range is an out-of-bounds access (a crash
 * or silent garbage), so they are checked on the host first, with the CPU backend's messages. Targets
 * below 0 mean "no target" where allowNegative.
 */
export function checkIds(what: string, ids: Ints, M: number, hi: number, allowNegative: boolean): void {
  if (ids.length < M) throw new RangeError(`${what}: ${ids.length} ids for ${M} rows`);
  for (let m = 0; m < M; m++) {
    const id = ids[m]!;
    if ((id < 0 && !allowNegative) || id >= hi) throw new RangeError(`${what}: id ${id} at row ${m} is outside [0, ${hi})`);
  }
}

/** sampleRows's arguments, with native/cpu/sample.cc's messages (the kernel trusts them: rows index memory). */
function checkSampleArgs(R: number, V: number, B: number, rows: Ints | null, u: Float64Array, out: Draws): void {
  const fail = (msg: string): never => { throw new RangeError(`sampleRows: ${msg}`); };
  if (V <= 0 || R % V !== 0) fail(`logits length ${R} is not a multiple of V = ${V}`);
  if (u.length < B || out.tokens.length < B || out.logprobs.length < B) fail(`u, tokens and logprobs need ${B} entries`);
  if (rows && rows.length < B) fail('rows has fewer than B entries');
  if (out.entropies && out.certainties && (out.entropies.length < B || out.certainties.length < B)) {
    fail(`entropies and certainties need ${B} entries`);
  }
  for (let b = 0; b < B; b++) {
    const r = rows ? rows[b]! : b;
    if (r < 0 || r >= R / V) fail(`row ${r} outside the ${R / V} logits rows`);
  }
}

function checkLength(what: string, xs: Ints, n: number): void {
  if (xs.length < n) throw new RangeError(`${what}: ${xs.length} entries for ${n} rows`);
}
