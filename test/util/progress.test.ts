import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Progress, formatDuration, formatProgress, formatRate } from '../../src/util/progress.js';

function fakeStream(isTTY: boolean) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => { out.push(s); return true; } } };
}

test('formatting: duration, rate and the line', () => {
  assert.deepEqual([formatDuration(0), formatDuration(65), formatDuration(3723), formatDuration(NaN)], ['0:00', '1:05', '1:02:03', '?']);
  assert.deepEqual([formatRate(1234.4), formatRate(56.78), formatRate(0.1234)], ['1234', '56.8', '0.12']);
  // 45 of 100 in 4.5 s: 10/s, 55 left → 5.5 s → "0:06" (rounded)
  assert.equal(formatProgress('rollout', 45, 100, 4500, 'tok'), 'rollout 45/100 45% 10.0 tok/s ETA 0:06');
  assert.equal(formatProgress('rollout', 100, 100, 10_000, 'tok'), 'rollout 100/100 100% 10.0 tok/s done in 0:10');
  assert.equal(formatProgress('gen', 300, null, 2000, 'tok'), 'gen 300 tok 150 tok/s 0:02 elapsed');
});

test('non-TTY: a plain line at each 10% and at the end, none in between', () => {
  let now = 0;
  const { out, stream } = fakeStream(false);
  const p = new Progress('eval', 20, { unit: 'prob', stream, now: () => now });
  for (let i = 1; i <= 20; i++) { now += 500; p.tick(); }
  p.finish();
  p.finish(); // idempotent
  assert.equal(out.length, 10); // 10%, 20%, ..., 90%, then the final line
  assert.equal(out[0], 'eval 2/20 10% 2.00 prob/s ETA 0:09\n');
  assert.equal(out[8], 'eval 18/20 90% 2.00 prob/s ETA 0:01\n');
  assert.equal(out[9], 'eval 20/20 100% 2.00 prob/s done in 0:10\n');
  assert.ok(out.every((l) => !l.includes('\r')));
});

test('non-TTY: slow progress still prints every 30 s', () => {
  let now = 0;
  const { out, stream } = fakeStream(false);
  const p = new Progress('train', 1000, { unit: 'step', stream, now: () => now });
  for (let i = 0; i < 5; i++) { now += 20_000; p.tick(); } // 0.5% of the total in 100 s
  // ticks at 20, 40, 60, 80, 100 s: lines at 40 s and 80 s (each ≥ 30 s after the previous one)
  assert.equal(out.length, 2);
  assert.equal(out[0], 'train 2/1000 0% 0.05 step/s ETA 5:32:40\n');
  assert.ok(out[1]!.startsWith('train 4/1000 0% '), out[1]);
});

test('TTY: redrawn in place with \\r, throttled, newline on finish; silent prints nothing', () => {
  let now = 0;
  const { out, stream } = fakeStream(true);
  const p = new Progress('gen', 10, { unit: 'tok', stream, now: () => now, redrawMs: 100 });
  for (let i = 0; i < 10; i++) { now += 40; p.tick(); } // every 40 ms: redraw at most every 100 ms
  p.finish();
  assert.equal(out.length, 6); // draws at 40, 160, 280, 400 ms (≥ 100 ms apart), the final draw, '\n'
  assert.ok(out.slice(0, -1).every((s) => s.startsWith('\r') && s.endsWith('\x1b[K')));
  assert.equal(out.at(-1), '\n');
  assert.equal(out.at(-2), '\rgen 10/10 100% 25.0 tok/s done in 0:00\x1b[K');
  const quiet = fakeStream(false);
  const q = new Progress('x', 3, { stream: quiet.stream, silent: true, now: () => now });
  q.tick(3); q.finish();
  assert.deepEqual(quiet.out, []);
});
