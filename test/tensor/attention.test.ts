// attention and attentionBackward against the float64 reference (reference.ts) and against finite
// differences of the reference forward, on every backend of backends(). The cases cover what the model
// feeds the kernel: the training layout (S = T, qStart 0, left padding, so the pad queries see no key at
// all), the KV-cache layout (a `slots` mapping into a larger cache, per-row qStart, holes in the key mask,
// a slot whose visible keys are all masked), GQA and MQA, head dims that are not multiples of 8, a long
// causal block, and shapes across the CPU forward's tiles (tilingCases).
//
// Tolerances: out atol 2e-6 + rtol 1e-5, lse atol 1e-5; gradients atol 2e-5 + rtol 1e-4 (float32 sums over
// up to T keys and H/G heads), against both the analytic reference and central differences (h = 1e-5 on
// the float64 reference forward, accurate to ~1e-9).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from './reference.js';
import { backends, skippedBackends, randn, f64, dev, host, close, finiteDiff, someIndices, dot } from './helpers.js';
import type { Backend } from '../../src/tensor/backend.js';
import { Rng } from '../../src/util/rng.js';

interface Case {
  name: string;
  B: number; T: number; S: number; H: number; G: number; D: number;
  rows: number;               // rows of k / v / keyMask (cache slots); = B without a slots mapping
  keyMask: Float32Array;      // (rows, S)
  qStart: Int32Array;         // (B)
  slots?: Int32Array;         // (B)
  std: number;                // of q and k: sets how peaked the softmax is
}

function cases(): Case[] {
  // training: row 1 left-padded by 4 (its first 4 queries see nothing), row 2 has a hole at 5..6
  const tm = new Float32Array(3 * 13).fill(1);
  tm.fill(0, 13, 17); tm.fill(0, 26 + 5, 26 + 7);
  // cache: 5 slots of 40; rows read slots 4, 0, 2 from qStart 17, 5, 30; slot 0 is masked up to 7, so
  // batch row 1 (queries at 5 and 6) has no visible key; random holes elsewhere
  const cm = new Float32Array(5 * 40).fill(1);
  const rng = new Rng(99);
  for (let i = 0; i < cm.length; i++) if (rng.next() < 0.2) cm[i] = 0;
  cm.fill(0, 0, 7);
  return [
    { name: 'training GQA 6:2 D=10 padded', B: 3, T: 13, S: 13, H: 6, G: 2, D: 10, rows: 3, keyMask: tm, qStart: new Int32Array(3), std: 1 },
    { name: 'cache MQA 4:1 D=16 slots', B: 3, T: 2, S: 40, H: 4, G: 1, D: 16, rows: 5, keyMask: cm,
      qStart: Int32Array.from([17, 5, 30]), slots: Int32Array.from([4, 0, 2]), std: 1 },
    { name: 'decode T=1 MHA D=6 peaked', B: 2, T: 1, S: 9, H: 3, G: 3, D: 6, rows: 2, keyMask: new Float32Array(18).fill(1),
      qStart: Int32Array.from([8, 0]), std: 3 },
    { name: 'causal T=70 GQA 4:2 D=64', B: 2, T: 70, S: 70, H: 4, G: 2, D: 64, rows: 2, keyMask: new Float32Array(140).fill(1),
      qStart: new Int32Array(2), std: 1 },
    ...tilingCases(),
  ];
}

// Shapes that cut across the CPU forward's tiles (about 64 rows = Tq positions × H/G heads of one KV head,
// scored in 16-row panels and multiplied by V in 6-row blocks, keys in blocks of 6 or 12 and chunks of 64):
// T not a multiple of Tq, a last tile of one position, a row count that is not a multiple of 6 or 16, MHA
// and MQA, holes in the key mask and left padding inside a tile, qStart > 0 and S larger than the keys read.
function tilingCases(): Case[] {
  const rng = new Rng(7);
  const holes = (rows: number, S: number, p: number): Float32Array => {
    const m = new Float32Array(rows * S).fill(1);
    for (let i = 0; i < m.length; i++) if (rng.next() < p) m[i] = 0;
    return m;
  };
  const mha = holes(2, 70, 0.1);
  mha.fill(0, 70, 70 + 9);  // row 1 left-padded by 9: its first tile starts with 9 queries that see nothing
  return [
    { name: 'tiles MHA 3:3 T=70 D=32 padded, holes', B: 2, T: 70, S: 70, H: 3, G: 3, D: 32, rows: 2, keyMask: mha,
      qStart: new Int32Array(2), std: 1 },
    { name: 'tiles MQA 8:1 T=21 D=16 cache, qStart > 0', B: 3, T: 21, S: 90, H: 8, G: 1, D: 16, rows: 4, keyMask: holes(4, 90, 0.15),
      qStart: Int32Array.from([30, 3, 66]), slots: Int32Array.from([3, 1, 0]), std: 1 },
    { name: 'tiles GQA 14:2 T=23 D=64 cache, qStart > 0', B: 2, T: 23, S: 64, H: 14, G: 2, D: 64, rows: 2, keyMask: holes(2, 64, 0.1),
      qStart: Int32Array.from([40, 5]), std: 1 },
    { name: 'decode GQA 14:2 T=1 D=64, 1 to 50 keys', B: 3, T: 1, S: 50, H: 14, G: 2, D: 64, rows: 3, keyMask: holes(3, 50, 0.1),
      qStart: Int32Array.from([49, 0, 12]), std: 2 },
    { name: 'decode MQA 4:1 T=1 D=24 S > keys', B: 2, T: 1, S: 80, H: 4, G: 1, D: 24, rows: 2, keyMask: holes(2, 80, 0.2),
      qStart: Int32Array.from([25, 60]), std: 1 },
  ];
}

interface Inputs { q: Float32Array; k: Float32Array; v: Float32Array; dout: Float32Array }

function inputs(c: Case, seed: number): Inputs {
  const rng = new Rng(seed);
  const kv = c.rows * c.S * c.G * c.D;
  return { q: randn(rng, c.B * c.T * c.H * c.D, c.std), k: randn(rng, kv, c.std), v: randn(rng, kv), dout: randn(rng, c.B * c.T * c.H * c.D) };
}

function refArgs(c: Case, x: { q: Float64Array; k: Float64Array; v: Float64Array }): ref.RefAttn {
  return { B: c.B, T: c.T, S: c.S, H: c.H, G: c.G, D: c.D, q: x.q, k: x.k, v: x.v, keyMask: f64(c.keyMask),
    qStart: c.qStart, scale: 1 / Math.sqrt(c.D), slots: c.slots };
}

/** Runs the backend's forward and backward (onto prefilled gradients, to check they accumulate). */
function runBackend(be: Backend, c: Case, x: Inputs, grad0: Inputs) {
  const n = c.B * c.T * c.H * c.D;
  const args = { B: c.B, T: c.T, S: c.S, H: c.H, G: c.G, D: c.D, q: dev(be, x.q), k: dev(be, x.k), v: dev(be, x.v),
    keyMask: dev(be, c.keyMask), qStart: c.qStart, scale: 1 / Math.sqrt(c.D), slots: c.slots };
  const out = dev(be, new Float32Array(n).fill(7)), lse = be.alloc(c.B * c.H * c.T);
  be.attention(out, lse, args);
  const dq = dev(be, grad0.q), dk = dev(be, grad0.k), dv = dev(be, grad0.v);
  be.attentionBackward(dq, dk, dv, dev(be, x.dout), out, lse, args);
  return { out: host(be, out), lse: host(be, lse), dq: host(be, dq), dk: host(be, dk), dv: host(be, dv) };
}

const OUT = { atol: 2e-6, rtol: 1e-5 };
const GRAD = { atol: 2e-5, rtol: 1e-4 };

for (const s of skippedBackends()) test(`${s.name}: attention suite`, { skip: s.reason }, () => {});

for (const be of backends()) {
  for (const c of cases()) {
    test(`${be.name}: attention ${c.name}: forward, lse, backward vs reference and finite differences`, (t) => {
      const x = inputs(c, 1), g0 = inputs(c, 2);
      const got = runBackend(be, c, x, g0);
      const xr = { q: f64(x.q), k: f64(x.k), v: f64(x.v) };
      const a = refArgs(c, xr);
      const out = new Float64Array(got.out.length), lse = new Float64Array(got.lse.length);
      ref.attention(out, lse, a);
      close(t, 'out', got.out, out, OUT);
      close(t, 'lse', got.lse, lse, { atol: 1e-5, rtol: 1e-6 });

      const dq = f64(g0.q), dk = f64(g0.k), dv = f64(g0.v);
      ref.attentionBackward(dq, dk, dv, f64(x.dout), a);
      close(t, 'dq', got.dq, dq, GRAD);
      close(t, 'dk', got.dk, dk, GRAD);
      close(t, 'dv', got.dv, dv, GRAD);

      // finite differences of L = Σ dout·attention(q, k, v) in float64; the backend's gradient is what it
      // added on top of the prefilled values
      const loss = (): number => { const o = new Float64Array(out.length); ref.attention(o, new Float64Array(lse.length), a); return dot(o, x.dout); };
      const rng = new Rng(3);
      for (const [label, xs, gotG, g0s] of [['q', xr.q, got.dq, g0.q], ['k', xr.k, got.dk, g0.k], ['v', xr.v, got.dv, g0.v]] as const) {
        const idx = someIndices(rng, xs.length, 12);
        const fd = finiteDiff(loss, xs, idx, 1e-5);
        close(t, `d${label} vs finite differences`, idx.map((i) => gotG[i]! - g0s[i]!), fd, GRAD);
      }
    });
  }

  test(`${be.name}: attention: a query with no visible key gets out 0, lse −∞ and no gradient`, () => {
    const c = cases()[0]!;  // row 1, queries 0..3 are padding with only padded keys before them
    const x = inputs(c, 4), zero = { q: new Float32Array(x.q.length), k: new Float32Array(x.k.length), v: new Float32Array(x.v.length), dout: x.dout };
    const got = runBackend(be, c, x, zero);
    const { T, H, D } = c;
    for (let t = 0; t < 4; t++) for (let h = 0; h < H; h++) {
      assert.equal(got.lse[(1 * H + h) * T + t], -Infinity, `lse of padded query t=${t} h=${h}`);
      for (let d = 0; d < D; d++) {
        const i = ((1 * T + t) * H + h) * D + d;
        assert.equal(got.out[i], 0, `out of padded query t=${t} h=${h}`);
        assert.equal(got.dq[i], 0, `dq of padded query t=${t} h=${h}`);
      }
    }
    // padded keys get no gradient either
    for (let j = 0; j < 4; j++) for (let e = 0; e < c.G * D; e++) {
      assert.equal(got.dk[(1 * c.S + j) * c.G * D + e], 0, `dk of padded key ${j}`);
      assert.equal(got.dv[(1 * c.S + j) * c.G * D + e], 0, `dv of padded key ${j}`);
    }
  });
}

for (const be of backends()) {
  test(`${be.name}: attention: NaN keys and values in masked slots reach neither out, lse nor a gradient`, (t) => {
    for (const c of [cases()[0]!, cases()[1]!, ...tilingCases().slice(0, 3)]) {
      const x = inputs(c, 8);
      const kv = c.G * c.D;
      for (let i = 0; i < c.keyMask.length; i++) if (c.keyMask[i] === 0) { x.k.fill(NaN, i * kv, (i + 1) * kv); x.v.fill(NaN, i * kv, (i + 1) * kv); }
      const zero = { q: new Float32Array(x.q.length), k: new Float32Array(x.k.length), v: new Float32Array(x.v.length), dout: x.dout };
      const got = runBackend(be, c, x, zero);
      const a = refArgs(c, { q: f64(x.q), k: f64(x.k), v: f64(x.v) });  // the reference reads no masked slot
      const want = new Float64Array(got.out.length), wantLse = new Float64Array(got.lse.length);
      ref.attention(want, wantLse, a);
      close(t, `${c.name} out`, got.out, want, OUT);
      close(t, `${c.name} lse`, got.lse, wantLse, { atol: 1e-5, rtol: 1e-6 });
      const dq = new Float64Array(x.q.length), dk = new Float64Array(x.k.length), dv = new Float64Array(x.v.length);
      ref.attentionBackward(dq, dk, dv, f64(x.dout), a);
      close(t, `${c.name} dq`, got.dq, dq, GRAD);
      // a masked slot's gradient is not defined by the contract (the reference leaves it 0): compare the live ones
      const live = (g: ArrayLike<number>): number[] => Array.from(g).filter((_, i) => c.keyMask[Math.floor(i / kv)] !== 0);
      close(t, `${c.name} dk`, live(got.dk), live(dk), GRAD);
      close(t, `${c.name} dv`, live(got.dv), live(dv), GRAD);
    }
  });
}

test('reference: attentionBackward = finite differences of attention (GQA, slots, masks)', (t) => {
  for (const c of cases().slice(0, 3)) {
    const x = inputs(c, 5);
    const xr = { q: f64(x.q), k: f64(x.k), v: f64(x.v) };
    const a = refArgs(c, xr);
    const n = x.q.length, nl = c.B * c.H * c.T;
    const loss = (): number => { const o = new Float64Array(n); ref.attention(o, new Float64Array(nl), a); return dot(o, x.dout); };
    const dq = new Float64Array(n), dk = new Float64Array(x.k.length), dv = new Float64Array(x.v.length);
    ref.attentionBackward(dq, dk, dv, f64(x.dout), a);
    const rng = new Rng(6);
    for (const [label, xs, g] of [['q', xr.q, dq], ['k', xr.k, dk], ['v', xr.v, dv]] as const) {
      const idx = someIndices(rng, xs.length, 16);
      close(t, `${c.name} ref d${label} vs fd`, idx.map((i) => g[i]!), finiteDiff(loss, xs, idx, 1e-5), { atol: 1e-8, rtol: 1e-6 });
    }
  }
});
