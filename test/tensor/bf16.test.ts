// Precision bf16 on every backend of backends() (the CPU's oneDNN path; on the CUDA emulator both the
// built-in GEMM path and cuBLAS's GemmEx through the host stand-in fake_cublas.cc): conversions, matrix
// products with bf16 operands, the bf16 embedding table and the bf16 KV cache in attention, each against a
// float64 reference run on the bf16-rounded inputs (roundBf16 in helpers.ts, written from the format's
// definition). The other kernels are the fp32 ones at both precisions (kernels.test.ts covers them).
//
// Tolerances: a bf16 product is exactly "round both operands, multiply and sum in fp32", so against the
// float64 product of the rounded inputs it gets the fp32 dot-product tolerance of kernels.test.ts (rtol
// 4e-6 × Σ|terms|). Against the unrounded inputs the error would be up to 2^-8·Σ|terms| (each operand off
// by up to 2^-9 relative): a truncating conversion or an fp32 path taken by mistake fails the former.
// Conversions and bf16 lookups are exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from './reference.js';
import { backends, randn, randInts, f64, dev, host, close, roundBf16 } from './helpers.js';
import { cpuBf16Support } from '../../src/tensor/cpu.js';
import { backendAt } from '../../src/tensor/index.js';
import { CudaBackend, cudaAddonPath } from '../../src/tensor/cuda.js';
import type { Backend, Buf } from '../../src/tensor/backend.js';
import { Rng } from '../../src/util/rng.js';
import { TtrlError } from '../../src/util/errors.js';
import fs from 'node:fs';
import path from 'node:path';

const DOT = { atol: 1e-6, rtol: 4e-6 };

/** Each backend at fp32 and at bf16; on the emulator also through the cuBLAS stand-in. */
function pairs(): { name: string; fp: Backend; bf: Backend }[] {
  const out = backends().map((fp) => ({ name: fp.name, fp, bf: backendAt(fp, 'bf16') }));
  const fake = cudaAddonPath('emulator') && path.join(path.dirname(cudaAddonPath('emulator')!), 'ttrl_fake_cublas.so');
  if (fake && fs.existsSync(fake)) {
    const fp = new CudaBackend({ addon: 'emulator', cublasPath: fake, name: 'cuda-emu-cublas' });
    out.push({ name: fp.name, fp, bf: backendAt(fp, 'bf16') });
  }
  return out;
}

/** A bf16 buffer holding x rounded. */
function devBf16(be: Backend, x: Float32Array): Buf {
  const b = be.alloc(x.length, 'bf16');
  be.copy(b, dev(be, x));
  return b;
}

test('bf16: support is detected and printed; fast only on AMX or on AMD with AVX512-BF16', (t) => {
  const s = cpuBf16Support();
  t.diagnostic(`bf16 matrix products: ${s.library || 'no library'} ${s.impl} (${s.reason})`);
  assert.ok(s.impl.length > 0);
  assert.ok(s.reason.length > 0, 'the choice comes with its reason');
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const amd = /vendor_id\s*:\s*AuthenticAMD/.test(cpuinfo), flag = (f: string) => new RegExp(`\\b${f}\\b`).test(cpuinfo);
  if (s.fast) assert.ok(/amx/.test(s.impl) || (amd && flag('avx512_bf16')), `fast bf16 claimed on ${s.impl}`);
  if (cpuinfo && /amx/.test(s.impl)) assert.ok(flag('amx_bf16'), 'AMX picked on a CPU without amx_bf16');
  if (cpuinfo && s.library && (flag('amx_bf16') || (amd && flag('avx512_bf16')))) assert.ok(s.fast, `${s.reason}`);
});

for (const { name, fp, bf } of pairs()) {
  test(`${name}: bf16: conversion rounds to nearest even, keeps NaN, ±0, ±Inf, overflows to Inf; widening is exact`, () => {
    const rng = new Rng(5);
    const special = [0, -0, 1, -1, Infinity, -Infinity, NaN, 3.4028234663852886e38, 1e-40, -1e-45, 1 + 2 ** -8, 1 + 3 * 2 ** -8,
      1 + 2 ** -8 + 2 ** -20, 65504, 0.1, -0.3];
    const x = Float32Array.from([...special, ...randn(rng, 1 << 16, 10)]);  // above the parallel threshold too
    const b = devBf16(bf, x);
    assert.equal(b.dtype, 'bf16');
    const got = bf.read(b), want = roundBf16(x);
    assert.deepEqual(new Uint32Array(got.buffer), new Uint32Array(want.buffer));
    assert.equal(got[7], Infinity, 'the largest float rounds up to Inf');
    assert.equal(got[10], 1, '1 + 2^-8 is a tie: to even (1)');
    assert.equal(got[11], 1 + 2 ** -6, '1 + 3·2^-8 is a tie: to even (1 + 2^-6)');
    // a view of a bf16 buffer, and bf16 → bf16 copies
    const v = bf.view(b, 3, 5);
    assert.equal(v.dtype, 'bf16');
    assert.deepEqual([...bf.read(v)], [...want.subarray(3, 8)]);
    const c = bf.alloc(5, 'bf16');
    bf.copy(c, v);
    assert.deepEqual([...bf.read(c)], [...want.subarray(3, 8)]);
  });

  test(`${name}: bf16: float32-only kernels refuse a bf16 buffer with a clear error`, () => {
    const h = bf.alloc(8, 'bf16'), f = bf.alloc(8);
    assert.throws(() => bf.add(f, h, f), (e: unknown) => e instanceof TtrlError && /bf16 buffer .* float32 only/.test(e.message));
    assert.throws(() => bf.copy(bf.alloc(4), h), RangeError);
  });

  test(`${name}: bf16: gemm = fp32 sums of bf16-rounded operands, all transposes, alpha/beta, M=1, K=0, bf16 or f32 operands`, (t) => {
    const rng = new Rng(1);
    const shapes: [number, number, number][] = [[37, 29, 53], [1, 515, 67], [1, 1, 9], [23, 1, 17], [67, 515, 129], [5, 7, 0], [64, 96, 200]];
    for (const [M, N, K] of shapes) for (const ta of [false, true]) for (const tb of [false, true]) {
      for (const [alpha, beta] of [[1, 0], [0.7, -0.3]] as const) {
        const A = randn(rng, M * K), B = randn(rng, K * N);
        const C0 = beta === 0 ? new Float32Array(M * N).fill(NaN) : randn(rng, M * N);
        const want = f64(C0);
        const err = ref.gemm(want, f64(roundBf16(A)), f64(roundBf16(B)), M, N, K, ta, tb, alpha, beta);
        for (let i = 0; i < err.length; i++) err[i]! += beta === 0 ? 0 : Math.abs(beta * C0[i]!);
        // operands: both f32 (rounded on the fly), B as a bf16 copy (a weight), both bf16
        for (const [la, lb] of [[false, false], [false, true], [true, true]]) {
          const Cd = dev(bf, C0);
          bf.gemm(Cd, la ? devBf16(bf, A) : dev(bf, A), lb ? devBf16(bf, B) : dev(bf, B), M, N, K, ta, tb, alpha, beta);
          close(t, `bf16 gemm ${M}x${N}x${K} tA=${ta} tB=${tb} a=${alpha} b=${beta} A${la ? 'bf16' : 'f32'} B${lb ? 'bf16' : 'f32'}`,
            host(bf, Cd), want, DOT, err);
        }
        // the fp32 backend widens a bf16 operand (exact) and keeps the f32 one as it is
        const Cf = dev(fp, C0);
        fp.gemm(Cf, dev(fp, A), devBf16(fp, B), M, N, K, ta, tb, alpha, beta);
        const wantF = f64(C0);
        const errF = ref.gemm(wantF, f64(A), f64(roundBf16(B)), M, N, K, ta, tb, alpha, beta);
        for (let i = 0; i < errF.length; i++) errF[i]! += beta === 0 ? 0 : Math.abs(beta * C0[i]!);
        close(t, `fp32 gemm with a bf16 B ${M}x${N}x${K}`, host(fp, Cf), wantF, DOT, errF);
      }
    }
  });

  test(`${name}: bf16: products of the same shape with different tiny alphas stay apart (no shared cached primitive)`, () => {
    const A = dev(bf, Float32Array.from({ length: 12 }, (_, i) => i + 1)), B = dev(bf, new Float32Array(12).fill(1));
    const C1 = bf.alloc(9), C2 = bf.alloc(9);
    bf.gemm(C1, A, B, 3, 3, 4, false, true, 1e-7, 0);
    bf.gemm(C2, A, B, 3, 3, 4, false, true, 2e-7, 0);
    const a = bf.read(C1), b = bf.read(C2);
    for (let i = 0; i < 9; i++) assert.ok(Math.abs(b[i]! / a[i]! - 2) < 1e-6, `entry ${i}: ${a[i]} vs ${b[i]}`);
  });

  test(`${name}: bf16: embedding from a bf16 table is the rounded rows; ids are checked`, () => {
    const rng = new Rng(2);
    const V = 50, C = 37, M = 20;
    const table = randn(rng, V * C), ids = randInts(rng, M, V);
    const out = bf.alloc(M * C);
    bf.embedding(out, devBf16(bf, table), ids, M, C);
    const r = roundBf16(table);
    const want = new Float32Array(M * C);
    for (let m = 0; m < M; m++) want.set(r.subarray(ids[m]! * C, ids[m]! * C + C), m * C);
    assert.deepEqual(bf.read(out), want);
    assert.throws(() => bf.embedding(out, devBf16(bf, table), Int32Array.from([V]), 1, C), RangeError);
  });

  test(`${name}: bf16: attention over a bf16 KV cache (slots, holes, GQA) = attention over the rounded keys and values`, (t) => {
    const rng = new Rng(3);
    // the second and third shapes span several of the CPU forward's query tiles (H/G = 7 heads × up to 9
    // positions) and a decode step's single tile
    const shapes = [
      { B: 3, T: 2, S: 40, H: 4, G: 2, D: 24, rows: 5, qStart: Int32Array.from([17, 5, 30]), slots: Int32Array.from([4, 0, 2]) },
      { B: 2, T: 19, S: 64, H: 14, G: 2, D: 64, rows: 3, qStart: Int32Array.from([40, 5]), slots: Int32Array.from([2, 0]) },
      { B: 2, T: 1, S: 64, H: 14, G: 2, D: 64, rows: 3, qStart: Int32Array.from([63, 20]), slots: Int32Array.from([1, 2]) },
    ];
    for (const { B, T, S, H, G, D, rows, qStart, slots } of shapes) {
      const keyMask = new Float32Array(rows * S).fill(1);
      for (let i = 0; i < keyMask.length; i++) if (rng.next() < 0.2) keyMask[i] = 0;
      const q = randn(rng, B * T * H * D), k = randn(rng, rows * S * G * D), v = randn(rng, rows * S * G * D);
      const out = bf.alloc(B * T * H * D), lse = bf.alloc(B * H * T);
      const args = { B, T, S, H, G, D, keyMask: dev(bf, keyMask), qStart, slots, scale: 1 / Math.sqrt(D) };
      bf.attention(out, lse, { ...args, q: dev(bf, q), k: devBf16(bf, k), v: devBf16(bf, v) });
      const o = new Float64Array(out.n), l = new Float64Array(lse.n);
      ref.attention(o, l, { B, T, S, H, G, D, q: f64(q), k: f64(roundBf16(k)), v: f64(roundBf16(v)), keyMask: f64(keyMask),
        qStart, slots, scale: 1 / Math.sqrt(D) });
      close(t, `out T=${T} H=${H}`, host(bf, out), o, { atol: 2e-6, rtol: 1e-5 });
      close(t, `lse T=${T} H=${H}`, host(bf, lse), l, { atol: 1e-5, rtol: 1e-6 });
    }
    const { B, T, S, H, G, D, rows, qStart, slots } = shapes[0]!;
    const q = randn(rng, B * T * H * D), k = randn(rng, rows * S * G * D), v = randn(rng, rows * S * G * D);
    const out = bf.alloc(B * T * H * D), lse = bf.alloc(B * H * T);
    const args = { B, T, S, H, G, D, keyMask: dev(bf, new Float32Array(rows * S).fill(1)), qStart, slots, scale: 1 / Math.sqrt(D) };
    // training keeps keys and values in fp32: the backward refuses bf16 ones
    const z = bf.alloc(q.length);
    assert.throws(() => bf.attentionBackward(z, bf.alloc(k.length), bf.alloc(v.length), z, out, lse,
      { ...args, q: dev(bf, q), k: devBf16(bf, k), v: devBf16(bf, v) }), TtrlError);
  });
}
