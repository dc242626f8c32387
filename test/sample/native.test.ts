// Backend.sampleRows (the native sampler) against src/sample/kernel.ts's drawToken, draw for draw: the same
// uniform must give the same token, log-prob, entropy and self-certainty on every row and policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drawToken, KernelScratch } from '../../src/sample/kernel.js';
import type { TokenPolicy } from '../../src/sample/params.js';
import type { Backend, Draws } from '../../src/tensor/backend.js';
import { cpu } from '../../src/tensor/cpu.js';
import { Rng } from '../../src/util/rng.js';
import { POLICIES as SHARED_POLICIES } from './oracle.js';

// plus a near-greedy temperature, where exp underflows for all but the top logits
const POLICIES: TokenPolicy[] = [...SHARED_POLICIES, { temperature: 0.05, topP: 1, topK: 0, minP: 0 }];

/** Rows of gaussian logits at several scales (wide ones push weights into exp's subnormal range), integer
 *  logits (exact ties), and an LM-like row (a few strong candidates over a long tail), B·V floats. */
function rowsOf(V: number, B: number, seed: number): Float32Array {
  const rng = new Rng(seed), out = new Float32Array(B * V);
  for (let b = 0; b < B; b++) {
    const kind = b % 5, scale = [0.5, 3, 40][b % 3]!;
    for (let i = 0; i < V; i++) out[b * V + i] = kind === 3 ? Math.round(rng.normal() * 2) : rng.normal() * scale;
    if (kind === 4) for (let k = 0; k < 5; k++) out[b * V + rng.int(V)] = 12 + rng.normal();
  }
  return out;
}

function draws(B: number): Draws {
  return { tokens: new Int32Array(B), logprobs: new Float64Array(B), entropies: new Float64Array(B), certainties: new Float64Array(B) };
}

/** Every row of `logits` with several uniforms per row, through be.sampleRows and through drawToken. */
function compare(be: Backend, V: number, B: number, seed: number, usPerRow: number): number {
  const host = rowsOf(V, B, seed), logits = be.fromHost(host.slice()), s = new KernelScratch(V);
  const rng = new Rng(seed, 7);
  let n = 0;
  for (const pol of POLICIES) {
    for (let k = 0; k < usPerRow; k++) {
      const u = Float64Array.from({ length: B }, () => (k === 0 ? 0 : k === 1 ? 1 - 2 ** -53 : rng.next()));
      const out = draws(B);
      be.sampleRows(logits, V, B, null, pol, u, out);
      for (let b = 0; b < B; b++) {
        const want = drawToken(host.subarray(b * V, (b + 1) * V), pol, u[b]!, s);
        const where = `V=${V} row ${b} ${JSON.stringify(pol)} u=${u[b]}`;
        assert.equal(out.tokens[b], want.token, where);
        assert.equal(out.logprobs[b], want.logprob, where);
        assert.equal(out.entropies![b], want.entropy, where);
        assert.equal(out.certainties![b], want.certainty, where);
        n++;
      }
    }
  }
  return n;
}

test('sampleRows equals drawToken draw for draw (tokens and log-probs bit for bit), rows in parallel', () => {
  let n = 0;
  for (const V of [1, 2, 7, 64, 1000]) n += compare(cpu(), V, 10, 31 + V, 6);
  n += compare(cpu(), 151936, 5, 5, 2);
  assert.ok(n > 3000, `${n} draws compared`);
});

test('sampleRows: rows picks the logits row of each draw; a NaN or an all -Infinity row is a RangeError', () => {
  const V = 50, be = cpu(), host = rowsOf(V, 3, 9), logits = be.fromHost(host);
  const pol = POLICIES[1]!, s = new KernelScratch(V), rows = Int32Array.from([2, 0, 2, 1]);
  const u = Float64Array.from([0.1, 0.5, 0.9, 0.3]), out = draws(4);
  be.sampleRows(logits, V, 4, rows, pol, u, out);
  rows.forEach((r, b) => assert.equal(out.tokens[b], drawToken(host.subarray(r * V, (r + 1) * V), pol, u[b]!, s).token));
  assert.throws(() => be.sampleRows(logits, V, 1, Int32Array.from([3]), pol, u, out), /row 3 outside/);
  const bad = host.slice(); bad[V + 7] = NaN;
  assert.throws(() => be.sampleRows(be.fromHost(bad), V, 3, null, pol, u, out), /logits row 1 .*NaN/);
  const inf = new Float32Array(V).fill(-Infinity);
  assert.throws(() => be.sampleRows(be.fromHost(inf), V, 1, null, pol, u, out), /non-finite maximum/);
});

// The device samplers (the CUDA backend, emulated here) are compared with this one in test/tensor/sample.test.ts:
// they match it within rounding, not bit for bit.
