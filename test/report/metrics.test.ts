import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMetrics, STEP_FIELDS } from '../../src/report/metrics.js';
import { synthRecords } from './synth.js';

test('parseMetrics: reads steps and evals, ignores other kinds, tolerates a truncated last line', () => {
  const text = [
    '{"kind":"meta","model":"x"}',
    '{"kind":"step","step":1,"reward_mean":0.5,"label_acc":null,"t_rollout":3}',
    '{"kind":"eval","step":0,"pass1":0.25,"maj":0.4,"greedy":null,"k":16}',
    '{"kind":"step","step":2,"reward_mean":0.75,"label_acc":0.5}',
    '{"kind":"future_kind","step":"x"}',
    '{"kind":"step","step":3,"rew',
  ].join('\n');
  const m = parseMetrics(text);
  assert.deepEqual(m.steps, [
    { step: 1, reward_mean: 0.5, t_rollout: 3 },
    { step: 2, reward_mean: 0.75, label_acc: 0.5 },
  ]);
  assert.deepEqual(m.evals, [{ step: 0, pass1: 0.25, maj: 0.4, k: 16 }]);
  assert.deepEqual(m.skipped, [{ line: 6, reason: 'truncated (run stopped mid-write?)' }]);
});

test('parseMetrics: a malformed middle line is skipped and named, later lines still count', () => {
  const text = '{"kind":"step","step":1,"kl":0.1}\n{"kind":"step","st\n{"kind":"step","step":2,"kl":0.2}\n';
  const m = parseMetrics(text);
  assert.deepEqual(m.steps.map((s) => [s.step, s.kl]), [[1, 0.1], [2, 0.2]]);
  assert.deepEqual(m.skipped, [{ line: 2, reason: 'not valid JSON' }]);
});

test('parseMetrics: a resumed run repeats steps, the later line wins and steps come out sorted', () => {
  const text = [
    '{"kind":"step","step":1,"loss":1}', '{"kind":"step","step":2,"loss":2}', '{"kind":"step","step":3,"loss":3}',
    '{"kind":"step","step":2,"loss":20}', '{"kind":"step","step":3,"loss":30}', '{"kind":"eval","step":2,"pass1":0.1}',
    '{"kind":"eval","step":0,"pass1":0.0}', '{"kind":"eval","step":2,"pass1":0.2}',
  ].join('\n');
  const m = parseMetrics(text);
  assert.deepEqual(m.steps.map((s) => s.loss), [1, 20, 30]);
  assert.deepEqual(m.evals.map((e) => [e.step, e.pass1]), [[0, 0], [2, 0.2]]);
});

test('parseMetrics: wrong types are absent, records without an integer step are skipped', () => {
  const text = [
    '{"kind":"step","step":1,"kl":"0.5","entropy":true,"lr":1e-6}',
    '{"kind":"step","step":1.5,"kl":1}',
    '{"kind":"eval","pass1":0.3}',
    '[1,2]',
  ].join('\n') + '\n';
  const m = parseMetrics(text);
  assert.deepEqual(m.steps, [{ step: 1, lr: 1e-6 }]);
  assert.deepEqual(m.skipped.map((s) => s.line), [2, 3, 4]);
  assert.match(m.skipped[0].reason, /integer "step"/);
});

test('parseMetrics: round-trips every field of a synthetic run', () => {
  const recs = synthRecords({ steps: 12, evalEvery: 3, seed: 7, gold: true, gain: 0.2 });
  const m = parseMetrics(recs.map((r) => JSON.stringify(r)).join('\n'));
  const stepRecs = recs.filter((r) => r.kind === 'step');
  assert.equal(m.steps.length, stepRecs.length);
  let compared = 0;
  m.steps.forEach((s, i) => {
    for (const f of STEP_FIELDS) {
      assert.equal(s[f], stepRecs[i][f], `step ${s.step} field ${f}`);
      compared++;
    }
  });
  assert.equal(compared, 12 * STEP_FIELDS.length);
  assert.deepEqual(m.evals.map((e) => e.step), [0, 3, 6, 9, 12]);
  assert.ok(m.evals.every((e) => e.greedy === undefined && e.k === 16));
});
