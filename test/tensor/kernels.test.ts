// Every Backend kernel except attention (see attention.test.ts) against the float64 reference in
// reference.ts, on every backend of backends(). Inputs are float32 random values of awkward sizes: odd
// lengths, one row, widths that are not multiples of 8 or 16, and sizes above the CPU backend's OpenMP
// threshold (2^15 elements) so that the parallel paths run too. Hand-derived backward formulas of the
// reference are themselves checked against finite differences of its forward.
//
// Tolerances: a float32 kernel against float64 math. Elementwise kernels: atol 1e-6 + rtol 1e-5. Dot
// products / reductions of length K: rtol 4e-6 (≈ 64 float32 ulps) times Σ|terms|, the natural scale of
// their rounding error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from './reference.js';
import { backends, skippedBackends, randn, randInts, f64, dev, host, close, finiteDiff, someIndices, dot } from './helpers.js';
import { Rng } from '../../src/util/rng.js';

const EW = { atol: 1e-6, rtol: 1e-5 };
const DOT = { atol: 1e-6, rtol: 4e-6 };

for (const s of skippedBackends()) test(`${s.name}: kernel suite`, { skip: s.reason }, () => {});

for (const be of backends()) {
  const N = be.name;

  test(`${N}: memory: alloc is zeroed, upload at an offset, views alias their parent, copy, fill, read`, () => {
    const b = be.alloc(10);
    assert.deepEqual([...be.read(b)], new Array(10).fill(0));
    be.upload(b, Float32Array.from([1, 2, 3]), 4);
    assert.deepEqual([...be.read(b)], [0, 0, 0, 0, 1, 2, 3, 0, 0, 0]);
    const v = be.view(b, 3, 4);
    assert.equal(v.n, 4);
    assert.deepEqual([...be.read(v)], [0, 1, 2, 3]);
    be.fill(v, 7);  // writes through the view land in the parent
    assert.deepEqual([...be.read(b)], [0, 0, 0, 7, 7, 7, 7, 0, 0, 0]);
    be.copy(be.view(b, 0, 2), be.view(b, 5, 2));
    assert.deepEqual([...be.read(b)], [7, 7, 0, 7, 7, 7, 7, 0, 0, 0]);
    be.scale(be.view(b, 6, 2), 3);  // kernels on a view touch only the view
    assert.deepEqual([...be.read(b)], [7, 7, 0, 7, 7, 7, 21, 0, 0, 0]);
    assert.throws(() => be.view(b, 8, 3), RangeError);
  });

  test(`${N}: gemm, all transposes, alpha/beta, M=1 (gemv), N=1, K=0, beta=0 ignores NaN in C`, (t) => {
    const rng = new Rng(1);
    // [3, 129, 65] and [8, 33, 40]: 2..8 rows, the CUDA backend's decode GEMV (gemm.cu)
    const shapes: [number, number, number][] = [[37, 29, 53], [1, 515, 67], [1, 1, 9], [23, 1, 17], [67, 515, 129], [5, 7, 0],
      [3, 129, 65], [8, 33, 40]];
    for (const [M, Nn, K] of shapes) for (const ta of [false, true]) for (const tb of [false, true]) {
      for (const [alpha, beta] of [[1, 0], [0.7, -0.3]] as const) {
        const A = randn(rng, M * K), B = randn(rng, K * Nn);
        // beta = 0: C holds NaN, which must not leak into the result (BLAS: C is then write-only)
        const C0 = beta === 0 ? new Float32Array(M * Nn).fill(NaN) : randn(rng, M * Nn);
        const Cd = dev(be, C0);
        be.gemm(Cd, dev(be, A), dev(be, B), M, Nn, K, ta, tb, alpha, beta);
        const want = f64(C0);
        const err = ref.gemm(want, f64(A), f64(B), M, Nn, K, ta, tb, alpha, beta);
        for (let i = 0; i < err.length; i++) err[i]! += beta === 0 ? 0 : Math.abs(beta * C0[i]!);
        close(t, `gemm M=${M} N=${Nn} K=${K} tA=${ta} tB=${tb} a=${alpha} b=${beta}`, host(be, Cd), want, DOT, err);
      }
    }
  });

  test(`${N}: addBias and biasBackward (accumulates)`, (t) => {
    const rng = new Rng(2);
    for (const [M, Nn] of [[1, 7], [37, 1001], [5, 17]]) {
      const y = randn(rng, M * Nn), b = randn(rng, Nn), yd = dev(be, y);
      be.addBias(yd, dev(be, b), M, Nn);
      const want = f64(y); ref.addBias(want, f64(b), M, Nn);
      close(t, `addBias ${M}x${Nn}`, host(be, yd), want, EW);
      const db0 = randn(rng, Nn), dy = randn(rng, M * Nn), dbd = dev(be, db0);
      be.biasBackward(dbd, dev(be, dy), M, Nn);
      const wantDb = f64(db0); ref.biasBackward(wantDb, f64(dy), M, Nn);
      close(t, `biasBackward ${M}x${Nn}`, host(be, dbd), wantDb, { atol: 1e-5, rtol: 1e-5 });
    }
  });

  test(`${N}: add (also aliased out = a), axpy, scale, sumSquares`, (t) => {
    const rng = new Rng(3);
    for (const n of [1, 13, 65537]) {
      const a = randn(rng, n), b = randn(rng, n);
      const out = be.alloc(n), ad = dev(be, a), bd = dev(be, b);
      be.add(out, ad, bd);
      const want = new Float64Array(n); ref.add(want, f64(a), f64(b));
      close(t, `add n=${n}`, host(be, out), want, EW);
      be.add(ad, ad, bd);
      close(t, `add aliased n=${n}`, host(be, ad), want, EW);

      const y = randn(rng, n), yd = dev(be, y);
      be.axpy(yd, bd, -0.37);
      const wantY = f64(y); ref.axpy(wantY, f64(b), -0.37);
      close(t, `axpy n=${n}`, host(be, yd), wantY, EW);

      const sd = dev(be, y);
      be.scale(sd, 1.7);
      const wantS = f64(y); ref.scale(wantS, 1.7);
      close(t, `scale n=${n}`, host(be, sd), wantS, EW);

      const ss = be.sumSquares(dev(be, y)), wantSs = ref.sumSquares(f64(y));
      // float32 squares are exact in double: only the summation order differs
      assert.ok(Math.abs(ss - wantSs) <= 1e-12 * wantSs, `sumSquares n=${n}: ${ss} vs ${wantSs}`);
    }
  });

  test(`${N}: rmsnorm forward and backward (accumulates into dx and dw)`, (t) => {
    const rng = new Rng(4);
    for (const [M, C] of [[1, 896], [3, 13], [37, 1001]]) {
      const x = randn(rng, M * C, 3), w = Float32Array.from(randn(rng, C, 0.1), (v) => 1 + v);
      const out = be.alloc(M * C), rstd = be.alloc(M), xd = dev(be, x), wd = dev(be, w);
      be.rmsnorm(out, rstd, xd, wd, M, C, 1e-6);
      const wantO = new Float64Array(M * C), wantR = new Float64Array(M);
      ref.rmsnorm(wantO, wantR, f64(x), f64(w), M, C, 1e-6);
      close(t, `rmsnorm out ${M}x${C}`, host(be, out), wantO, EW);
      close(t, `rmsnorm rstd ${M}x${C}`, host(be, rstd), wantR, EW);

      const dout = randn(rng, M * C), dx0 = randn(rng, M * C), dw0 = randn(rng, C);
      const dxd = dev(be, dx0), dwd = dev(be, dw0);
      be.rmsnormBackward(dxd, dwd, dev(be, dout), xd, wd, rstd, M, C);
      const wantDx = f64(dx0), wantDw = f64(dw0);
      ref.rmsnormBackward(wantDx, wantDw, f64(dout), f64(x), f64(w), wantR, M, C);
      close(t, `rmsnormBackward dx ${M}x${C}`, host(be, dxd), wantDx, { atol: 1e-5, rtol: 1e-4 });
      close(t, `rmsnormBackward dw ${M}x${C}`, host(be, dwd), wantDw, { atol: 1e-4, rtol: 1e-4 });
    }
  });

  test(`${N}: rope forward against the reference; inverse undoes forward`, (t) => {
    const rng = new Rng(5);
    for (const [M, nh, D, theta] of [[3, 2, 6, 1e4], [37, 14, 64, 1e6], [1, 1, 2, 10]]) {
      const x = randn(rng, M * nh * D), pos = randInts(rng, M, 5000);
      if (M > 1) pos[0] = 0;
      const invFreq = Float32Array.from({ length: D / 2 }, (_, i) => 1 / theta ** ((2 * i) / D));
      const xd = dev(be, x), fd = dev(be, invFreq);
      be.rope(xd, pos, fd, M, nh, D, false);
      const want = f64(x); ref.rope(want, pos, f64(invFreq), M, nh, D, false);
      close(t, `rope ${M}x${nh}x${D}`, host(be, xd), want, EW);
      be.rope(xd, pos, fd, M, nh, D, true);
      close(t, `rope inverse ${M}x${nh}x${D}`, host(be, xd), x, EW);
    }
  });

  test(`${N}: siluMul forward and backward (written, not accumulated), saturated gates`, (t) => {
    const rng = new Rng(6);
    for (const n of [1, 13, 40001]) {
      const g = randn(rng, n, 4), u = randn(rng, n), dout = randn(rng, n);
      if (n > 3) { g[0] = -100; g[1] = 100; g[2] = 0; }
      const out = dev(be, randn(rng, n)), gd = dev(be, g), ud = dev(be, u);
      be.siluMul(out, gd, ud);
      const want = new Float64Array(n); ref.siluMul(want, f64(g), f64(u));
      close(t, `siluMul n=${n}`, host(be, out), want, EW);
      const dg = dev(be, randn(rng, n)), du = dev(be, randn(rng, n));
      be.siluMulBackward(dg, du, dev(be, dout), gd, ud);
      const wantDg = new Float64Array(n), wantDu = new Float64Array(n);
      ref.siluMulBackward(wantDg, wantDu, f64(dout), f64(g), f64(u));
      close(t, `siluMulBackward dgate n=${n}`, host(be, dg), wantDg, EW);
      close(t, `siluMulBackward dup n=${n}`, host(be, du), wantDu, EW);
    }
  });

  test(`${N}: embedding and embeddingBackward with repeated ids (accumulates)`, (t) => {
    const rng = new Rng(7);
    for (const [M, C, V] of [[1, 5, 3], [300, 131, 50]]) {
      const table = randn(rng, V * C), ids = randInts(rng, M, V);
      if (M > 2) { ids[1] = ids[0]!; ids[M - 1] = ids[0]!; }
      const out = dev(be, randn(rng, M * C));
      be.embedding(out, dev(be, table), ids, M, C);
      const want = new Float64Array(M * C); ref.embedding(want, f64(table), ids, M, C);
      close(t, `embedding ${M}x${C}`, host(be, out), want, { atol: 0, rtol: 0 });
      const dt0 = randn(rng, V * C), dout = randn(rng, M * C), dtd = dev(be, dt0);
      be.embeddingBackward(dtd, dev(be, dout), ids, M, C);
      const wantDt = f64(dt0); ref.embeddingBackward(wantDt, f64(dout), ids, M, C);
      close(t, `embeddingBackward ${M}x${C}`, host(be, dtd), wantDt, { atol: 1e-5, rtol: 1e-5 });
    }
  });

  test(`${N}: ids and targets outside the table throw a RangeError (not an out-of-bounds access)`, () => {
    const V = 10, C = 4, M = 3, table = be.alloc(V * C), rows = be.alloc(M * C), lp = be.alloc(M);
    const bad = Int32Array.from([1, V, 2]), neg = Int32Array.from([1, -1, 2]);
    assert.throws(() => be.embedding(rows, table, bad, M, C), /RangeError: embedding: id 10 at row 1 is outside \[0, 10\)/);
    assert.throws(() => be.embedding(rows, table, neg, M, C), RangeError);
    assert.throws(() => be.embedding(rows, table, Int32Array.from([1]), M, C), RangeError);
    assert.throws(() => be.embeddingBackward(table, rows, Int32Array.from([1, 1e8, 2]), M, C), RangeError);
    assert.throws(() => be.logSoftmaxGather(lp, null, be.alloc(M * V), bad, M, V), RangeError);
    assert.throws(() => be.logSoftmaxGatherBackward(be.alloc(M * V), be.alloc(M * V), bad, lp, null, M, V), RangeError);
    be.logSoftmaxGather(lp, null, be.alloc(M * V), neg, M, V);  // −1 is "no target", not an error
  });

  test(`${N}: logSoftmaxGather with entropy, targets −1, extreme logits, V = 151936`, (t) => {
    const rng = new Rng(8);
    for (const [M, V] of [[1, 3], [5, 10007], [2, 151936]]) {
      const logits = randn(rng, M * V, 3), targets = randInts(rng, M, V);
      if (M > 1) targets[1] = -1;
      if (M > 2) { logits.fill(-80, 2 * V, 3 * V); logits[2 * V + 7] = 80; targets[2] = 7; }
      const lp = dev(be, randn(rng, M)), ent = dev(be, randn(rng, M));
      be.logSoftmaxGather(lp, ent, dev(be, logits), targets, M, V);
      const wantLp = new Float64Array(M), wantEnt = new Float64Array(M);
      ref.logSoftmaxGather(wantLp, wantEnt, f64(logits), targets, M, V);
      close(t, `logSoftmaxGather lp ${M}x${V}`, host(be, lp), wantLp, { atol: 1e-5, rtol: 1e-6 });
      close(t, `logSoftmaxGather entropy ${M}x${V}`, host(be, ent), wantEnt, { atol: 1e-5, rtol: 1e-6 });
      const lp2 = be.alloc(M);
      be.logSoftmaxGather(lp2, null, dev(be, logits), targets, M, V);
      close(t, `logSoftmaxGather lp, no entropy ${M}x${V}`, host(be, lp2), wantLp, { atol: 1e-5, rtol: 1e-6 });
    }
  });

  test(`${N}: logSoftmaxGatherBackward: separate and in place, with/without dent, rows with target −1`, (t) => {
    const rng = new Rng(9);
    for (const [M, V] of [[1, 3], [6, 10007]]) {
      const logits = randn(rng, M * V, 3), targets = randInts(rng, M, V);
      const dlp = randn(rng, M), dent = randn(rng, M);
      if (M > 2) { targets[1] = -1; targets[2] = -1; dent[2] = 0; }  // row 1: entropy grad only; row 2: zero
      if (M > 3) { logits.fill(-80, 3 * V, 4 * V); logits[3 * V + 5] = 80; targets[3] = 5; }  // p(target) = 1
      for (const withEnt of [true, false]) {
        const want = new Float64Array(M * V);
        ref.logSoftmaxGatherBackward(want, f64(logits), targets, f64(dlp), withEnt ? f64(dent) : null, M, V);
        if (M > 2) assert.ok(want.subarray(2 * V, 3 * V).every((x) => x === 0), 'reference: a row with no target and dent 0 must be 0');
        const tol = { atol: 1e-7, rtol: 1e-5 };
        const ld = dev(be, logits), dl = dev(be, randn(rng, M * V));
        be.logSoftmaxGatherBackward(dl, ld, targets, dev(be, dlp), withEnt ? dev(be, dent) : null, M, V);
        close(t, `logSoftmaxGatherBackward ${M}x${V} dent=${withEnt}`, host(be, dl), want, tol);
        be.logSoftmaxGatherBackward(ld, ld, targets, dev(be, dlp), withEnt ? dev(be, dent) : null, M, V);
        close(t, `logSoftmaxGatherBackward in place ${M}x${V} dent=${withEnt}`, host(be, ld), want, tol);
      }
    }
  });

  test(`${N}: adamw matches torch.optim.AdamW's update over 5 steps`, (t) => {
    const rng = new Rng(10);
    for (const n of [1, 40001]) {
      const [lr, b1, b2, eps, wd] = [1e-3, 0.9, 0.999, 1e-8, 0.01];
      const p0 = randn(rng, n);
      const p = dev(be, p0), m = be.alloc(n), v = be.alloc(n);
      const rp = f64(p0), rm = new Float64Array(n), rv = new Float64Array(n);
      for (let step = 1; step <= 5; step++) {
        const g = randn(rng, n, 1e-2);
        g[0] = step === 1 ? 0 : g[0]!;  // a zero gradient at step 1: update must be exactly weight decay
        const bc1 = 1 - b1 ** step, bc2 = 1 - b2 ** step;
        be.adamw(p, dev(be, g), m, v, lr, b1, b2, eps, wd, bc1, bc2);
        ref.adamw(rp, f64(g), rm, rv, lr, b1, b2, eps, wd, bc1, bc2);
      }
      close(t, `adamw p n=${n}`, host(be, p), rp, { atol: 1e-6, rtol: 1e-6 });
      close(t, `adamw m n=${n}`, host(be, m), rm, { atol: 1e-9, rtol: 1e-5 });
      close(t, `adamw v n=${n}`, host(be, v), rv, { atol: 1e-12, rtol: 1e-5 });
    }
  });
}

// ---- the oracle's own backward formulas against finite differences of its forward ---------------------------

test('reference: rmsnormBackward = finite differences of rmsnorm', (t) => {
  const rng = new Rng(11), M = 3, C = 7;
  const x = f64(randn(rng, M * C, 2)), w = f64(randn(rng, C)), dout = f64(randn(rng, M * C));
  const loss = (): number => {
    const o = new Float64Array(M * C); ref.rmsnorm(o, new Float64Array(M), x, w, M, C, 1e-5); return dot(o, dout);
  };
  const rstd = new Float64Array(M), dx = new Float64Array(M * C), dw = new Float64Array(C);
  ref.rmsnorm(new Float64Array(M * C), rstd, x, w, M, C, 1e-5);
  ref.rmsnormBackward(dx, dw, dout, x, w, rstd, M, C);
  const ix = someIndices(rng, M * C, 10);
  close(t, 'ref rmsnorm dx vs fd', ix.map((i) => dx[i]!), finiteDiff(loss, x, ix, 1e-5), { atol: 1e-7, rtol: 1e-6 });
  const iw = someIndices(rng, C, C);
  close(t, 'ref rmsnorm dw vs fd', iw.map((i) => dw[i]!), finiteDiff(loss, w, iw, 1e-5), { atol: 1e-7, rtol: 1e-6 });
});

test('reference: siluMulBackward = finite differences of siluMul', (t) => {
  const rng = new Rng(12), n = 9;
  const g = f64(randn(rng, n, 3)), u = f64(randn(rng, n)), dout = f64(randn(rng, n));
  const loss = (): number => { const o = new Float64Array(n); ref.siluMul(o, g, u); return dot(o, dout); };
  const dg = new Float64Array(n), du = new Float64Array(n);
  ref.siluMulBackward(dg, du, dout, g, u);
  const all = someIndices(rng, n, n);
  close(t, 'ref silu dgate vs fd', dg, finiteDiff(loss, g, all, 1e-5), { atol: 1e-7, rtol: 1e-6 });
  close(t, 'ref silu dup vs fd', du, finiteDiff(loss, u, all, 1e-5), { atol: 1e-7, rtol: 1e-6 });
});

test('reference: logSoftmaxGatherBackward = finite differences of Σ dlp·lp + Σ dent·entropy', (t) => {
  const rng = new Rng(13), M = 3, V = 11;
  const logits = f64(randn(rng, M * V, 2)), targets = Int32Array.from([4, -1, 10]);
  const dlp = f64(randn(rng, M)), dent = f64(randn(rng, M));
  const loss = (): number => {
    const lp = new Float64Array(M), ent = new Float64Array(M);
    ref.logSoftmaxGather(lp, ent, logits, targets, M, V);
    return dot(lp, dlp) + dot(ent, dent);
  };
  const dl = new Float64Array(M * V);
  ref.logSoftmaxGatherBackward(dl, logits, targets, dlp, dent, M, V);
  const all = someIndices(rng, M * V, M * V);
  close(t, 'ref logsoftmax dlogits vs fd', dl, finiteDiff(loss, logits, all, 1e-5), { atol: 1e-8, rtol: 1e-6 });
});
