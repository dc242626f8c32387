import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lrAt, warmupStepsOf, type LrSchedule } from '../../src/rl/schedule.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-18 + 1e-12 * Math.abs(b), `${what}: ${a} vs ${b}`);

test('TTRL AIME schedule: 240 steps, warmup ⌊0.03·240⌋ = 7, cosine to 0', () => {
  const s: LrSchedule = { kind: 'cosine', base: 5e-7, totalSteps: 240, warmupRatio: 0.03 };
  assert.equal(warmupStepsOf(s), 7); // 0.03·240 = 7.199999999999999 in float64, int() → 7
  assert.equal(lrAt(0, s), 0); // HF/verl: the first step has lr 0
  close(lrAt(1, s), 5e-7 / 7, 'step 1');
  close(lrAt(6, s), 5e-7 * 6 / 7, 'step 6');
  assert.equal(lrAt(7, s), 5e-7); // peak: cos(0) = 1
  close(lrAt(123, s), 5e-7 * 0.5 * (1 + Math.cos(Math.PI * 116 / 233)), 'step 123'); // p = 116/233
  assert.ok(Math.abs(lrAt(123, s) - 2.5e-7) < 5e-7 * Math.PI / 233, 'near half the peak at mid-decay');
  close(lrAt(239, s), 5e-7 * 0.5 * (1 + Math.cos(Math.PI * 232 / 233)), 'last step');
  assert.ok(lrAt(239, s) > 0 && lrAt(239, s) < 1e-10);
  assert.equal(lrAt(240, s), 0);
  assert.equal(lrAt(400, s), 0); // clamped: HF's formula would rise again
  for (let k = 8; k < 240; k++) assert.ok(lrAt(k, s) <= lrAt(k - 1, s), `monotone after warmup at ${k}`);
});

test('cosine with a floor (verl min_lr_ratio) and explicit warmup steps', () => {
  const s: LrSchedule = { kind: 'cosine', base: 1, totalSteps: 10, warmupSteps: 2, minLr: 0.1 };
  assert.equal(warmupStepsOf(s), 2);
  close(lrAt(0, s), 0.1, 'warmup starts at the floor');
  close(lrAt(1, s), 0.55, 'halfway through warmup');
  close(lrAt(6, s), 0.1 + 0.9 * 0.5, 'cosine midpoint');
  close(lrAt(10, s), 0.1, 'end');
});

test('linear-warmup and constant', () => {
  const w: LrSchedule = { kind: 'linear-warmup', base: 2, totalSteps: 100, warmupRatio: 0.1 };
  assert.deepEqual([0, 5, 10, 50, 99].map((k) => lrAt(k, w)), [0, 1, 2, 2, 2]);
  // with no warmup the first step is at full lr (HF; an old verl returned min(1, step/1) = 0 here)
  assert.equal(lrAt(0, { ...w, warmupRatio: 0 }), 2);
  const c: LrSchedule = { kind: 'constant', base: 3, totalSteps: 5, warmupRatio: 0.5 };
  assert.equal(warmupStepsOf(c), 0);
  assert.deepEqual([0, 4, 9].map((k) => lrAt(k, c)), [3, 3, 3]);
  assert.throws(() => lrAt(-1, c), /non-negative integer/);
});
