// The device samplers (every backend of backends() but the CPU: here the emulated CUDA backend, on a GPU also
// the real one) against the CPU backend's sampleRows and the brute-force float64 distribution of
// test/sample/oracle.ts. A device draws with its own exp and its own summation order, so:
//   tokens   identical wherever u is not within a rounding hair of a CDF boundary: the uniforms are put in
//            the middle of a token's interval of the brute-force CDF (or at 0), and the CPU must agree too;
//   kept set (top-k / top-p / min-p, ties) probed at both ends of every kept token's interval;
//   numbers  log-prob, entropy and self-certainty within docs/cuda.md's bound 4·(V + 16)·2^-53·s plus the CPU
//            kernel's own float32-weight error 5e-7·s (test/sample/kernel.test.ts), with s = 1 + |value|
//            (+ mean |l| / T for the self-certainty, whose Σ l has mixed signs).
// The CPU's float32 weights also move each CDF boundary by up to ~5e-7, so probes keep 1e-5 away from them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Draws, TokenPolicy } from '../../src/tensor/backend.js';
import { cpu } from '../../src/tensor/cpu.js';
import { Rng } from '../../src/util/rng.js';
import { backends, skippedBackends } from './helpers.js';
import { naiveDistribution, POLICIES } from '../sample/oracle.js';

const devices = backends().filter((b) => b.name !== 'cpu');
for (const s of skippedBackends()) test(`${s.name}: device sampler`, { skip: s.reason }, () => {});
if (!devices.length) test('device sampler', { skip: 'no backend other than the CPU here' }, () => {});

const CPU_FLOAT_WEIGHTS = 5e-7;
const tolerance = (V: number, scale: number): number => (4 * (V + 16) * 2 ** -53 + CPU_FLOAT_WEIGHTS) * scale;

function draws(B: number): Required<Draws> {
  return { tokens: new Int32Array(B), logprobs: new Float64Array(B), entropies: new Float64Array(B), certainties: new Float64Array(B) };
}

function sample(be: Backend, logits: Float32Array, V: number, rows: Int32Array | null, B: number, pol: TokenPolicy,
                u: Float64Array): Required<Draws> {
  const out = draws(B);
  be.sampleRows(be.fromHost(logits), V, B, rows, pol, u, out);
  return out;
}

/** B rows of V logits: gaussian at three scales (the widest pushes weights under exp's normal range),
 *  small integers (exact ties, at the maximum too) and LM-like rows (a few strong logits over a tail). */
function makeRows(V: number, B: number, seed: number): Float32Array {
  const rng = new Rng(seed), out = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    const row = out.subarray(b * V, (b + 1) * V), kind = b % 5;
    for (let i = 0; i < V; i++) row[i] = kind === 3 ? Math.round(rng.normal() * 2) : rng.normal() * [0.5, 3, 40][b % 3]!;
    if (kind === 4) for (let k = 0; k < 5; k++) row[rng.int(V)] = 12 + rng.normal();
  }
  return out;
}

/** The start of each token's interval of `dist`'s CDF in vocabulary order. */
function starts(dist: number[]): number[] {
  let cum = 0;
  return dist.map((p) => { const s = cum; cum += p; return s; });
}

/** Probes of one row: [u, the token it must draw]: u = 0, then the middles of the intervals of the three
 *  most likely tokens and of three random kept tokens (only those with p ≥ 1e-4: far from any boundary). */
function probes(dist: number[], rng: Rng): [number, number][] {
  const at = starts(dist), kept = dist.flatMap((p, i) => (p >= 1e-4 ? [i] : []));
  const byP = [...kept].sort((a, b) => dist[b]! - dist[a]! || a - b);
  const pick = [...byP.slice(0, 3), ...Array.from({ length: 3 }, () => kept[rng.int(kept.length)]!)];
  // u = 0 draws the first token of positive weight: only a probe when that token is above the CPU's float32
  // exp range (weights under e^-87 of the top are 0 there)
  const first = dist.findIndex((p) => p > 0), zero: [number, number][] = dist[first]! > 1e-30 ? [[0, first]] : [];
  return [...zero, ...pick.map((j): [number, number] => [at[j]! + dist[j]! / 2, j])];
}

/** How far inside a kept token's interval of mass p the kept-set probes sit: 1e-5·p, but at least 2e-6 from
 *  the boundary (the CPU's float32 weights move it by up to ~5e-7), and the middle for smaller tokens. */
const inset = (p: number): number => Math.min(p / 2, Math.max(1e-5 * p, 2e-6));

/** The largest |device − CPU| / tolerance seen, for the tests' diagnostics. */
let worst = 0;

/** Compares `be` with the CPU on every row of `host` for `pol`, `rounds` probes a row; returns draws compared. */
function compare(be: Backend, host: Float32Array, V: number, B: number, pol: TokenPolicy, rounds: number, rng: Rng): number {
  const rowProbes = Array.from({ length: B }, (_, b) => probes(naiveDistribution(host.subarray(b * V, (b + 1) * V), pol), rng));
  for (let k = 0; k < rounds; k++) {
    const chosen = rowProbes.map((ps) => ps[k % ps.length]!);
    const u = Float64Array.from(chosen, ([x]) => x);
    const want = sample(cpu(), host, V, null, B, pol, u), got = sample(be, host, V, null, B, pol, u);
    for (let b = 0; b < B; b++) {
      const where = `${be.name} V=${V} row ${b} ${JSON.stringify(pol)} u=${u[b]}`;
      assert.equal(want.tokens[b], chosen[b]![1], `cpu vs brute force: ${where}`);
      assert.equal(got.tokens[b], chosen[b]![1], `token: ${where}`);
      const row = host.subarray(b * V, (b + 1) * V), T = pol.temperature || 1;
      const meanAbs = row.reduce((a, x) => a + Math.abs(x), 0) / V;
      const near = (what: string, g: number, w: number, scale: number): void => {
        worst = Math.max(worst, Math.abs(g - w) / tolerance(V, scale));
        assert.ok(Math.abs(g - w) <= tolerance(V, scale), `${what}: ${where}: ${g} vs ${w} (tolerance ${tolerance(V, scale)})`);
      };
      near('log-prob', got.logprobs[b]!, want.logprobs[b]!, 1 + Math.abs(want.logprobs[b]!));
      near('entropy', got.entropies[b]!, want.entropies[b]!, 1 + Math.abs(want.entropies[b]!));
      near('self-certainty', got.certainties[b]!, want.certainties[b]!, 1 + Math.abs(want.certainties[b]!) + meanAbs / T);
    }
  }
  return rounds * B;
}

for (const be of devices) {
  test(`${be.name}: sampleRows draws the CPU's tokens mid-interval, log-prob / entropy / self-certainty within tolerance`, (t) => {
    const rng = new Rng(17);
    worst = 0;
    let n = 0;
    for (const V of [1, 2, 7, 300, 1000]) {
      const B = 10, host = makeRows(V, B, 40 + V);
      for (const pol of [...POLICIES, { temperature: 0.05, topP: 1, topK: 0, minP: 0 }]) n += compare(be, host, V, B, pol, 5, rng);
    }
    assert.ok(n >= 2500, `${n} draws compared`);
    t.diagnostic(`${n} draws; largest |${be.name} − cpu| / tolerance ${worst.toExponential(2)}`);
  });

  test(`${be.name}: sampleRows on a Qwen-sized vocabulary (V = 151936)`, (t) => {
    const V = 151936, B = 2, host = makeRows(V, 5, 3).subarray(3 * V), rng = new Rng(5);
    worst = 0;
    for (const pol of [POLICIES[1]!, POLICIES[6]!]) compare(be, host, V, B, pol, 2, rng);
    t.diagnostic(`largest |${be.name} − cpu| / tolerance ${worst.toExponential(2)}`);
  });

  test(`${be.name}: top-k / top-p / min-p kept sets equal the brute force on rows with ties`, () => {
    const NI = -Infinity;
    const rows = [
      [1, 3, 3, 0, 3, 2, 2, -1, 0, 1],  // a tied maximum, ties below it
      [0, 0, 0, 0, 0, 0, 0, 0],  // uniform: every cut falls inside one tie group
      [0, NI, 4, 4, 2, NI, 1, 4],  // masked entries never drawn
      [5, 4.5, 4.5, 3, 0, 0, 4.5, -1, 3, 1, 1, 1],  // LM-like, ties at every level (weights ≥ e^-12: no probe near rounding)
    ];
    let checked = 0;
    for (const row of rows.map((r) => Float32Array.from(r))) {
      const V = row.length;
      for (const temperature of [1, 0.5]) for (const topK of [0, 1, 2, 4]) for (const topP of [1, 0.9, 0.5, 0.2]) for (const minP of [0, 0.3]) {
        const pol = { temperature, topK, topP, minP }, dist = naiveDistribution(row, pol), at = starts(dist);
        // both ends of every kept token's interval: an extra or a missing kept token moves one of them
        const ps = dist.flatMap((p, j): [number, number][] => (p > 0 ? [[at[j]! + inset(p), j], [at[j]! + p - inset(p), j]] : []));
        const u = Float64Array.from(ps, ([x]) => x), rowsOf = new Int32Array(ps.length);  // every draw from row 0
        const want = sample(cpu(), row, V, rowsOf, ps.length, pol, u), got = sample(be, row, V, rowsOf, ps.length, pol, u);
        ps.forEach(([x, j], i) => {
          const where = `row [${row}] ${JSON.stringify(pol)} u=${x}`;
          assert.equal(want.tokens[i], j, `cpu vs brute force: ${where}`);
          assert.equal(got.tokens[i], j, `${be.name}: ${where}`);
        });
        checked += ps.length;
      }
    }
    assert.ok(checked > 1000, `${checked} probes`);
  });

  test(`${be.name}: sampleRows: rows pick the logits row; bad rows give the CPU's one-line errors`, () => {
    const V = 40, host = makeRows(V, 3, 8), pol = POLICIES[1]!, rows = Int32Array.from([2, 0, 2, 1]);
    const u = Float64Array.from([0.1, 0.5, 0.9, 0.3]);
    const want = sample(cpu(), host, V, rows, 4, pol, u), got = sample(be, host, V, rows, 4, pol, u);
    assert.deepEqual([...got.tokens], [...want.tokens]);
    const message = (b: Backend, logits: Float32Array, r: Int32Array | null, B: number): string => {
      try { sample(b, logits, V, r, B, pol, u); } catch (e) { assert.ok(e instanceof RangeError); return (e as Error).message; }
      return assert.fail(`${b.name}: no error`);
    };
    const nan = host.slice(); nan[2 * V + 7] = NaN;
    const inf = host.slice(); inf.fill(-Infinity, V, 2 * V);
    const posInf = host.slice(); posInf[5] = Infinity;
    const cases: [string, Float32Array, Int32Array | null, number][] = [
      ['NaN', nan, Int32Array.from([0, 2]), 2], ['-Infinity row', inf, null, 3], ['+Infinity', posInf, null, 1],
      ['row outside', host, Int32Array.from([3]), 1],
    ];
    for (const [what, logits, r, B] of cases) {
      const m = message(cpu(), logits, r, B);
      assert.equal(message(be, logits, r, B), m, what);
      assert.ok(!m.includes('\n'), m);
    }
    assert.match(message(be, nan, Int32Array.from([0, 2]), 2), /logits row 2 has a non-finite maximum or a NaN/);
  });
}
