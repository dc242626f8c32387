// Split float32 buffers (native/split.h: hi = bf16 round-to-nearest-even, lo = the int16 rest, a tie bit) on
// every backend of backends(): the round trip is exact for every float32 class (brute force over random bit
// patterns plus the edges: ±0, subnormals, binade boundaries, the largest finite values, ±Inf, and the ties
// whose rest is ±0x8000, the one case 16 bits of lo cannot hold alone); the hi half is the bf16 rounding
// from the format's definition (roundBf16); and every kernel that takes a split buffer (adamw, axpy,
// embedding, gemm at both precisions) gives bit for bit what it gives on the float32 values. Views start
// at offsets that are not multiples of 32, so on CUDA their tie bits sit inside a parent's word (the CPU keeps
// a sorted list of the +0x8000 ties per allocation instead, which a write into a view updates). The CUDA kernels
// (on the emulator) are checked the same way, and their exact results against the CPU's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backends, skippedBackends, randn, randInts, dev, roundBf16 } from './helpers.js';
import { backendAt } from '../../src/tensor/index.js';
import type { Backend, Buf } from '../../src/tensor/backend.js';
import { Rng } from '../../src/util/rng.js';

const bits = (x: Float32Array): Uint32Array => new Uint32Array(x.buffer, x.byteOffset, x.length);
const fromBits = (u: ArrayLike<number>): Float32Array => new Float32Array(Uint32Array.from(u).buffer);

/** Bit patterns of every edge class, each with its neighbours, both signs. */
function edgePatterns(): number[] {
  const mags = [0, 1, 2, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000, 0x17fff, 0x18000, 0x18001, 0x28000,  // zero, subnormals
    0x007fffff, 0x00800000, 0x00808000, 0x00818000,  // largest subnormal, smallest normal, ties just above
    0x3f7f8000, 0x3f7fffff, 0x3f800000, 0x3f807fff, 0x3f808000, 0x3f808001, 0x3f818000,  // around 1.0 (binade boundary)
    0x7f7f0000, 0x7f7f7fff, 0x7f7f8000, 0x7f7f8001, 0x7f7fffff, 0x7f800000];  // the largest finite values, Inf
  const out: number[] = [];
  for (const m of mags) for (const d of [-1, 0, 1]) if (m + d >= 0 && m + d <= 0x7f800000) out.push(m + d, (m + d + 0x80000000) >>> 0);
  return out;
}

/** Random finite patterns (any exponent), and as many forced ties (low half 0x8000, even and odd hi). */
function randomPatterns(rng: Rng, n: number): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const u = (Math.floor(rng.next() * 2 ** 32)) >>> 0;
    if ((u & 0x7fffffff) >= 0x7f800000) continue;
    out.push(u, ((u & 0xffff0000) | 0x8000) >>> 0);
  }
  return out;
}

/** A split buffer of x's values, at `pad` values into a larger one (so its tie bits start mid-word). */
function splitOf(be: Backend, x: Float32Array, pad: number): Buf {
  const whole = be.alloc(x.length + pad + 5, 'split');
  const v = be.view(whole, pad, x.length);
  be.upload(v, x);
  return v;
}

const assertBits = (got: Float32Array, want: Float32Array, what: string): void => {
  const g = bits(got), w = bits(want);
  assert.equal(g.length, w.length, what);
  for (let i = 0; i < w.length; i++) {
    if (g[i] !== w[i]) assert.fail(`${what}: element ${i} is 0x${g[i]!.toString(16)}, want 0x${w[i]!.toString(16)}`);
  }
};

for (const s of skippedBackends()) test(`${s.name}: split suite`, { skip: s.reason }, () => {});

for (const be of backends()) {
  const N = be.name;

  test(`${N}: split: the round trip is exact on every float32 class; hi is the bf16 rounding; NaN stays NaN`, () => {
    const x = fromBits([...edgePatterns(), ...randomPatterns(new Rng(7, 1), 1 << 17)]);
    for (const pad of [0, 13]) {
      const s = splitOf(be, x, pad);
      assertBits(be.read(s), x, `read(upload) at offset ${pad}`);
      const half = be.alloc(x.length, 'bf16'), wide = be.alloc(x.length);
      be.copy(half, s);
      assertBits(be.read(half), roundBf16(x), 'the hi half');
      be.copy(wide, s);
      assertBits(be.read(wide), x, 'copy split → f32');
      const again = be.alloc(x.length, 'split');
      be.copy(again, dev(be, x));
      assertBits(be.read(again), x, 'copy f32 → split');
    }
    const nan = be.read(splitOf(be, fromBits([0x7fc00000, 0x7f800001, 0xffffffff, 0x7fbfffff]), 3));
    for (const v of nan) assert.ok(Number.isNaN(v), 'a NaN reads back as a NaN');
  });

  test(`${N}: split: a tie's bit belongs to its element (neighbours in one word, rewritten both ways)`, () => {
    // ±0x8000 ties side by side: each element's bit must survive its neighbours' writes
    const up = 0x3f808000, down = 0x3f7f8000;  // both round to 1.0 (even hi): rest +0x8000 and −0x8000
    const pat = Array.from({ length: 100 }, (_, i) => ((i * 7) % 3 === 0 ? up : down));
    const x = fromBits(pat), s = splitOf(be, x, 29);
    assertBits(be.read(s), x, 'ties');
    const flipped = fromBits(pat.map((u) => (u === up ? down : up)));
    be.upload(s, flipped);
    assertBits(be.read(s), flipped, 'ties rewritten the other way');
  });

  test(`${N}: split: a write into one view keeps the ties of the allocation's other views`, () => {
    const rng = new Rng(13, 6), n = 3000, part = 1000;
    const tied = (x: Float32Array): Float32Array => {  // every 3rd value a tie, both kinds
      const b = bits(x);
      for (let i = 0; i < b.length; i += 3) b[i] = ((b[i]! & 0xffff0000) | 0x8000) >>> 0;
      return x;
    };
    const whole = be.alloc(n, 'split'), parts = [0, 1, 2].map((k) => be.view(whole, k * part, part));
    const x = [0, 1, 2].map(() => tied(randn(rng, part, 0.1)));
    parts.forEach((v, k) => be.upload(v, x[k]!));
    const y = tied(randn(rng, part, 0.1)), g = randn(rng, part, 0.01);
    be.upload(parts[1]!, y);  // rewrite the middle view
    const want2 = dev(be, x[2]!);
    be.axpy(want2, dev(be, g), 0.5);
    be.axpy(parts[2]!, dev(be, g), 0.5);  // and update the last one in place
    assertBits(be.read(parts[0]!), x[0]!, 'the untouched view');
    assertBits(be.read(parts[1]!), y, 'the rewritten view');
    assertBits(be.read(parts[2]!), be.read(want2), 'the updated view');
    assertBits(be.read(whole), Float32Array.from([...x[0]!, ...y, ...be.read(want2)]), 'the whole allocation');
  });

  test(`${N}: split: adamw and axpy on split weights = on float32 weights, bit for bit (ties included)`, () => {
    const rng = new Rng(11, 2), n = (1 << 15) + 77;
    const w = randn(rng, n, 0.05), g = randn(rng, n, 0.01), m0 = randn(rng, n, 1e-3), v0 = randn(rng, n, 1e-3).map(Math.abs);
    const wb = bits(w);
    for (let i = 0; i < n; i += 5) wb[i] = ((wb[i]! & 0xffff0000) | 0x8000) >>> 0;  // many ties
    for (const [lr, wd, t] of [[1e-3, 0.01, 1], [3e-2, 0.1, 7]] as const) {
      const bc1 = 1 - 0.9 ** t, bc2 = 1 - 0.999 ** t;
      const pf = dev(be, w), mf = dev(be, m0), vf = dev(be, v0), ps = splitOf(be, w, 19), ms = dev(be, m0), vs = dev(be, v0);
      be.adamw(pf, dev(be, g), mf, vf, lr, 0.9, 0.999, 1e-8, wd, bc1, bc2);
      be.adamw(ps, dev(be, g), ms, vs, lr, 0.9, 0.999, 1e-8, wd, bc1, bc2);
      assertBits(be.read(ps), be.read(pf), `adamw weights (lr ${lr})`);
      assertBits(be.read(ms), be.read(mf), 'adamw m');
      assertBits(be.read(vs), be.read(vf), 'adamw v');
    }
    const yf = dev(be, w), ys = splitOf(be, w, 3);
    be.axpy(yf, dev(be, g), -0.37);
    be.axpy(ys, dev(be, g), -0.37);
    assertBits(be.read(ys), be.read(yf), 'axpy');
  });

  test(`${N}: split: embedding rows are the exact float32 rows; gemm takes hi at bf16 and the exact values at fp32`, () => {
    const rng = new Rng(5, 3), V = 37, C = 19, M = 11;
    const table = randn(rng, V * C, 0.3), tb = bits(table);
    for (let i = 0; i < tb.length; i += 3) tb[i] = ((tb[i]! & 0xffff0000) | 0x8000) >>> 0;
    const ids = randInts(rng, M, V), s = splitOf(be, table, 7);
    const got = be.alloc(M * C), want = be.alloc(M * C);
    be.embedding(got, s, ids, M, C);
    be.embedding(want, dev(be, table), ids, M, C);
    assertBits(be.read(got), be.read(want), 'embedding');
    assert.throws(() => be.embedding(got, s, Int32Array.from([V]), 1, C), /id 37/);
    const x = randn(rng, M * C), half = be.alloc(V * C, 'bf16');
    be.copy(half, s);
    const at16 = be.precision === 'bf16' ? be : null;
    for (const [B, W] of [[s, dev(be, table)], ...(at16 ? [[s, half]] : [])] as [Buf, Buf][]) {
      const a = be.alloc(M * V), b = be.alloc(M * V);
      be.gemm(a, dev(be, x), B, M, V, C, false, true, 1, 0);
      be.gemm(b, dev(be, x), W, M, V, C, false, true, 1, 0);
      assertBits(be.read(a), be.read(b), `gemm with a split operand at ${be.precision}`);
    }
  });
}

for (const be of backends().map((b) => backendAt(b, 'bf16'))) test(`${be.name} at bf16: split: gemm takes the hi half, as it takes a bf16 copy`, () => {
  const rng = new Rng(9, 4), M = 5, N = 33, K = 40;
  const w = randn(rng, N * K, 0.2), x = randn(rng, M * K), s = be.alloc(N * K, 'split'), half = be.alloc(N * K, 'bf16');
  be.upload(s, w);
  be.copy(half, dev(be, w));
  const a = be.alloc(M * N), b = be.alloc(M * N);
  be.gemm(a, dev(be, x), s, M, N, K, false, true, 1, 0);
  be.gemm(b, dev(be, x), half, M, N, K, false, true, 1, 0);
  assertBits(be.read(a), be.read(b), 'gemm');
});

test('split: the CUDA kernels (emulated here) split, join and look up exactly as the CPU', { skip: backends().length > 1 ? false : 'no second backend (build/Release/ttrl_cuda_emu.node not built)' }, () => {
  const [host, emu] = backends() as [Backend, Backend];
  const x = fromBits([...edgePatterns(), ...randomPatterns(new Rng(3, 5), 1 << 14)]);
  const a = splitOf(host, x, 5), b = splitOf(emu, x, 5);
  const ha = host.alloc(x.length, 'bf16'), hb = emu.alloc(x.length, 'bf16');
  host.copy(ha, a); emu.copy(hb, b);
  assertBits(emu.read(hb), host.read(ha), 'hi halves');
  assertBits(emu.read(b), host.read(a), 'joined values');
  const ids = randInts(new Rng(1, 1), 9, Math.floor(x.length / 8));
  const oa = host.alloc(9 * 8), ob = emu.alloc(9 * 8);
  host.embedding(oa, a, ids, 9, 8); emu.embedding(ob, b, ids, 9, 8);
  assertBits(emu.read(ob), host.read(oa), 'embedding rows');
});

test('cpu: split: the tie list holds exactly the +0x8000 ties, not a bit per value', () => {
  const be = backends().find((b) => b.name === 'cpu')!, rng = new Rng(17, 7), n = 1 << 20;
  const x = randn(rng, n, 0.05), b = bits(x);
  for (let i = 0; i < n; i += 977) b[i] = ((b[i]! & 0xffff0000) | 0x8000) >>> 0;  // ~1,070 forced ties
  const s = be.alloc(n + 40, 'split'), v = be.view(s, 40, n);
  be.upload(v, x);
  // from the format: a low half of exactly 0x8000 rounds to the even hi, down (+0x8000) when the top half is even
  const want: number[] = [];
  for (let i = 0; i < n; i++) if ((b[i]! & 0xffff) === 0x8000 && ((b[i]! >>> 16) & 1) === 0) want.push(40 + i);
  const list = (s as unknown as { ties: { idx: Uint32Array } }).ties.idx;
  assert.deepEqual([...list], want);
  assert.ok(want.length > 300 && want.length < 1000, `${want.length} +0x8000 ties`);
});
