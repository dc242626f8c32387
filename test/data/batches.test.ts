import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batches, epochOrder, iterateBatches, stepsPerEpoch } from '../../src/data/batches.js';

test('AIME shape: 30 prompts, 8 per step, drop_last → 3 steps of 8 distinct prompts, 6 left out', () => {
  assert.equal(stepsPerEpoch(30, 8, true), 3);
  assert.equal(stepsPerEpoch(30, 8, false), 4);
  const b = batches(30, 8, 1, 0, true);
  assert.deepEqual(b.map((x) => x.length), [8, 8, 8]);
  const used = b.flat();
  assert.equal(new Set(used).size, 24);
  assert.ok(used.every((i) => i >= 0 && i < 30));
  const all = batches(30, 8, 1, 0, false);
  assert.deepEqual(all.map((x) => x.length), [8, 8, 8, 6]);
  assert.deepEqual(all.flat().sort((x, y) => x - y), Array.from({ length: 30 }, (_, i) => i)); // a permutation
});

test('deterministic per (seed, epoch); epochs and seeds differ; no shuffle is identity', () => {
  assert.deepEqual(epochOrder(50, 3, 2), epochOrder(50, 3, 2));
  assert.notDeepEqual(epochOrder(50, 3, 2), epochOrder(50, 3, 3));
  assert.notDeepEqual(epochOrder(50, 3, 2), epochOrder(50, 4, 2));
  assert.deepEqual(batches(5, 2, 9, 0, false, false), [[0, 1], [2, 3], [4]]);
  // every index is first equally often across many epochs (a loose check that the shuffle is uniform)
  const first = new Array(4).fill(0);
  for (let e = 0; e < 4000; e++) first[epochOrder(4, 0, e)[0]!]++;
  for (const c of first) assert.ok(Math.abs(c - 1000) < 120, `first-position counts ${first}`);
});

test('iterateBatches resumes at (epoch, batch) with exactly the batches it would have produced', () => {
  const full = [...iterateBatches(30, 8, 5, true, 3)];
  assert.equal(full.length, 9);
  assert.deepEqual(full.map((b) => b.step), [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(full[4]!.indices, batches(30, 8, 5, 1, true)[1]);
  const resumed = [...iterateBatches(30, 8, 5, true, 3, { start: { epoch: 1, batch: 1 } })];
  assert.deepEqual(resumed, full.slice(4));
  const atEpochEnd = [...iterateBatches(30, 8, 5, true, 3, { start: { epoch: 1, batch: 3 } })];
  assert.deepEqual(atEpochEnd, full.slice(6));
  assert.throws(() => [...iterateBatches(6, 8, 0, true, 1)], /6 prompts make no batch of 8 with drop_last; lower --data\.prompts_per_step/);
  assert.deepEqual([...iterateBatches(6, 8, 0, false, 1)].map((b) => b.indices.length), [6]);
});
